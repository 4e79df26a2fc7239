"""Every read of case files, already scoped to the user (docs/cases.md "Who sees what").

A user sees a case when a role of theirs grants `view` on cases at its station (case managers, station
managers, legal officers, country directors: accounts/roles.py), when it was referred to them (a grant with
an expiry), or when it was referred to their station (a live `Referral`: its case managers and station
managers see it). Names, contacts and narratives need `view_sensitive` as well; without it they are masked
the same way in pages, API and exports (`can_see_sensitive`).

`access_case(user, pk, action)` is the one way to get a case for a response: it fetches within the scope,
checks the policy and writes the read to the access log.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Now
from django.http import Http404

from accounts.access import NEVER, Grants, predicate, profile_of
from accounts.roles import Action, roles_granting
from audit.services import record_denied, record_event

from . import policies
from .models import CaseGroupObjectPermission, CaseUserObjectPermission, Referral, VictimCase

CASE = "case"
GRANTS = Grants(CaseUserObjectPermission, CaseGroupObjectPermission, "victimcase", expires_field="expires_at")


def _referred_to_my_stations(user, action: str, prefix: str = "") -> Q | None:
    """Cases referred (live: not revoked, not expired) to a station where `user` holds a role granting
    `action` on cases."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    stations = profile_of(user).stations(roles_granting(CASE, action))
    if not stations:
        return None
    live = Referral.objects.filter(
        case_id=OuterRef(f"{prefix}pk"),
        to_station_id__any=stations,
        revoked_at__isnull=True,
        expires_at__gt=Now(),
    )
    return Q(Exists(live))


def case_condition(user, action: str = Action.VIEW) -> Q | None:
    """The condition under which `user` may do `action` on a case row, or None when on none."""
    condition = predicate(user, CASE, action, grants=GRANTS)
    condition = None if condition is NEVER else condition
    if action in (Action.VIEW, Action.VIEW_SENSITIVE):
        referred = _referred_to_my_stations(user, action)
        if referred is not None:
            condition = referred if condition is None else condition | referred
    return condition


def case_scope(user, action: str = Action.VIEW) -> QuerySet[VictimCase]:
    """The cases `user` may do `action` on (view, by default)."""
    condition = case_condition(user, action)
    return VictimCase.objects.none() if condition is None else VictimCase.objects.filter(condition)


def with_access_flags(qs: QuerySet[VictimCase], user) -> QuerySet[VictimCase]:
    """Mark each case with `can_see_sensitive` (names, contacts, narratives), in the same query."""
    condition = case_condition(user, Action.VIEW_SENSITIVE)
    flag = (
        Value(False, output_field=BooleanField())
        if condition is None
        else ExpressionWrapper(condition, output_field=BooleanField())
    )
    return qs.annotate(can_see_sensitive=flag)


def with_summary(qs: QuerySet[VictimCase]) -> QuerySet[VictimCase]:
    """What a list row or a case page header shows, in the same query."""
    return qs.select_related("station", "assigned_to", "person", "interception")


def denied(user, pk, action: str, *, station=None) -> None:
    """Log an attempt on a case out of reach (or not allowed) as `access.denied`."""
    record_denied(actor=user, object_type="victimcase", object_id=pk, action=action, station=station)


def _fetch(user, pk) -> VictimCase:
    try:
        return with_summary(with_access_flags(case_scope(user), user)).get(pk=int(pk))
    except (VictimCase.DoesNotExist, ValueError, TypeError, OverflowError):
        denied(user, pk, Action.VIEW)
        raise Http404("No such case.") from None


def access_case(user, pk, action: str = policies.VIEW, *, purpose: str = "view") -> VictimCase:
    """The one way to get a case for a response: fetch it within the user's scope, check the policy for
    `action` (policies.VIEW, CHANGE, ASSIGN, APPROVE, REFER, OVERRIDE...), log the read, return it.

    Out of reach: 404 (`Http404`), logged as denied. Visible but not allowed: `PermissionDenied` (the API
    answers 403, pages 404), logged as denied. The read is logged as `case.view` naming the case, its
    station and `purpose`."""
    case = _fetch(user, pk)
    if not policies.allows(user, action, case):
        denied(user, pk, action, station=case.station)
        raise PermissionDenied(policies.message(action))
    details = {"number": case.number, "purpose": purpose, "sensitive": bool(case.can_see_sensitive)}
    if case.interception_id:
        # the interception the case shows the person of (as a read of people names it: docs/audit.md)
        details["interceptions"] = [case.interception_id]
    record_event(actor=user, action="case.view", obj=case, station=case.station, details=details)
    return case


def reload(case: VictimCase) -> VictimCase:
    """The case again after a write in the same request, with the same access flag (for the response).
    Only for a case `access_case` returned in this request."""
    fresh = with_summary(VictimCase.objects.filter(pk=case.pk)).get()
    fresh.can_see_sensitive = case.can_see_sensitive
    return fresh
