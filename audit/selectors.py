"""Every read of the access log, already scoped to the reader."""

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Exists, Model, Q, QuerySet
from django.utils import timezone

from accounts.access import stations_for
from accounts.roles import Action

from .models import AccessEvent
from .policies import RECORD_TYPE, log_reader_memberships

RECORD_PANEL_LIMIT = 50


@dataclass(frozen=True)
class EventFilters:
    actor: str | None = None  # username, exact
    action: str | None = None  # exact, or a prefix when it ends with "."
    object_type: str | None = None
    object_id: str | None = None
    station: str | None = None  # station code
    since: date | datetime | None = None  # a date means from the start of that day (UTC)
    until: date | datetime | None = None  # a date means to the end of that day (UTC)

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


def event_scope(user) -> QuerySet[AccessEvent]:
    """The events `user` may read, as one SQL predicate.

    An auditor reads the events of the stations their role covers; an auditor holding the role for a whole
    country also reads the events tied to no station (sign-ins, user and token changes, log reads).
    Everyone else reads nothing.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return AccessEvent.objects.none()
    stations = stations_for(user, RECORD_TYPE, Action.VIEW).values("pk")
    country_level = log_reader_memberships(user).filter(country__isnull=False)
    return AccessEvent.objects.filter(
        Q(station__in=stations) | Q(Exists(country_level), station__isnull=True)
    )


def event_list(*, user, filters: EventFilters | None = None) -> QuerySet[AccessEvent]:
    """The events `user` may read, filtered, newest first, with the station joined (no per-row queries)."""
    f = filters or EventFilters()
    qs = event_scope(user).select_related("station")
    if f.actor:
        qs = qs.filter(actor_username=f.actor)
    if f.action:
        qs = qs.filter(action__startswith=f.action) if f.action.endswith(".") else qs.filter(action=f.action)
    if f.object_type:
        qs = qs.filter(object_type=f.object_type)
    if f.object_id:
        qs = qs.filter(object_id=f.object_id)
    if f.station:
        qs = qs.filter(station__code=f.station.upper())
    if f.since:
        qs = qs.filter(at__gte=start_of(f.since))
    if f.until:
        qs = qs.filter(at__lt=end_of(f.until))
    return qs.order_by("-at", "-id")


def record_events(*, user, obj: Model) -> QuerySet[AccessEvent]:
    """Who accessed one record: its newest events (at most 50), for a panel on the record's page.

    Not scoped to `user`: the caller decides who may see the panel (e.g. the record's station manager).
    """
    return (
        AccessEvent.objects.filter(object_type=obj._meta.model_name, object_id=str(obj.pk))
        .select_related("station")
        .order_by("-at", "-id")[:RECORD_PANEL_LIMIT]
    )
