"""Every read of case files, already scoped to the user (docs/cases.md "Who sees what").

A user sees a case when a role of theirs grants `view` on cases at its station (case managers, station
managers, legal officers, country directors: accounts/roles.py), when it was referred to them (a grant with
an expiry), or when it was referred to their station (a live `Referral`: its case managers and station
managers see it). Names, contacts and narratives need `view_sensitive` as well; without it they are masked
the same way in pages, API and exports (`can_see_sensitive`).

`access_case(user, pk, action)` is the one way to get a case for a response: it fetches within the scope,
checks the policy and writes the read to the access log.
"""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Now
from django.http import Http404

from accounts.access import NEVER, Grants, predicate, profile_of
from accounts.models import Membership, Station
from accounts.roles import Action, Role, roles_granting
from audit.services import record_denied, record_event
from core.pagination import CappedPage, CappedPaginator

from . import policies
from .models import CaseGroupObjectPermission, CaseStatus, CaseUserObjectPermission, Referral, VictimCase

CASE = "case"
GRANTS = Grants(CaseUserObjectPermission, CaseGroupObjectPermission, "victimcase", expires_field="expires_at")


# With more live referrals to a user's stations than this, the referred cases are a subquery, not a list.
REFERRED_IDS_INLINE = 1000


def _referred_ids(user, stations) -> Q | None:
    """The cases referred (live: not revoked, not expired) to `stations`, by id: one small indexed query,
    read once per request and set of stations (kept on the request's access profile, which any write of a
    membership, grant or referral drops: accounts/access_cache.py), or a subquery above
    REFERRED_IDS_INLINE. None when there is none. `station_id = X OR id IN (...)` is a bitmap OR of two
    indexes; `station_id = X OR EXISTS (referral ...)` cannot use the station index, so a station's list
    would walk the newest cases of every station (benchmarks/CASES.md)."""
    memo = profile_of(user).__dict__.setdefault("case_referred", {})
    key = tuple(sorted(stations))
    if key not in memo:
        live = Referral.objects.filter(
            to_station_id__any=list(key), revoked_at__isnull=True, expires_at__gt=Now()
        ).values_list("case_id", flat=True)
        ids = list(live.order_by()[: REFERRED_IDS_INLINE + 1])
        memo[key] = Q(pk__in=live) if len(ids) > REFERRED_IDS_INLINE else Q(pk__in=ids) if ids else None
    return memo[key]


def case_condition(user, action: str = Action.VIEW) -> Q | None:
    """The condition under which `user` may do `action` on a case row, or None when on none: a role at the
    case's station, a referral to the user (a grant that lapses), or, to see it, a live referral to one of
    their stations."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    condition = predicate(user, CASE, action, grants=GRANTS)
    condition = None if condition is NEVER else condition
    if action in (Action.VIEW, Action.VIEW_SENSITIVE):
        stations = profile_of(user).stations(roles_granting(CASE, action))
        referred = _referred_ids(user, stations) if stations else None
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


# --- lists ("My cases", the station's cases), assignment choices ---------------------------------


# "My cases" in the API is walked by keyset on these (all ascending): the next follow-up due (none: last),
# then the newest, then the highest id. `age_key` is the number of days from opening to 9999-12-31.
MINE_KEYSET = ("due_key", "age_key", "neg_id")
NEWEST_KEYSET = ("opened_on", "id")
_FAR = date(9999, 12, 31)


@dataclass(frozen=True)
class CaseFilters:
    """The filters of the case list (page and API). `mine`: the user's own open cases ("My cases")."""

    interception: int | None = None  # an interception's id
    status: str | None = None
    assigned_to: str | None = None  # a username
    station: str | None = None  # a station code
    mine: bool = False
    interception_number: str | None = None  # a whole interception number (the page's filter)

    def as_details(self) -> dict:
        """The filters for the access log (no personal data: ids, codes, a username)."""
        return {k: v for k, v in self.__dict__.items() if v not in (None, "", False)}

    def apply(self, qs: QuerySet, user) -> QuerySet:
        if self.mine:
            qs = qs.filter(assigned_to_id=user.pk).exclude(status=CaseStatus.CLOSED)
        if self.interception is not None:
            qs = qs.filter(interception_id=self.interception)
        if self.interception_number:
            qs = qs.filter(interception__number=self.interception_number.strip().upper())
        if self.status:
            qs = qs.filter(status=self.status)
        if self.assigned_to:
            assignee = get_user_model().objects.filter(username=self.assigned_to).values("pk")[:1]
            qs = qs.filter(assigned_to_id=Subquery(assignee))
        if self.station:
            # a scalar subquery, not a join: an index condition on the case's own column
            station_id = Station.objects.filter(code=self.station.upper()).values("pk")[:1]
            qs = qs.filter(station_id=Subquery(station_id))
        return qs


