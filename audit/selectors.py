"""Every read of the access log, already scoped to the reader, and itself logged.

Reading the log is a read of personal data (usernames, IP addresses), so each function that shows events
to someone writes one event naming the events it showed (`audit.list`, `audit.panel`, `audit.admin.*`,
with `object_type="accessevent"` and their ids in `details["ids"]`). Views, the API and the admin call these
functions and never `record_event` themselves: a new page on the log cannot forget the trace.
"""

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta

from django.apps import apps
from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, CharField, Expression, F, Model, Q, QuerySet, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.access import stations_for
from accounts.models import Membership, Station
from accounts.roles import Action

from .models import AccessEvent
from .policies import RECORD_TYPE, log_reader_memberships
from .services import id_value, record_event

RECORD_PANEL_LIMIT = 50
PAGE_SIZE = 50
LOG_OBJECT_TYPE = "accessevent"


@dataclass(frozen=True)
class EventFilters:
    actor: str | None = None  # username, exact
    action: str | None = None  # exact, or a prefix when it ends with "."
    object_type: str | None = None
    object_id: str | None = None
    station: str | None = None  # station code
    since: date | datetime | None = None  # a date means from the start of that day (UTC)
    until: date | datetime | None = None  # a date means to the end of that day (UTC)
    number: str | None = None  # an interception number: events about that record

    def as_details(self) -> dict:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value:
                out[f.name] = value.isoformat() if isinstance(value, date) else value
        return out


def start_of(value: date | datetime) -> datetime:
    """A datetime as given (naive means UTC); a date as the start of that day in UTC."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
    return datetime.combine(value, time.min, tzinfo=UTC)


def end_of(value: date | datetime) -> datetime:
    """The first instant after the range `until=value` covers: a date covers that whole day (UTC)."""
    if isinstance(value, datetime):
        return start_of(value) + timedelta(microseconds=1)
    return start_of(value + timedelta(days=1))


class DetailsListHasAny(Expression):
    """Whether the list `details[key]` holds one of the values a subquery returns, as
    `details @> ANY(ARRAY(SELECT jsonb_build_object(key, jsonb_build_array(value)) ...))`: containment, so
    the GIN index on `details` (jsonb_path_ops, migration 0004) answers it; the subquery runs once."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, key: str, values: QuerySet):
        super().__init__()
        self.key = key
        self.column = F("details")
        self.values = Subquery(values)

    def get_source_expressions(self):
        return [self.column, self.values]

    def set_source_expressions(self, exprs):
        self.column, self.values = exprs

    def as_sql(self, compiler, connection):
        column, column_params = compiler.compile(self.column)
        values, value_params = compiler.compile(self.values)
        # Compiled column and subquery, the key a parameter: nothing here comes from input.
        build = "jsonb_build_object(%s::text, jsonb_build_array(audit_v.v))"
        sql = f"{column} @> ANY(ARRAY(SELECT {build} FROM {values} AS audit_v (v)))"  # noqa: S608
        return sql, [*column_params, self.key, *value_params]


