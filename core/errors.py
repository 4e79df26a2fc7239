class StaleVersionError(Exception):
    """The record changed since the editor loaded it; the save is refused and nothing is written."""

    def __init__(self, current_version: int):
        self.current_version = current_version
        super().__init__(
            "Someone else saved this record after you opened it "
            f"(it is now at version {current_version}). Reload it, check their changes, and edit again."
        )
