"""The access core: who may do what to which rows, as one plain Django `Q`.

A user may act on a record when they hold a role granting the action at the record's station (a station
membership, or a country membership covering it), or when the record was shared with them or one of their
groups (django-guardian, with a direct foreign-key permission model per protected model). Every selector
builds its queryset from `scope()`; nothing checks rows in Python loops.

First the user's `AccessProfile` is read, in one small query, at most once per request (`access_cache`):
per role, the ids of the stations their memberships cover; per registered grant model, the codenames they
hold on at least one object. The predicate is then an ordinary `Q`:

    <station column> = ANY(<the station ids of the roles granting the action>)  -- constants
    OR <object column> = ANY(ARRAY(<objects shared with the user or their groups for the action>))

The station ids are constants (the `any` lookup, core/lookups.py: one array parameter, or `= id` for one
station), so the planner estimates a monitor's one station and a director's 150 from its statistics.
`ANY(ARRAY(subquery))` (the `any_array` lookup, with a statement prebuilt per grant model, the user id and
the codename as parameters) is computed once per query (an InitPlan), so PostgreSQL can combine index scans
on the two columns; `col IN (subquery)` inside an `OR` would test a hashed subplan on every row. An arm
that cannot match is left out (no station: no station arm; no grant with that codename: no grant arm); with
neither, `scope()` returns `qs.none()`. See docs/access.md and docs/benchmarks.md.
"""

from dataclasses import dataclass
from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connections, router
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL

import core.lookups  # noqa: F401 (registers the any_array lookup)

from . import access_cache
from .models import Membership, Station
from .roles import PERMISSIONS, Action, roles_granting


@dataclass(frozen=True)
class Grants:
    """The direct foreign-key object-permission models of one protected model."""

    user_model: type[Model]
    group_model: type[Model]
    model_name: str  # codenames are "<action>_<model_name>"
    # A column of both grant models holding when the grant lapses (NULL: never); a lapsed grant gives
    # nothing from that moment on, in the profile and in the predicate (a case referral: docs/cases.md).
    expires_field: str | None = None

    def codename(self, action: str) -> str:
        return f"{action}_{self.model_name}"


# Object-grant models per record type, registered by each app in its AppConfig.ready().
REGISTERED_GRANTS: dict[str, Grants] = {}


def register_grants(record_type: str, grants: Grants) -> None:
    REGISTERED_GRANTS[record_type] = grants
    access_cache.watch(grants.user_model, grants.group_model)


# A membership or a change of a user's groups changes what they may see: the next read sees it.
access_cache.watch(Membership)
access_cache.watch_groups(get_user_model())


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


@cache
def _roles(record_type: str, action: str) -> tuple[str, ...]:
    """`roles_granting`, computed once per (record type, action): the permission table is static."""
    return tuple(roles_granting(str(record_type), str(action)))


# --- the profile -------------------------------------------------------------------------------------
# SQL built from the models' own table and column names, quoted, never from input: the user id and the
# codename are its only parameters (%s). Its aliases (access_*) cannot be confused with Django's.


def _names(model: type[Model], qn, *fields: str) -> list[str]:
    """The quoted table name of `model`, then the quoted column of each of `fields` ("pk": primary key)."""
    meta = model._meta
    columns = [meta.pk.column if f == "pk" else meta.get_field(f).column for f in fields]
    return [qn(meta.db_table), *(qn(c) for c in columns)]


def _user_groups(qn) -> tuple[str, str, str]:
    groups = get_user_model()._meta.get_field("groups")
    return qn(groups.m2m_db_table()), qn(groups.m2m_column_name()), qn(groups.m2m_reverse_name())


