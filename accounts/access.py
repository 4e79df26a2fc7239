"""The access core: who may do what to which rows, as one SQL predicate.

A user may act on a record when they hold a role granting the action at the record's station (a station
membership, or a country membership covering it), or when the record was shared with them or one of their
groups (django-guardian, with a direct foreign-key permission model per protected model). Every selector
builds its queryset from `scope()`; nothing checks rows in Python loops.
"""

from dataclasses import dataclass

from django.db.models import BooleanField, Exists, ExpressionWrapper, Model, OuterRef, Q, QuerySet

from .models import Membership, Station
from .roles import Action, roles_granting


@dataclass(frozen=True)
class Grants:
    """The direct foreign-key object-permission models of one protected model."""

    user_model: type[Model]
    group_model: type[Model]
    model_name: str  # codenames are "<action>_<model_name>"

    def codename(self, action: str) -> str:
        return f"{action}_{self.model_name}"


# Object-grant models per record type, registered by each app in its AppConfig.ready().
REGISTERED_GRANTS: dict[str, Grants] = {}


def register_grants(record_type: str, grants: Grants) -> None:
    REGISTERED_GRANTS[record_type] = grants


def has_any_grant(user, action: str) -> bool:
    """Whether any record of any type was shared with `user` (or a group of theirs) for `action`."""
    for grants in REGISTERED_GRANTS.values():
        by_user, by_group = granted_object_ids(user, grants, action)
        if by_user.exists() or by_group.exists():
            return True
    return False


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _membership_covers_station(user, record_type: str, action: str) -> Q:
    roles = roles_granting(record_type, action)
    memberships = Membership.objects.filter(user_id=user.pk, role__in=roles)
    at_station = memberships.filter(station_id=OuterRef("pk"))
    in_country = memberships.filter(country_id=OuterRef("country_id"))
    return Q(Exists(at_station)) | Q(Exists(in_country))


def stations_for(user, record_type: str, action: str = Action.VIEW) -> QuerySet[Station]:
    """Stations where `user` holds a role that grants `action` on `record_type`."""
    if not _active(user) or not roles_granting(record_type, action):
        return Station.objects.none()
    return Station.objects.filter(_membership_covers_station(user, record_type, action))


def granted_object_ids(user, grants: Grants, action: str) -> Q:
    """Ids of objects shared with `user` or their groups for `action` (two subqueries, no rows fetched)."""
    codename = grants.codename(action)
    by_user = grants.user_model.objects.filter(user_id=user.pk, permission__codename=codename)
    by_group = grants.group_model.objects.filter(group__user=user.pk, permission__codename=codename)
    return by_user.values("content_object_id"), by_group.values("content_object_id")


def predicate(
    user,
    record_type: str,
    action: str = Action.VIEW,
    *,
    station_field: str = "station",
    grants: Grants | None = None,
    object_field: str = "pk",
) -> Q:
    """The SQL condition under which `user` may do `action` on a row."""
    if not _active(user):
        return Q(pk__in=[])
    condition = Q(**{f"{station_field}__in": stations_for(user, record_type, action).values("pk")})
    if grants is not None:
        by_user, by_group = granted_object_ids(user, grants, action)
        condition |= Q(**{f"{object_field}__in": by_user}) | Q(**{f"{object_field}__in": by_group})
    return condition


def scope(qs: QuerySet, user, record_type: str, action: str = Action.VIEW, **kwargs) -> QuerySet:
    """Narrow `qs` to the rows `user` may do `action` on (a single SQL query)."""
    if not _active(user):
        return qs.none()
    return qs.filter(predicate(user, record_type, action, **kwargs))


def annotate_allowed(qs: QuerySet, user, record_type: str, action: str, name: str, **kwargs) -> QuerySet:
    """Add a boolean column `name`: whether `user` may do `action` on each row (still one query)."""
    return qs.annotate(
        **{
            name: ExpressionWrapper(
                predicate(user, record_type, action, **kwargs), output_field=BooleanField()
            )
        }
    )


def can_at_station(user, station, record_type: str, action: str) -> bool:
    return stations_for(user, record_type, action).filter(pk=station.pk).exists()


def roles_of(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(Membership.objects.filter(user_id=user.pk).values_list("role", flat=True))