def case_list_ordering(filters: CaseFilters) -> list:
    """ "My cases": overdue follow-ups first, then the next follow-up due, then the newest (a case without a
    follow-up due comes after those with one). Otherwise the newest first."""
    if filters.mine:
        return [F("next_follow_up_on").asc(nulls_last=True), "-opened_on", "-id"]
    return ["-opened_on", "-id"]


def case_rows(*, user, filters: CaseFilters | None = None) -> QuerySet[VictimCase]:
    """The cases `user` may see (`case_scope`), filtered, unordered and without joins: the ids a page picks
    (the caller orders and slices it, then fetches the page's rows with `case_list_rows`)."""
    f = filters or CaseFilters()
    return f.apply(case_scope(user), user)


def case_list_rows(ids, *, user) -> QuerySet[VictimCase]:
    """The rows of one page (`WHERE id IN ids`), with what a list row shows and the access flag, in one
    query (the flag is computed for the page's rows only)."""
    return with_summary(with_access_flags(VictimCase.objects.filter(pk__in=list(ids)), user))


def case_list(*, user, filters: CaseFilters | None = None) -> QuerySet[VictimCase]:
    """The cases `user` may see, filtered, ordered, with the access flag and what a row shows (one query
    for any number of rows)."""
    f = filters or CaseFilters()
    qs = with_summary(with_access_flags(case_rows(user=user, filters=f), user))
    return qs.order_by(*case_list_ordering(f))


def with_mine_keys(qs: QuerySet[VictimCase]) -> QuerySet[VictimCase]:
    """The keyset fields of "My cases" (`MINE_KEYSET`) as annotations, for the API's cursor pages."""
    return qs.annotate(
        due_key=Coalesce(F("next_follow_up_on"), Value(_FAR)),
        age_key=RawSQL("(DATE '9999-12-31' - cases_victimcase.opened_on)", [], output_field=IntegerField()),
        neg_id=RawSQL("(- cases_victimcase.id)", [], output_field=IntegerField()),
    )


def log_case_list(
    user, rows, *, filters: CaseFilters, page: int, count: int | None = None, api: bool = False
):
    """Log one list response: one `case.list` event naming every case shown and their stations."""
    rows = list(rows)
    details = {"filters": filters.as_details(), "page": page}
    if count is not None:
        details["count"] = count
    if api:
        details["api"] = True
    interceptions = sorted({row.interception_id for row in rows if row.interception_id})
    if interceptions:
        # the interceptions whose person the list showed (as a read of people names them: docs/audit.md)
        details["interceptions"] = interceptions
    record_event(
        actor=user,
        action="case.list",
        object_type="victimcase",
        object_ids=[row.pk for row in rows],
        stations=[row.station for row in rows],
        details=details,
    )
    return rows


def case_page(
    *, user, filters: CaseFilters, page_number=None, per_page: int = 50, after: str | None = None
) -> CappedPage:
    """One page of the list, its read logged: the ids first (the order's index), then the page's rows with
    their summary and access flag, then one access-log event (core/pagination.py)."""
    ordered = case_rows(user=user, filters=filters).order_by(*case_list_ordering(filters))
    paginator = CappedPaginator(
        ordered,
        per_page,
        fetch=lambda ids: case_list_rows(ids, user=user),
        keyset_fields=NEWEST_KEYSET,
    )
    page = paginator.page_after(after) if after and not filters.mine else paginator.get_page(page_number)
    page.object_list = log_case_list(
        user, page.object_list, filters=filters, page=page.number, count=paginator.count
    )
    return page


def case_managers_at(station) -> QuerySet:
    """Active users holding the case-manager role at `station` or at its country (one query): who a case
    of the station may be assigned to."""
    memberships = Membership.objects.filter(user_id=OuterRef("pk"), role=Role.CASE_MANAGER).filter(
        Q(station_id=station.pk) | Q(country_id=station.country_id)
    )
    return get_user_model().objects.filter(Exists(memberships), is_active=True).order_by("username")


def station_choices(user) -> list[tuple[str, str]]:
    """The list filter's stations: (code, name) of every station where `user` may view cases. Cached for a
    few minutes, keyed by the user and a digest of the query (which names their stations once the access
    profile is read): a change of memberships gives a new key at once (as interception's picker)."""
    import hashlib

    from django.core.cache import cache

    from accounts.access import stations_for

    stations = stations_for(user, CASE, Action.VIEW).order_by("code").values_list("code", "name")
    sql, params = stations.query.sql_with_params()
    digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()[:32]
    key = f"cases:station-choices:v1:{user.pk}:{digest}"
    choices = cache.get(key)
    if choices is None:
        choices = [tuple(row) for row in stations]
        cache.set(key, choices, 300)
    return choices