def _profile_sql(qn, grant_models: tuple[Grants, ...]) -> str:
    """One user's access profile as one JSON value: an array of [kind, name, station id] rows, with
    ["m", role, station] for each station a membership covers, and ["g<i>", codename, null] for each
    permission the user holds on some object of grant model i, directly or through a group.
    Parameters: the user id, 2 + 2 per grant model times."""
    membership, user, role, station, country = _names(Membership, qn, "user", "role", "station", "country")
    stations, s_pk, s_country = _names(Station, qn, "pk", "country")
    rows = [
        f"SELECT 'm', access_m.{role}, access_m.{station} FROM {membership} access_m "  # noqa: S608
        f"WHERE access_m.{user} = %s AND access_m.{station} IS NOT NULL",
        f"SELECT 'm', access_m.{role}, access_s.{s_pk} FROM {stations} access_s "  # noqa: S608
        f"INNER JOIN {membership} access_m ON access_m.{country} = access_s.{s_country} "
        f"WHERE access_m.{user} = %s",
    ]
    permission, p_pk, codename = _names(Permission, qn, "pk", "codename")
    member_of, member_user, member_group = _user_groups(qn)
    for i, grants in enumerate(grant_models):
        by_user, u_permission, u_user = _names(grants.user_model, qn, "permission", "user")
        by_group, g_permission, g_group = _names(grants.group_model, qn, "permission", "group")
        live = _live(qn, grants)
        rows.append(
            f"SELECT 'g{i}', access_p.{codename}, NULL FROM {permission} access_p "  # noqa: S608
            f"WHERE access_p.{p_pk} IN (SELECT access_g.{u_permission} FROM {by_user} access_g "
            f"WHERE access_g.{u_user} = %s{live} "
            f"UNION SELECT access_g.{g_permission} FROM {by_group} access_g "
            f"INNER JOIN {member_of} access_ug ON access_ug.{member_group} = access_g.{g_group} "
            f"WHERE access_ug.{member_user} = %s{live})"
        )
    return (
        "SELECT (SELECT json_agg(json_build_array(access_r.k, access_r.n, access_r.s)) "  # noqa: S608
        f"FROM ({' UNION ALL '.join(rows)}) AS access_r (k, n, s))"
    )


def _live(qn, grants: Grants) -> str:
    """The condition (" AND ...", on alias access_g) that a grant has not lapsed, or "" for grants that
    never do."""
    if not grants.expires_field:
        return ""
    column = qn(grants.user_model._meta.get_field(grants.expires_field).column)
    return f" AND (access_g.{column} IS NULL OR access_g.{column} > now())"


def _granted_sql(qn, grants: Grants) -> str:
    """Ids of the objects shared with the user, or with a group of theirs, under one permission codename.
    Parameters: user id, codename, user id, codename."""
    by_user, u_object, u_permission, u_user = _names(
        grants.user_model, qn, "content_object", "permission", "user"
    )
    by_group, g_object, g_permission, g_group = _names(
        grants.group_model, qn, "content_object", "permission", "group"
    )
    permission, p_pk, codename = _names(Permission, qn, "pk", "codename")
    member_of, member_user, member_group = _user_groups(qn)
    live = _live(qn, grants)
    return (
        f"SELECT access_g.{u_object} FROM {by_user} access_g "  # noqa: S608 (see above)
        f"INNER JOIN {permission} access_p ON access_p.{p_pk} = access_g.{u_permission} "
        f"WHERE access_g.{u_user} = %s AND access_p.{codename} = %s{live} "
        f"UNION ALL SELECT access_g.{g_object} FROM {by_group} access_g "
        f"INNER JOIN {permission} access_p ON access_p.{p_pk} = access_g.{g_permission} "
        f"INNER JOIN {member_of} access_ug ON access_ug.{member_group} = access_g.{g_group} "
        f"WHERE access_ug.{member_user} = %s AND access_p.{codename} = %s{live}"
    )


_SQL: dict[tuple, str] = {}  # generated SQL per (builder, database vendor, argument): built on first use


def _sql(build, model: type[Model], arg) -> tuple[str, object]:
    """The SQL `build(quote_name, arg)` for the database `model` is read from, and that connection."""
    connection = connections[router.db_for_read(model)]
    key = (build, connection.vendor, arg)
    if key not in _SQL:
        _SQL[key] = build(connection.ops.quote_name, arg)
    return _SQL[key], connection