def event_scope(user) -> QuerySet[AccessEvent]:
    """The events `user` may read, as one SQL predicate.

    An auditor reads, for the stations their role covers (a station, or every station of a country):
    - the events at those stations (reads, writes, denied attempts on their records);
    - the events naming those stations in `details["stations"]` (list reads, bulk downloads, exports).
    An auditor holding the role for a whole country also reads the events tied to no station whose actor
    is one of that country's people (a membership at one of its stations, or for the country), or whose
    object is such a user: their sign-ins, MFA and token events, reads of the log. Sign-ins of people of
    other countries stay out of reach. Everyone else reads nothing.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return AccessEvent.objects.none()
    stations = stations_for(user, RECORD_TYPE, Action.VIEW)
    countries = log_reader_memberships(user).filter(country__isnull=False).values("country_id")
    people = Membership.objects.filter(Q(country__in=countries) | Q(station__country__in=countries))
    return AccessEvent.objects.filter(
        # `= ANY(ARRAY(...))` rather than `IN (subquery)` inside the OR: index scans PostgreSQL can combine
        # (core/lookups.py), not a subplan tested on every event.
        Q(station__any_array=stations.values("pk"))
        | Q(DetailsListHasAny("stations", stations.values("code")))
        | (
            Q(station__isnull=True)
            & (
                Q(actor__any_array=people.values("user_id"))
                | Q(object_type="user", object_id__in=people.values(pk_text=Cast("user_id", CharField())))
            )
        )
    )


def about_record(object_type: str, object_id, *, number: str | None = None) -> Q:
    """The events about one record, whichever way they name it:
    - the record itself (`object_type` + `object_id`): views, changes, denied attempts;
    - a list or bulk event naming it in `details["ids"]` (list pages, API pages, exports);
    - a denied attempt of the older shape (`details` with `object_type` and `object_id`);
    - events on its parts naming it in `details["<object_type>_id"]` (an attachment download names its
      interception as `interception_id`), or, for attachments, by its `number` (`details["interception"]`).
    All are equality or containment tests (index scans: `object_type, object_id` and the GIN index)."""
    pk = id_value(object_id)
    text = str(object_id)
    q = Q(object_type=object_type, object_id=text)
    q |= Q(object_type=object_type, details__contains={"ids": [pk]})
    q |= Q(details__contains={"object_type": object_type, "object_id": text})
    q |= Q(details__contains={f"{object_type}_id": pk})
    if pk != text:
        q |= Q(details__contains={f"{object_type}_id": text})
    if number:
        q |= Q(object_type="attachment", details__contains={object_type: number})
    return q


def _number_q(user, number: str) -> Q:
    """Events about the interception numbered `number`: those naming the number in `details`, and those
    about the interception itself, found by its id (resolved within the stations the auditor covers, so a
    number elsewhere finds only what names it)."""
    q = Q(details__contains={"number": number})
    q |= Q(object_type="attachment", details__contains={"interception": number})
    try:
        interception = apps.get_model("interception", "Interception")
    except LookupError:  # pragma: no cover - the interception app is always installed here
        return q
    covered = stations_for(user, RECORD_TYPE, Action.VIEW).values("pk")
    for pk in interception.objects.filter(number=number, station__in=covered).values_list("pk", flat=True):
        q |= about_record("interception", pk)
    return q


def event_list(*, user, filters: EventFilters | None = None) -> QuerySet[AccessEvent]:
    """The events `user` may read, filtered, newest first, with the station joined (no per-row queries).

    Not logged: it is a queryset, not yet read. Pages call `event_page`, which reads and logs."""
    f = filters or EventFilters()
    qs = event_scope(user).select_related("station")
    if f.actor:
        qs = qs.filter(actor_username=f.actor)
    if f.action:
        qs = qs.filter(action__startswith=f.action) if f.action.endswith(".") else qs.filter(action=f.action)
    if f.object_type and f.object_id:
        qs = qs.filter(about_record(f.object_type, f.object_id))
    elif f.object_type:
        qs = qs.filter(object_type=f.object_type)
    elif f.object_id:
        qs = qs.filter(Q(object_id=f.object_id) | Q(details__contains={"ids": [id_value(f.object_id)]}))
    if f.number:
        qs = qs.filter(_number_q(user, f.number))
    if f.station:
        qs = qs.filter(station__code=f.station.upper())
    if f.since:
        qs = qs.filter(at__gte=start_of(f.since))
    if f.until:
        qs = qs.filter(at__lt=end_of(f.until))
    return qs.order_by("-at", "-id")


def log_read(*, user, events: list[AccessEvent], action: str, details: dict | None = None, station=None):
    """Write the one event recording that `user` was shown `events` (their ids and stations), and return
    the events. Called by the selectors below (and the admin, whose own machinery fetches its rows)."""
    record_event(
        actor=user,
        action=action,
        station=station,
        details=details,
        object_type=LOG_OBJECT_TYPE,
        object_ids=[e.pk for e in events],
        stations=[e.station for e in events if e.station_id],
    )
    return events


def event_page(
    *,
    user,
    filters: EventFilters | None = None,
    page=None,
    per_page: int = PAGE_SIZE,
    strict: bool = False,
    api: bool = False,
) -> Page:
    """One page of the events `user` may read (rows already fetched), logged as an `audit.list` event with
    the filters, the count, the page number and the ids shown.

    `page`: a page number; out of range gives the last page, not a number the first (`strict`: raise
    `django.core.paginator.InvalidPage` instead, for the API; "last" is the last page)."""
    f = filters or EventFilters()
    paginator = Paginator(event_list(user=user, filters=f), per_page)
    if strict:
        shown = paginator.page(paginator.num_pages if page == "last" else (page or 1))
    else:
        shown = paginator.get_page(page)
    shown.object_list = list(shown.object_list)
    details = {"filters": f.as_details(), "count": paginator.count, "page": shown.number}
    if api:
        details["api"] = True
    log_read(user=user, events=shown.object_list, action="audit.list", details=details)
    return shown


def event_cursor_page(*, user, filters: EventFilters | None = None, paginator, request, view=None) -> list:
    """One cursor page of the events `user` may read, for the API: `paginator` (core.keyset.KeysetPagination,
    newest first by id) takes the page's rows from them. Logged as an `audit.list` event with the filters,
    the number of rows shown, page 1 for the first page (0 for a page reached by a cursor, `cursor`) and
    the ids shown. No count of every event: the log only grows."""
    f = filters or EventFilters()
    rows = list(paginator.paginate_queryset(event_list(user=user, filters=f), request, view=view))
    cursor = paginator.by_cursor
    details = {"filters": f.as_details(), "count": len(rows), "page": 0 if cursor else 1}
    details.update(cursor=cursor, api=True)
    log_read(user=user, events=rows, action="audit.list", details=details)
    return rows


def record_events(*, user, obj: Model) -> list[AccessEvent]:
    """Who accessed one record: its newest events (at most 50), for a panel on the record's page, in one
    query (`about_record`: its own events, list and bulk events naming it, downloads of its attachments,
    denied attempts on it). Showing the panel is logged (`audit.panel`, with the ids shown, at the
    record's station).

    Not scoped to `user`: the caller decides who may see the panel (e.g. the record's station manager).
    """
    object_type = obj._meta.model_name
    events = list(
        AccessEvent.objects.filter(about_record(object_type, obj.pk, number=getattr(obj, "number", None)))
        .select_related("station")
        .order_by("-at", "-id")[:RECORD_PANEL_LIMIT]
    )
    station = getattr(obj, "station", None)
    return log_read(
        user=user,
        events=events,
        action="audit.panel",
        station=station if isinstance(station, Station) else None,
        details={"record_type": object_type, "record_id": id_value(obj.pk)},
    )
