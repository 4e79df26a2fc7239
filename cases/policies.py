"""Who may do what to a case file: each question answered here once, for the page, the API and the service.

- *Seeing* a case is the scope (`selectors.case_scope`): a role granting `view` on cases at its station, a
  referral to the user, or a live referral to their station. Its personal fields and narratives need
  `view_sensitive` as well (`case.can_see_sensitive`).
- *Working* on a case (consent, interviews, services, follow-ups, risk, asking to close it, reopening it)
  needs a role at the case's station granting `change` and `view_sensitive` on cases: its case managers and
  station managers. A referral lets someone see the case, never more.
- *Assigning* it, *approving* a closure and *overriding* a consent need `assign`, `approve`, `override`
  (station managers). Nobody approves the closure they asked for.
- *Referring* it needs `share` and `view_sensitive` at the station.
- *Opening* a case by hand needs `add` on cases at the station.

Each function takes the station's rights (`rights_at`) when the caller already has them, so a page that
asks several questions about one case runs no further query.
"""

from django.utils.translation import gettext as _

from accounts.access import can_at_station, holds_anywhere, station_rights
from accounts.roles import Action

from .models import CaseStatus, VictimCase

CASE = "case"

VIEW, CHANGE, ASSIGN, APPROVE, REFER, OVERRIDE = "view", "change", "assign", "approve", "refer", "override"


def rights_at(user, station) -> frozenset[tuple[str, str]]:
    return station_rights(user, station)


def _rights(user, case: VictimCase, rights) -> frozenset[tuple[str, str]]:
    return rights_at(user, case.station) if rights is None else rights


def may_change(user, case: VictimCase, *, rights=None) -> bool:
    held = _rights(user, case, rights)
    return (CASE, Action.CHANGE) in held and (CASE, Action.VIEW_SENSITIVE) in held


def may_assign(user, case: VictimCase, *, rights=None) -> bool:
    return (CASE, Action.ASSIGN) in _rights(user, case, rights)


def may_approve(user, case: VictimCase, *, rights=None) -> bool:
    """May approve or refuse a closure request: `approve` at the station, and not the one who asked."""
    return (CASE, Action.APPROVE) in _rights(user, case, rights) and case.closure_requested_by_id != user.pk


def may_refer(user, case: VictimCase, *, rights=None) -> bool:
    held = _rights(user, case, rights)
    return (CASE, Action.SHARE) in held and (CASE, Action.VIEW_SENSITIVE) in held


def may_override(user, case: VictimCase, *, rights=None) -> bool:
    held = _rights(user, case, rights)
    return (CASE, Action.OVERRIDE) in held and (CASE, Action.VIEW_SENSITIVE) in held


def may_open_at(user, station) -> bool:
    """May open a case by hand (walk-in, referral) at `station`."""
    return can_at_station(user, station, CASE, Action.ADD) and can_at_station(
        user, station, CASE, Action.VIEW_SENSITIVE
    )


def may_open_anywhere(user) -> bool:
    return holds_anywhere(user, CASE, Action.ADD)


def is_open(case: VictimCase) -> bool:
    return case.status != CaseStatus.CLOSED


CHECKS = {
    CHANGE: may_change,
    ASSIGN: may_assign,
    APPROVE: may_approve,
    REFER: may_refer,
    OVERRIDE: may_override,
}


def message(action: str) -> str:
    return {
        CHANGE: _("You cannot work on case files at this station."),
        ASSIGN: _("Only a station manager of this station can assign its cases."),
        APPROVE: _("Only a station manager of this station, other than the one who asked, can approve this."),
        REFER: _("You cannot refer case files of this station."),
        OVERRIDE: _("You cannot override consent at this station."),
    }.get(action, _("You may not do this."))


def allows(user, action: str, case: VictimCase, *, rights=None) -> bool:
    """Whether `user` may do `action` on a case they can see (`view`: always: the scope decided)."""
    if action == VIEW:
        return True
    check = CHECKS.get(action)
    return check is not None and check(user, case, rights=rights)


class CasePolicy:
    """The API's view of these rules (`core.permissions.PolicyPermission`)."""

    @staticmethod
    def allows(user, action: str, obj=None) -> bool:
        if obj is None:
            if action == "add":
                return may_open_anywhere(user)
            return True  # reads and per-case actions: the selector's scope, then the check per case
        case = obj if isinstance(obj, VictimCase) else obj.case
        return allows(user, action, case)

    @staticmethod
    def message(action: str) -> str:
        if action == "add":
            return _("You cannot open case files at any station.")
        return message(action)