class AccessProfile:
    """What one user holds: the stations each of their roles covers (station and country memberships), and
    for each registered grant model the codenames they hold on at least one object. `profile_of(user)`
    reads it (one query) or takes it from the request's memo."""

    def __init__(self, user_id: int):
        self.user_id = user_id
        self.grant_models = tuple(REGISTERED_GRANTS.values())
        self._stations: dict[str, set[int]] = {}
        self._codenames: dict[Grants, set[str]] = {}

    @classmethod
    def read(cls, user_id: int) -> "AccessProfile":
        """The profile of `user_id`, read now in one query."""
        profile = cls(user_id)
        sql, connection = _sql(_profile_sql, Membership, profile.grant_models)
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_id] * (2 + 2 * len(profile.grant_models)))
            profile.load(cursor.fetchone()[0])
        return profile

    def load(self, rows) -> None:
        """Keep the rows the profile's SQL returned (a list of [kind, name, station] rows, None for none)."""
        stations: dict[str, set[int]] = {}
        codenames: dict[Grants, set[str]] = {grants: set() for grants in self.grant_models}
        for kind, name, station in rows or ():
            if kind == "m":
                stations.setdefault(name, set()).add(station)
            else:
                codenames[self.grant_models[int(kind[1:])]].add(name)
        self._stations, self._codenames = stations, codenames

    def stations(self, roles) -> list[int]:
        """Ids of the stations where the user holds one of `roles`, sorted."""
        return sorted(set().union(*(self._stations.get(role, ()) for role in roles)))

    def roles_at(self, station_id: int) -> set[str]:
        """The roles the user holds at one station (there, or in its country)."""
        return {role for role, ids in self._stations.items() if station_id in ids}

    def holds(self, grants: Grants, codename: str) -> bool:
        """Whether the user (or a group of theirs) holds `codename` on at least one `grants` object; True
        for a grant model that was not registered (the profile does not know: the grant arm stays)."""
        held = self._codenames.get(grants)
        return held is None or codename in held


def profile_of(user) -> AccessProfile:
    """The access profile of an active `user`: from the request's memo, else read now (one query)."""
    profile = access_cache.memoized(user.pk)
    if profile is None:
        profile = AccessProfile.read(user.pk)
        access_cache.remember(user.pk, profile)
    return profile


# --- questions about the user ------------------------------------------------------------------------


def has_any_grant(user, action: str) -> bool:
    """Whether any record of any type was shared with `user` (or a group of theirs) for `action`."""
    if getattr(user, "pk", None) is None:
        return False
    profile = profile_of(user)
    return any(profile.holds(grants, grants.codename(action)) for grants in REGISTERED_GRANTS.values())


def _membership_covers_station(user, record_type: str, action: str) -> Q:
    roles = _roles(record_type, action)
    memberships = Membership.objects.filter(user_id=user.pk, role__in=roles)
    at_station = memberships.filter(station_id=OuterRef("pk"))
    in_country = memberships.filter(country_id=OuterRef("country_id"))
    return Q(Exists(at_station)) | Q(Exists(in_country))


def stations_for(user, record_type: str, action: str = Action.VIEW) -> QuerySet[Station]:
    """Stations where `user` holds a role that grants `action` on `record_type`: by their ids when the
    request has read the user's profile already, else through the memberships (no query added). With no
    station, still a queryset whose SQL compiles (callers may use it as a subquery or read its SQL)."""
    roles = _roles(record_type, action)
    if not _active(user) or not roles:
        return Station.objects.none()
    profile = access_cache.memoized(user.pk)
    ids = profile.stations(roles) if profile is not None else []
    if ids:
        return Station.objects.filter(pk__any=ids)
    return Station.objects.filter(_membership_covers_station(user, record_type, action))


def holds_anywhere(user, record_type: str, action: str = Action.VIEW) -> bool:
    """Whether `user` holds a role granting `action` on `record_type` at any station: answered from the
    request's access profile (read once per request), so a page's "can add" or "can export" costs no
    query of its own."""
    roles = _roles(record_type, action)
    if not _active(user) or not roles:
        return False
    return bool(profile_of(user).stations(roles))


