"""Route counts: source (home district) -> border station -> intended destination, over the interceptions a
user may see (docs/interceptions.md "Routes").

One row per (period, source, station, destination) with the number of potential victims intercepted on that
route, from one GROUP BY query over the submitted interceptions of the reader's scope (`interception_scope`;
drafts are left out).

- source: the potential victim's home district (`Person.address_place`: a municipality's parent, or the
  district itself); "Unknown" otherwise (no place, or only a province).
- destination: the interceptee's destination district (`destination_place`, as above), else the
  destination country's name, else "Unknown".
- period: none (the whole range), or the month / quarter / year of the interception's local date.

Small counts identify people. A count below 11 at a station where the reader does not hold
`view_sensitive` on interceptions is shown as "<11" (`count` null, `count_display` "<11"). The only total
given is the sum of the exact counts shown (`total`), with the number of suppressed cells beside it, so no
suppressed cell can be recomputed from the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import Concat, TruncMonth, TruncQuarter, TruncYear
from django.utils.translation import gettext as _

from accounts.access import stations_for
from accounts.roles import Action
from audit.services import record_event
from people import countries
from people.models import PlaceKind

from .models import Interceptee, IntercepteeRole, Status

THRESHOLD = 11
SUPPRESSED = "<11"
PERIODS = ("month", "quarter", "year")
COUNTRY_PREFIX = "@"


@dataclass(frozen=True)
class RouteFilters:
    country: str | None = None  # the station's country (ISO code)
    since: date | None = None  # the interception's local date
    until: date | None = None
    period: str | None = None  # None, "month", "quarter" or "year"

    def as_details(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items() if v}


def _district(prefix: str):
    """The district of the place at `prefix` (a municipality's parent, or the district itself)."""
    return [
        When(**{f"{prefix}__kind": PlaceKind.MUNICIPALITY}, then=F(f"{prefix}__parent__name")),
        When(**{f"{prefix}__kind": PlaceKind.DISTRICT}, then=F(f"{prefix}__name")),
    ]


def _period_label(value, period: str | None) -> str | None:
    if not period or value is None:
        return None
    if period == "month":
        return f"{value.year:04d}-{value.month:02d}"
    if period == "quarter":
        return f"{value.year:04d}-Q{(value.month - 1) // 3 + 1}"
    return f"{value.year:04d}"


def country_choices(user) -> list[tuple[str, str]]:
    """(code, name) of the countries of the stations `user` may view interceptions at."""
    rows = (
        stations_for(user, "interception", Action.VIEW)
        .order_by("country__code")
        .values_list("country__code", "country__name")
        .distinct()
    )
    return [(code, name) for code, name in rows]


def route_rows(*, user, filters: RouteFilters) -> list[dict]:
    """The route counts `user` may see (unlogged: `route_counts` logs the read)."""
    from .selectors import interception_scope

    qs = Interceptee.objects.filter(
        role=IntercepteeRole.POTENTIAL_VICTIM,
        interception__status=Status.SUBMITTED,  # a draft is not yet a record of what happened
        interception__in=interception_scope(user).values("pk"),
    )
    if filters.country:
        qs = qs.filter(interception__station__country__code=filters.country.upper())
    if filters.since:
        qs = qs.filter(interception__occurred_on__gte=filters.since)
    if filters.until:
        qs = qs.filter(interception__occurred_on__lte=filters.until)
    trunc = {"month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}.get(filters.period or "")
    qs = qs.annotate(
        route_source=Case(*_district("person__address_place"), default=Value(""), output_field=CharField()),
        route_destination=Case(
            *_district("destination_place"),
            When(
                ~Q(destination_country=""),
                then=Concat(Value(COUNTRY_PREFIX), F("destination_country"), output_field=CharField()),
            ),
            default=Value(""),
            output_field=CharField(),
        ),
        route_station=F("interception__station__code"),
        route_station_name=F("interception__station__name"),
        route_period=trunc("interception__occurred_on") if trunc else Value(None, output_field=CharField()),
    )
    grouped = (
        qs.order_by()
        .values("route_period", "route_source", "route_station", "route_station_name", "route_destination")
        .annotate(n=Count("pk"))
        .order_by("route_period", "-n", "route_source", "route_station", "route_destination")
    )
    exact_at = set(stations_for(user, "interception", Action.VIEW_SENSITIVE).values_list("code", flat=True))
    unknown = _("Unknown")
    rows = []
    for row in grouped:
        destination = row["route_destination"]
        if destination.startswith(COUNTRY_PREFIX):
            code = destination[len(COUNTRY_PREFIX) :]
            destination = countries.name(code) or code
        exact = row["route_station"] in exact_at or row["n"] >= THRESHOLD
        rows.append(
            {
                "period": _period_label(row["route_period"], filters.period),
                "source": row["route_source"] or unknown,
                "station": row["route_station"],
                "station_name": row["route_station_name"],
                "destination": destination or unknown,
                "count": row["n"] if exact else None,
                "count_display": str(row["n"]) if exact else SUPPRESSED,
            }
        )
    return rows


def route_counts(*, user, filters: RouteFilters, api: bool = False) -> dict:
    """The route counts as a response shows them, the read logged once (`interception.routes`: the
    filters and the number of rows; no personal data): {"results", "total", "suppressed", "since",
    "until", "country", "period"}. `total` is the sum of the exact counts shown only."""
    rows = route_rows(user=user, filters=filters)
    details = {"filters": filters.as_details(), "rows": len(rows)}
    if api:
        details["api"] = True
    record_event(
        actor=user,
        action="interception.routes",
        object_type="interception",
        stations=sorted({r["station"] for r in rows}),
        details=details,
    )
    return {
        "results": rows,
        "total": sum(r["count"] for r in rows if r["count"] is not None),
        "suppressed": sum(1 for r in rows if r["count"] is None),
        "since": filters.since.isoformat() if filters.since else None,
        "until": filters.until.isoformat() if filters.until else None,
        "country": filters.country or None,
        "period": filters.period or None,
    }
