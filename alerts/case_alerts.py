"""Alerts about case files (docs/alerts.md, docs/cases.md). cases/ publishes events; these subscribers run
in its transaction and create the notifications (once per subject and recipient; e-mail after the commit
through the outbox). Titles and bodies name the case number and the kind of alert, never the person.

- "case.opened": a new case without a case manager → the station's managers;
- "case.assigned": a case given to a case manager → her;
- "case.home_alarm": an interview's home-situation alarms total at or above the threshold → the case's
  case manager and the station's managers;
- "case.follow_up_due": a follow-up due or overdue (the daily task, once per follow-up and day) → the case's
  case manager;
- "case.closure_requested": a closure waiting for approval → the station's managers but the one who asked.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import Role
from cases.models import FollowUp, VictimCase

from . import selectors
from .models import Rule
from .services import _notify, _notify_all


def _case(case_id: int) -> VictimCase | None:
    return VictimCase.objects.select_related("station", "assigned_to").filter(pk=case_id).first()


def _managers(case: VictimCase):
    return selectors._covering_station(case.station, [Role.STATION_MANAGER])


def _url(case: VictimCase) -> str:
    return reverse("cases:detail", args=[case.pk])


def on_case_opened(*, id: int) -> None:  # noqa: A002 (the event's field name)
    case = _case(id)
    if case is None or case.assigned_to_id is not None:
        return
    number = case.number
    _notify_all(
        users=_managers(case),
        rule=Rule.CASE_UNASSIGNED,
        subject_key=f"case:{case.pk}",
        title=lambda: _("New case %(number)s needs a case manager") % {"number": number},
        body=lambda: _("Case %(number)s was opened and nobody is assigned to it yet.") % {"number": number},
        url=_url(case),
    )


def on_case_assigned(*, id: int, user: int) -> None:  # noqa: A002
    case = _case(id)
    if case is None or case.assigned_to_id != user or not case.assigned_to.is_active:
        return
    number = case.number
    _notify(
        user=case.assigned_to,
        rule=Rule.CASE_ASSIGNED,
        subject_key=f"case:{case.pk}:assigned:{user}",
        title=lambda: _("Case %(number)s was assigned to you") % {"number": number},
        body=lambda: _("You are now the case manager of case %(number)s.") % {"number": number},
        url=_url(case),
    )


def on_home_alarm(*, id: int, interview: int) -> None:  # noqa: A002
    case = _case(id)
    if case is None:
        return
    users = list(_managers(case))
    if case.assigned_to_id and case.assigned_to.is_active and case.assigned_to not in users:
        users.append(case.assigned_to)
    number = case.number
    _notify_all(
        users=users,
        rule=Rule.HOME_ALARM,
        subject_key=f"case:{case.pk}:interview:{interview}",
        title=lambda: _("Home-situation alarms in case %(number)s") % {"number": number},
        body=lambda: (
            _("An interview in case %(number)s totals home-situation alarms at or above the threshold.")
            % {"number": number}
        ),
        url=_url(case),
    )


def on_follow_up_due(*, id: int, day: str) -> None:  # noqa: A002 (id: the follow-up)
    follow_up = FollowUp.objects.select_related("case__assigned_to").filter(pk=id).first()
    if follow_up is None or follow_up.done_on is not None:
        return
    case = follow_up.case
    if case.assigned_to_id is None or not case.assigned_to.is_active:
        return
    number, due = case.number, follow_up.due_on.isoformat()
    overdue = follow_up.due_on.isoformat() < day
    _notify(
        user=case.assigned_to,
        rule=Rule.FOLLOW_UP_DUE,
        subject_key=f"follow_up:{follow_up.pk}:{day}",
        title=lambda: (
            (_("Follow-up overdue in case %(number)s") if overdue else _("Follow-up due in case %(number)s"))
            % {"number": number}
        ),
        body=lambda: _("A follow-up of case %(number)s was due on %(due)s.") % {"number": number, "due": due},
        url=_url(case),
    )


def on_closure_requested(*, id: int, by: int) -> None:  # noqa: A002
    case = _case(id)
    if case is None:
        return
    number = case.number
    _notify_all(
        users=_managers(case).exclude(pk=by),
        rule=Rule.CLOSURE_REQUESTED,
        subject_key=f"case:{case.pk}:closure:{case.version}",
        title=lambda: _("Closure of case %(number)s waits for approval") % {"number": number},
        body=lambda: _("A case manager asked to close case %(number)s.") % {"number": number},
        url=_url(case),
    )