def granted_object_ids(user, grants: Grants, action: str) -> tuple[QuerySet, QuerySet]:
    """Ids of objects shared with `user` or their groups for `action` (two subqueries, no rows fetched)."""
    codename = grants.codename(action)
    by_user = grants.user_model.objects.filter(user_id=user.pk, permission__codename=codename)
    groups = get_user_model().groups.through.objects.filter(user_id=user.pk).values("group_id")
    by_group = grants.group_model.objects.filter(group_id__in=groups, permission__codename=codename)
    if grants.expires_field:
        from django.db.models.functions import Now

        live = Q(**{f"{grants.expires_field}__isnull": True}) | Q(**{f"{grants.expires_field}__gt": Now()})
        by_user, by_group = by_user.filter(live), by_group.filter(live)
    return by_user.values("content_object_id"), by_group.values("content_object_id")


def can_at_station(user, station, record_type: str, action: str) -> bool:
    if not _active(user):
        return False
    return station.pk in profile_of(user).stations(_roles(record_type, action))


def station_rights(user, station) -> frozenset[tuple[str, str]]:
    """Every (record type, action) the user's memberships grant at one station, for a page that asks
    several `can_at_station` questions about the same station:
    `("interception", "share") in station_rights(user, station)`."""
    if not _active(user):
        return frozenset()
    roles = profile_of(user).roles_at(station.pk)
    return frozenset(
        (record_type, str(action))
        for record_type, table in PERMISSIONS.items()
        for role, actions in table.items()
        if str(role) in roles
        for action in actions
    )


# --- the predicate -----------------------------------------------------------------------------------

# A predicate that is never true (an inactive or anonymous user; no role granting the action anywhere and
# no grant that could).
NEVER = Value(False, output_field=BooleanField())


def predicate(
    user,
    record_type: str,
    action: str = Action.VIEW,
    *,
    station_field: str = "station",
    grants: Grants | None = None,
    object_field: str = "pk",
    profile: AccessProfile | None = None,
) -> Q | Value:
    """The condition under which `user` may do `action` on a row: a `Q` (for `.filter()`, or wrapped as an
    annotation), or `NEVER`. Reads the user's profile (see `profile_of`) unless `profile` is given."""
    roles = _roles(record_type, action)
    if not _active(user) or (not roles and grants is None):
        return NEVER
    profile = profile or profile_of(user)
    condition = Q()
    station_ids = profile.stations(roles)
    if station_ids:
        condition |= Q(**{f"{station_field}__any": station_ids})  # = ANY(<the ids>): one parameter
    codename = grants.codename(action) if grants is not None else None
    if grants is not None and profile.holds(grants, codename):
        # the ids granted (granted_object_ids, as one prebuilt statement: compiling the two ORM subqueries
        # cost about 1 ms of Python per query; the user id and the codename are parameters)
        granted, _ = _sql(_granted_sql, grants.user_model, grants)
        params = [user.pk, codename, user.pk, codename]
        ids = RawSQL(granted, params, IntegerField())  # noqa: S611 (built from _meta, values are params)
        condition |= Q(**{f"{object_field}__any_array": ids})
    return condition if condition else NEVER


def scope(qs: QuerySet, user, record_type: str, action: str = Action.VIEW, **kwargs) -> QuerySet:
    """Narrow `qs` to the rows `user` may do `action` on."""
    condition = predicate(user, record_type, action, **kwargs)
    if condition is NEVER:
        return qs.none()
    return qs.filter(condition)


def annotate_allowed(qs: QuerySet, user, record_type: str, action: str, name: str, **kwargs) -> QuerySet:
    """Add a boolean column `name`: whether `user` may do `action` on each row (same query)."""
    condition = predicate(user, record_type, action, **kwargs)
    if condition is not NEVER:
        condition = ExpressionWrapper(condition, output_field=BooleanField())
    return qs.annotate(**{name: condition})
