"""The access core: which stations a user may act at, as one SQL predicate.

Every selector builds its scoped queryset from `scope()`; nothing checks rows in Python loops.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Membership, Station
from .roles import Action, roles_granting


def _membership_covers_station(user, record_type: str, action: str) -> Q:
    roles = roles_granting(record_type, action)
    memberships = Membership.objects.filter(user_id=user.pk, role__in=roles)
    at_station = memberships.filter(station_id=OuterRef("pk"))
    in_country = memberships.filter(country_id=OuterRef("country_id"))
    return Q(Exists(at_station)) | Q(Exists(in_country))


def stations_for(user, record_type: str, action: str = Action.VIEW) -> QuerySet[Station]:
    """Stations where `user` holds a role that grants `action` on `record_type`."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Station.objects.none()
    if not roles_granting(record_type, action):
        return Station.objects.none()
    return Station.objects.filter(_membership_covers_station(user, record_type, action))


def scope(qs: QuerySet, user, record_type: str, action: str = Action.VIEW, station_field: str = "station"):
    """Narrow `qs` to the rows whose station lets `user` do `action` (a single SQL query)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    station_ids = stations_for(user, record_type, action).values("pk")
    return qs.filter(**{f"{station_field}__in": station_ids})


def can_at_station(user, station, record_type: str, action: str) -> bool:
    return stations_for(user, record_type, action).filter(pk=station.pk).exists()


def roles_of(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(Membership.objects.filter(user_id=user.pk).values_list("role", flat=True))
