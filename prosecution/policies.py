"""Who may do what to a legal case: each question answered here once, for the page, the API and the
service alike (docs/prosecution.md "Who sees what").

- *Seeing* a legal case is the scope (`selectors.legal_case_scope`); names, narratives and profiles need
  `view_sensitive` as well.
- *Working* on it (complaint, stages, suspects, arrests, court cases, charges, verdicts, hearings, victims,
  comments, profiles) needs a role at its station granting `change` and `view_sensitive` on legal cases:
  its legal officers and station managers. A share lets someone see the case, never more.
- *Verifying* an arrest needs `verify` at the station, and is never the arrest's own recorder.
- *Opening* a legal case needs `add` and `view_sensitive` on legal cases at the station.
"""

from django.utils.translation import gettext as _

from accounts.access import can_at_station, holds_anywhere, station_rights
from accounts.roles import Action

from .models import LegalCase

LEGAL_CASE = "legal_case"
VIEW, CHANGE, VERIFY, DELETE = "view", "change", "verify", "delete"


def rights_at(user, station) -> frozenset[tuple[str, str]]:
    return station_rights(user, station)


def _rights(user, legal_case: LegalCase, rights) -> frozenset[tuple[str, str]]:
    return rights_at(user, legal_case.station) if rights is None else rights


def may_change(user, legal_case: LegalCase, *, rights=None) -> bool:
    held = _rights(user, legal_case, rights)
    return (LEGAL_CASE, Action.CHANGE) in held and (LEGAL_CASE, Action.VIEW_SENSITIVE) in held


def may_verify(user, legal_case: LegalCase, *, rights=None) -> bool:
    """May verify an arrest (the service also refuses the user who recorded it)."""
    held = _rights(user, legal_case, rights)
    return (LEGAL_CASE, Action.VERIFY) in held and (LEGAL_CASE, Action.VIEW_SENSITIVE) in held


def may_delete(user, legal_case: LegalCase, *, rights=None) -> bool:
    """May delete a comment of someone else (one's own: `may_change`)."""
    held = _rights(user, legal_case, rights)
    return (LEGAL_CASE, Action.DELETE) in held and (LEGAL_CASE, Action.VIEW_SENSITIVE) in held


def may_open_at(user, station) -> bool:
    return can_at_station(user, station, LEGAL_CASE, Action.ADD) and can_at_station(
        user, station, LEGAL_CASE, Action.VIEW_SENSITIVE
    )


def may_open_anywhere(user) -> bool:
    return holds_anywhere(user, LEGAL_CASE, Action.ADD)


CHECKS = {CHANGE: may_change, VERIFY: may_verify, DELETE: may_delete}


def message(action: str) -> str:
    return {
        CHANGE: _("You cannot work on legal cases at this station."),
        VERIFY: _("You cannot verify arrests at this station."),
        DELETE: _("You cannot delete this at this station."),
    }.get(action, _("You may not do this."))


def allows(user, action: str, legal_case: LegalCase, *, rights=None) -> bool:
    if action == VIEW:
        return True
    check = CHECKS.get(action)
    return check is not None and check(user, legal_case, rights=rights)


class LegalCasePolicy:
    """The API's view of these rules (`core.permissions.PolicyPermission`)."""

    @staticmethod
    def allows(user, action: str, obj=None) -> bool:
        if obj is None:
            if action == "add":
                return may_open_anywhere(user)
            return True
        legal_case = obj if isinstance(obj, LegalCase) else obj.legal_case
        return allows(user, action, legal_case)

    @staticmethod
    def message(action: str) -> str:
        if action == "add":
            return _("You cannot open legal cases at any station.")
        return message(action)
