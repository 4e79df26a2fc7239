"""Every read of interceptions, already scoped to the user (accounts.access.scope)."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from accounts.access import scope, stations_for
from accounts.models import Station
from accounts.roles import Action

from .models import Attachment, Interceptee, IntercepteeRole, Interception, RedFlag


@dataclass(frozen=True)
class InterceptionFilters:
    station: str | None = None  # station code
    date_from: date | None = None  # local date at the station
    date_to: date | None = None
    status: str | None = None
    min_score: int | None = None
    number: str | None = None  # part of the interception number

    def as_details(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items() if v}


def red_flags_for_station(station: Station) -> QuerySet[RedFlag]:
    return RedFlag.objects.filter(Q(country__isnull=True) | Q(country_id=station.country_id), active=True)


def red_flags_for_user(user) -> QuerySet[RedFlag]:
    countries = stations_for(user, "interception", Action.ADD).values("country_id")
    return RedFlag.objects.filter(Q(country__isnull=True) | Q(country_id__in=countries), active=True)


def interception_scope(user, action: str = Action.VIEW) -> QuerySet[Interception]:
    return scope(Interception.objects.all(), user, "interception", action)


def interception_list(*, user, filters: InterceptionFilters | None = None) -> QuerySet[Interception]:
    """The interceptions `user` may see, filtered, with what a list row shows in a fixed number of
    queries (no per-row queries, whatever the page size)."""
    f = filters or InterceptionFilters()
    qs = interception_scope(user).select_related("station")
    if f.station:
        qs = qs.filter(station__code=f.station.upper())
    if f.date_from:
        qs = qs.filter(occurred_on__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(occurred_on__lte=f.date_to)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.min_score is not None:
        qs = qs.filter(red_flag_score__gte=f.min_score)
    if f.number:
        qs = qs.filter(number__icontains=f.number.strip())
    return qs.annotate(
        victim_count=Count("interceptees", filter=Q(interceptees__role=IntercepteeRole.POTENTIAL_VICTIM)),
        suspect_count=Count("interceptees", filter=Q(interceptees__role=IntercepteeRole.SUSPECT)),
    ).order_by("-occurred_at", "-id")


def with_details(qs: QuerySet[Interception]) -> QuerySet[Interception]:
    """Prefetch what a full record shows (people, flags, monitors, attachments)."""
    return qs.select_related("station", "created_by").prefetch_related(
        Prefetch("interceptees", queryset=Interceptee.objects.select_related("person").order_by("id")),
        Prefetch("red_flags", queryset=RedFlag.objects.order_by("group", "sort_order", "code")),
        "monitors",
        "attachments",
    )


def interception_get(*, user, pk, action: str = Action.VIEW) -> Interception:
    """One interception the user may act on, or 404 (not found and not allowed look the same)."""
    try:
        return with_details(interception_scope(user, action)).get(pk=int(pk))
    except (Interception.DoesNotExist, ValueError, TypeError):
        raise Http404("No such interception.") from None


def attachment_get(*, user, interception_pk, pk) -> Attachment:
    qs = scope(
        Attachment.objects.select_related("interception__station"),
        user,
        "attachment",
        Action.VIEW,
        station_field="interception__station",
    )
    try:
        return qs.get(pk=int(pk), interception_id=int(interception_pk))
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such attachment.") from None


def stations_for_recording(user) -> QuerySet[Station]:
    return stations_for(user, "interception", Action.ADD).filter(active=True).select_related("country")