def stations_to_open_at(user) -> QuerySet[Station]:
    """The stations where `user` may open a case by hand (`add` and `view_sensitive` on cases)."""
    from accounts.access import stations_for

    return (
        stations_for(user, CASE, Action.ADD)
        .filter(pk__in=stations_for(user, CASE, Action.VIEW_SENSITIVE).values("pk"))
        .order_by("code")
    )


# --- consent ----------------------------------------------------------------------------------
# Consent rows are append-only: the latest row per scope is in force (docs/cases.md "Consent").


def current_consents(case: VictimCase) -> dict:
    """{scope: the Consent in force (the latest row of that scope), or None}, for every scope, in one
    query."""
    from .models import Consent, ConsentScope

    latest = (
        Consent.objects.filter(case=case)
        .order_by("scope", "-recorded_at", "-id")
        .distinct("scope")
        .select_related("recorded_by")
    )
    found = {c.scope: c for c in latest}
    return {scope: found.get(scope) for scope in ConsentScope.values}


def consent_in_force(case: VictimCase, scope: str) -> bool:
    """Whether her latest decision for `scope` is "given"."""
    from .models import Consent, ConsentDecision

    latest = (
        Consent.objects.filter(case=case, scope=scope)
        .order_by("-recorded_at", "-id")
        .values_list("decision", flat=True)
        .first()
    )
    return latest == ConsentDecision.GIVEN


def usable_override(case: VictimCase, scope: str):
    """The unused override of `scope` that still allows one action, or None: recorded after her latest
    decision of that scope (a decision recorded since, a withdrawal above all, voids older overrides)."""
    from .models import Consent, ConsentOverride

    last_decision = (
        Consent.objects.filter(case=case, scope=scope)
        .order_by("-recorded_at", "-id")
        .values_list("recorded_at", flat=True)
        .first()
    )
    overrides = ConsentOverride.objects.filter(case=case, scope=scope, used_for="")
    if last_decision is not None:
        overrides = overrides.filter(created_at__gt=last_decision)
    return overrides.order_by("created_at", "id").first()


def research_refused_condition(prefix: str = "") -> Q:
    """A condition on VictimCase (through `prefix`, e.g. "case__" from a related model): her latest decision
    on research use is "refused" or "withdrawn". One SQL condition (EXISTS on the latest research row, read
    from consent_latest_idx), never NULL, so `.exclude(research_refused_condition())` keeps the cases
    without a research decision. De-identified exports leave those cases out."""
    from django.db.models import Subquery

    from .models import Consent, ConsentDecision, ConsentScope

    latest = (
        Consent.objects.filter(case_id=OuterRef("case_id"), scope=ConsentScope.RESEARCH)
        .order_by("-recorded_at", "-id")
        .values("pk")[:1]
    )
    refused = Consent.objects.filter(
        case_id=OuterRef(f"{prefix}pk"),
        scope=ConsentScope.RESEARCH,
        decision__in=[ConsentDecision.REFUSED, ConsentDecision.WITHDRAWN],
        pk=Subquery(latest),
    )
    return Q(Exists(refused))


# --- services and follow-ups of a case the caller already fetched through access_case ----------


def services_of(case: VictimCase):
    """The services of `case` (one the caller fetched with `access_case`), latest first."""
    from .models import Service

    return Service.objects.filter(case=case).order_by("-started_on", "-id")


def follow_ups_of(case: VictimCase):
    """The follow-ups of `case` (one the caller fetched with `access_case`) by due date, with who did them."""
    from .models import FollowUp

    return FollowUp.objects.filter(case=case).select_related("done_by").order_by("due_on", "id")


