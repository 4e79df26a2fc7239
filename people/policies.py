"""Who may do what with people (docs/people.md): answered here once, for the pages, the API and the
services alike. What a user may *see* of a person is the scope of the records they appear on
(people/selectors.py); these are the questions on top of it."""

from accounts.access import has_any_grant, holds_anywhere
from accounts.roles import Action


def may_search(user) -> bool:
    """May search people by name or phone: sees names somewhere (`view_sensitive` on interceptions at a
    station, or on a record shared with them). Matching a name one may not read would reveal it."""
    return holds_anywhere(user, "interception", Action.VIEW_SENSITIVE) or has_any_grant(
        user, Action.VIEW_SENSITIVE
    )


def may_review(user) -> bool:
    """May review match suggestions, merge and unmerge identities (the `match_person` right)."""
    return holds_anywhere(user, "person", Action.MATCH)


def may_link(user) -> bool:
    """May link two people by hand, with a reason (the same right as reviewing matches)."""
    return holds_anywhere(user, "person", Action.MATCH)
