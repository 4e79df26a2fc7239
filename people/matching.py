"""Match suggestions: identities that are probably the same human being (docs/people.md "Matching")."""


def store_suggestions(person_id: int) -> int:
    """Placeholder until the scorer lands."""
    return 0