def service_of(case: VictimCase, service_pk):
    """One service of `case` (fetched with `access_case`): 404 when it is not one of this case's."""
    from .models import Service

    try:
        return Service.objects.get(case=case, pk=int(service_pk))
    except (Service.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such service.") from None


def follow_up_of(case: VictimCase, follow_up_pk):
    """One follow-up of `case` (fetched with `access_case`): 404 when it is not one of this case's."""
    from .models import FollowUp

    try:
        return FollowUp.objects.select_related("done_by").get(case=case, pk=int(follow_up_pk))
    except (FollowUp.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such follow-up.") from None


# --- the case's summary (page header, API detail) ----------------------------------------------


def case_summary(case: VictimCase, *, consents=None, interviews=None, follow_ups=None) -> dict:
    """What a reader of the case sees even without `view_sensitive` (a legal officer, a director): the
    decision in force per consent scope, the latest interview's willingness to testify and to file a
    complaint, and the latest done follow-up's situation ("contact status"). Built from the lists the page
    fetched already when given (no query), else three queries."""
    from .models import Consent, FollowUp, Interview

    if consents is None:
        consents = (
            Consent.objects.filter(case_id=case.pk).order_by("scope", "-recorded_at", "-id").distinct("scope")
        )
    current: dict[str, str] = {}
    for consent in sorted(consents, key=lambda c: (c.recorded_at, c.pk), reverse=True):
        current.setdefault(consent.scope, consent.decision)
    if interviews is None:
        latest_interview = Interview.objects.filter(case_id=case.pk).order_by("-conducted_on", "-id").first()
    else:
        latest_interview = max(interviews, key=lambda i: (i.conducted_on, i.pk), default=None)
    if follow_ups is None:
        latest_done = (
            FollowUp.objects.filter(case_id=case.pk, done_on__isnull=False)
            .order_by("-done_on", "-id")
            .first()
        )
    else:
        latest_done = max(
            (f for f in follow_ups if f.done_on is not None), key=lambda f: (f.done_on, f.pk), default=None
        )
    return {
        "consents": current,
        "willing_to_testify": latest_interview.willing_to_testify if latest_interview else "",
        "willing_to_file_complaint": latest_interview.willing_to_file_complaint if latest_interview else "",
        "contact_status": latest_done.situation if latest_done else "",
        "contact_checked_on": latest_done.done_on if latest_done else None,
    }


# --- victim interviews of a case the caller already fetched through access_case ---------------


def interviews_of(case: VictimCase):
    """The case's interviews, newest first, with who conducted them (one query)."""
    from .models import Interview

    return (
        Interview.objects.filter(case_id=case.pk)
        .select_related("conducted_by")
        .order_by("-conducted_on", "-id")
    )


def interview_of(user, case: VictimCase, interview_pk):
    """One interview of `case` (fetched by `access_case`, which checked and logged the read), with its
    recruiter, route and alarm ticks; 404 (logged as denied) when it is not an interview of this case."""
    from django.db.models import Prefetch

    from .models import Interview, InterviewAlarm, InterviewRouteStop

    try:
        interview = (
            Interview.objects.select_related("conducted_by", "recruiter")
            .prefetch_related(
                Prefetch("route", queryset=InterviewRouteStop.objects.select_related("place")),
                Prefetch(
                    "alarm_ticks",
                    queryset=InterviewAlarm.objects.select_related("alarm").order_by(
                        "alarm__position", "alarm_id"
                    ),
                ),
            )
            .get(pk=int(interview_pk), case_id=case.pk)
        )
    except (Interview.DoesNotExist, ValueError, TypeError, OverflowError):
        denied(user, case.pk, Action.VIEW, station=case.station)
        raise Http404("No such interview.") from None
    interview.case = case  # the checked case, with its access flag
    return interview


def home_alarm_catalogue(case: VictimCase, *, keep=()):
    """The home-situation alarms an interview of `case` may tick: the active alarms of every country and
    of its station's country, and the retired ones in `keep` (codes an interview already has)."""
    from .models import HomeAlarm

    return (
        HomeAlarm.objects.filter(Q(country_id=case.station.country_id) | Q(country__isnull=True))
        # a country's own alarm replaces the default of the same code
        .exclude(
            Q(country__isnull=True),
            code__in=HomeAlarm.objects.filter(country_id=case.station.country_id).values("code"),
        )
        .filter(Q(active=True) | Q(code__in=list(keep)))
        .order_by("position", "id")
    )


def consents_of(case: VictimCase):
    """Every consent decision of a case (its page, its API), newest first."""
    from .models import Consent

    return Consent.objects.filter(case=case).select_related("recorded_by").order_by("-recorded_at", "-id")


def consent_of(case: VictimCase, consent_pk):
    """One consent decision of a case `access_case` returned, or None."""
    try:
        return consents_of(case).filter(pk=int(consent_pk)).first()
    except (ValueError, TypeError, OverflowError):
        return None


def overrides_of(case: VictimCase):
    from .models import ConsentOverride

    return (
        ConsentOverride.objects.filter(case=case).select_related("created_by").order_by("-created_at", "-id")
    )


def referrals_of(case: VictimCase):
    """Every referral of a case, newest first, with whom it went to and who made it."""
    from .models import Referral

    return (
        Referral.objects.filter(case=case)
        .select_related("to_user", "to_station", "created_by", "revoked_by")
        .order_by("-created_at", "-id")
    )


def referral_of(case: VictimCase, referral_pk):
    """One referral of a case `access_case` returned, or None."""
    try:
        return referrals_of(case).filter(pk=int(referral_pk)).first()
    except (ValueError, TypeError, OverflowError):
        return None


def referral_state(referral, now=None) -> str:
    """ "live", "expired" or "revoked"."""
    from django.utils import timezone

    if referral.revoked_at is not None:
        return "revoked"
    return "live" if referral.expires_at > (now or timezone.now()) else "expired"
