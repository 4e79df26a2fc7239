from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class StaleVersionError(Exception):
    """The record changed since the editor loaded it; the save is refused and nothing is written."""

    def __init__(self, current_version: int):
        self.current_version = current_version
        super().__init__(
            _(
                "Someone else saved this record after you opened it (it is now at version %(version)s). "
                "Reload it, check their changes, and edit again."
            )
            % {"version": current_version}
        )


class IdempotencyConflict(ValidationError):
    """The idempotency key was used before for a request with other content: nothing is written. The API
    answers 409 (config/api_errors.py); a form shows the message (it is a ValidationError on the field
    `idempotency_key`, so a page that shows validation errors shows this one too)."""

    def __init__(self, message: str | None = None):
        self.conflict_message = message or _(
            "This idempotency key was already used to save different content, so nothing was saved. A retry "
            "must send exactly the same content; to record something new, start a new form (in the API: send "
            "a new Idempotency-Key)."
        )
        super().__init__({"idempotency_key": [self.conflict_message]})


class TransitionError(Exception):
    """A state change the record's state machine does not allow from where it is now (a case closed twice,
    reopened while open): nothing is written. The API answers 409 with code `illegal_transition` and the
    message (config/api_errors.py); a page shows the message."""

    def __init__(self, message: str, *, status: str = ""):
        self.status = status
        super().__init__(message)
