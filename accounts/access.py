"""The access core: who may do what to which rows, as one SQL predicate.

A user may act on a record when they hold a role granting the action at the record's station (a station
membership, or a country membership covering it), or when the record was shared with them or one of their
groups (django-guardian, with a direct foreign-key permission model per protected model). Every selector
builds its queryset from `scope()`; nothing checks rows in Python loops.

The predicate is one boolean SQL expression (`AccessCondition`), used in `.filter()` and as an annotation:

    (<station column> = ANY(<the stations where the user holds a role granting the action>)
     OR <object column> = ANY(ARRAY(<objects shared with the user or their groups for the action>)))

`ANY(ARRAY(subquery))` is computed once per query (an InitPlan), so PostgreSQL combines index scans on the
two columns; `col IN (subquery)` inside an `OR` would test a hashed subplan on every row instead. The SQL is
generated once per grant model from the models' table and column names; the user id, the role list and
the permission codename are its parameters. The columns are ordinary expressions (`F("station")`,
`F("interception__station")`), so Django makes the joins and aliases.

What the planner cannot know is how many stations the subquery returns (one for a monitor, 150 for a
country director), nor that a user holds no grants, so the `OR` alone would be planned alike for both and
always need the table's pages. So the user's `AccessProfile` (their memberships expanded to stations, and
which grant codenames they hold) is read in the same statement as the paginator's `count()`, which counts
the two arms apart (index-only scans), and the later queries of the same queryset (the page) use the
station ids as constants and leave out an arm that cannot match. No query is added. See docs/benchmarks.md.
"""

import copy
from dataclasses import dataclass
from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BooleanField, Exists, Expression, F, Model, OuterRef, Q, QuerySet, Value
from django.db.models.lookups import Lookup
from django.db.models.sql.where import AND, WhereNode

from .models import Membership, Station
from .roles import PERMISSIONS, Action, roles_granting


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


@cache
def _roles(record_type: str, action: str) -> tuple[str, ...]:
    """`roles_granting`, computed once per (record type, action): the permission table is static."""
    return tuple(roles_granting(str(record_type), str(action)))


def _membership_covers_station(user, record_type: str, action: str) -> Q:
    roles = _roles(record_type, action)
    memberships = Membership.objects.filter(user_id=user.pk, role__in=roles)
    at_station = memberships.filter(station_id=OuterRef("pk"))
    in_country = memberships.filter(country_id=OuterRef("country_id"))
    return Q(Exists(at_station)) | Q(Exists(in_country))


def stations_for(user, record_type: str, action: str = Action.VIEW) -> QuerySet[Station]:
    """Stations where `user` holds a role that grants `action` on `record_type`."""
    if not _active(user) or not _roles(record_type, action):
        return Station.objects.none()
    return Station.objects.filter(_membership_covers_station(user, record_type, action))


def granted_object_ids(user, grants: Grants, action: str) -> tuple[QuerySet, QuerySet]:
    """Ids of objects shared with `user` or their groups for `action` (two subqueries, no rows fetched)."""
    codename = grants.codename(action)
    by_user = grants.user_model.objects.filter(user_id=user.pk, permission__codename=codename)
    by_group = grants.group_model.objects.filter(group__user=user.pk, permission__codename=codename)
    return by_user.values("content_object_id"), by_group.values("content_object_id")


# --- the SQL -----------------------------------------------------------------------------------------
# Built from the models' own table and column names, quoted, never from input: the user id, the roles
# and the codename are parameters (%s). Its aliases (access_*) cannot be confused with Django's (table
# names, T1, U0...), so they never hide a column of the outer query.


def _names(model: type[Model], qn, *fields: str) -> list[str]:
    """The quoted table name of `model`, then the quoted column of each of `fields` ("pk": primary key)."""
    meta = model._meta
    columns = [meta.pk.column if f == "pk" else meta.get_field(f).column for f in fields]
    return [qn(meta.db_table), *(qn(c) for c in columns)]


def _stations_sql(qn, _=None) -> str:
    """Ids of the stations covered by the user's memberships with one of the roles (a station membership, or
    a country membership: every station of that country). Parameters: user id, roles, user id, roles."""
    membership, user, role, station, country = _names(Membership, qn, "user", "role", "station", "country")
    stations, s_pk, s_country = _names(Station, qn, "pk", "country")
    return (
        f"SELECT access_m.{station} FROM {membership} access_m "  # noqa: S608 (see above)
        f"WHERE access_m.{user} = %s AND access_m.{role} = ANY(%s) AND access_m.{station} IS NOT NULL "
        f"UNION ALL SELECT access_s.{s_pk} FROM {stations} access_s "
        f"INNER JOIN {membership} access_m ON access_m.{country} = access_s.{s_country} "
        f"WHERE access_m.{user} = %s AND access_m.{role} = ANY(%s)"
    )


def _user_groups(qn) -> tuple[str, str, str]:
    groups = get_user_model()._meta.get_field("groups")
    return qn(groups.m2m_db_table()), qn(groups.m2m_column_name()), qn(groups.m2m_reverse_name())


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
    return (
        f"SELECT access_g.{u_object} FROM {by_user} access_g "  # noqa: S608 (see above)
        f"INNER JOIN {permission} access_p ON access_p.{p_pk} = access_g.{u_permission} "
        f"WHERE access_g.{u_user} = %s AND access_p.{codename} = %s "
        f"UNION ALL SELECT access_g.{g_object} FROM {by_group} access_g "
        f"INNER JOIN {permission} access_p ON access_p.{p_pk} = access_g.{g_permission} "
        f"INNER JOIN {member_of} access_ug ON access_ug.{member_group} = access_g.{g_group} "
        f"WHERE access_ug.{member_user} = %s AND access_p.{codename} = %s"
    )


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
        rows.append(
            f"SELECT 'g{i}', access_p.{codename}, NULL FROM {permission} access_p "  # noqa: S608
            f"WHERE access_p.{p_pk} IN (SELECT access_g.{u_permission} FROM {by_user} access_g "
            f"WHERE access_g.{u_user} = %s UNION SELECT access_g.{g_permission} FROM {by_group} access_g "
            f"INNER JOIN {member_of} access_ug ON access_ug.{member_group} = access_g.{g_group} "
            f"WHERE access_ug.{member_user} = %s)"
        )
    return (
        "(SELECT json_agg(json_build_array(access_r.k, access_r.n, access_r.s)) "  # noqa: S608
        f"FROM ({' UNION ALL '.join(rows)}) AS access_r (k, n, s))"
    )


_SQL: dict[tuple, str] = {}  # generated SQL per (database vendor, builder, argument): built on first use


def _sql(connection, build, arg=None) -> str:
    key = (connection.vendor, build, arg)
    if key not in _SQL:
        _SQL[key] = build(connection.ops.quote_name, arg)
    return _SQL[key]


# --- the predicate -----------------------------------------------------------------------------------


class AccessProfile:
    """What one user holds: the stations each of their roles covers (station and country memberships), and
    for each registered grant model the codenames they hold on at least one object.

    Every predicate of one queryset shares one profile (the row filter and the `can_see_sensitive` flag;
    the clones the paginator counts and slices). It starts empty: predicates compile to subqueries. The
    first `count()` of a scoped queryset reads it in the same statement as the count; from then on the
    predicates of that queryset compile with the station ids as constants, and without an arm that
    cannot match. So a list page reads the memberships and grants it filters on in the count's snapshot,
    and runs its page with them."""

    def __init__(self, user_id: int):
        self.user_id = user_id
        self.grant_models = tuple(REGISTERED_GRANTS.values())
        self.loaded = False
        self._stations: dict[str, set[int]] = {}
        self._codenames: dict[Grants, set[str]] = {}

    def sql(self, connection) -> tuple[str, list]:
        """The profile as one scalar SQL expression (JSON), and its parameters."""
        params = [self.user_id] * (2 + 2 * len(self.grant_models))
        return _sql(connection, _profile_sql, self.grant_models), params

    def load(self, rows) -> None:
        """Keep the profile read by `sql()` (a list of [kind, name, station] rows, or None for none)."""
        stations: dict[str, set[int]] = {}
        codenames: dict[Grants, set[str]] = {grants: set() for grants in self.grant_models}
        for kind, name, station in rows or ():
            if kind == "m":
                stations.setdefault(name, set()).add(station)
            else:
                codenames[self.grant_models[int(kind[1:])]].add(name)
        self._stations, self._codenames, self.loaded = stations, codenames, True

    def stations(self, roles) -> list[int]:
        """Ids of the stations where the user holds one of `roles` (the profile must be loaded)."""
        return sorted(set().union(*(self._stations.get(role, ()) for role in roles)))

    def may_hold(self, grants: Grants, codename: str) -> bool:
        """False when the loaded profile shows the user holds no `codename` grant on `grants` objects."""
        held = self._codenames.get(grants)
        return not self.loaded or held is None or codename in held


# Which arms of the predicate to compile: both (the predicate); for the two parts of a count, the station
# arm alone, and the grant arm for rows where the station arm is not true.
BOTH, STATIONS, SHARED_ELSEWHERE = "both", "stations", "shared_elsewhere"


class AccessCondition(Expression):
    """Whether the user may do the action on the row: one boolean SQL expression (see the module's doc).

    `roles`: the roles granting the action at a station (none: no station arm); `grants` and `codename`:
    the object grants to honour (None: no grant arm)."""

    conditional = True
    output_field = BooleanField()

    def __init__(
        self,
        profile: AccessProfile,
        *,
        roles: tuple[str, ...] = (),
        station_field: str = "station",
        grants: Grants | None = None,
        codename: str | None = None,
        object_field: str = "pk",
    ):
        super().__init__()
        self.profile = profile
        self.roles = tuple(roles)
        self.grants = grants
        self.codename = codename
        self.mode = BOTH
        self.station = F(station_field) if roles else None
        self.object = F(object_field) if grants is not None else None

    def __repr__(self) -> str:
        return f"<AccessCondition user={self.profile.user_id} roles={self.roles} codename={self.codename}>"

    def get_source_expressions(self):
        return [e for e in (self.station, self.object) if e is not None]

    def set_source_expressions(self, exprs):
        exprs = list(exprs)
        if self.station is not None:
            self.station = exprs.pop(0)
        if self.object is not None:
            self.object = exprs.pop(0)

    def get_group_by_cols(self):
        return [col for expr in self.get_source_expressions() for col in expr.get_group_by_cols()]

    @property
    def identity(self):
        return (*super().identity, ("mode", self.mode))

    def only(self, mode: str) -> "AccessCondition":
        """A copy compiling only some arms (`STATIONS` or `SHARED_ELSEWHERE`), for a split count."""
        clone = copy.copy(self)
        clone.mode = mode
        return clone

    def _station_sql(self, compiler, connection) -> tuple[str | None, list]:
        """`col = ANY(...)`, or None when the user holds none of the roles anywhere."""
        if self.station is None:
            return None, []
        column, params = compiler.compile(self.station)
        if self.profile.loaded:
            ids = self.profile.stations(self.roles)
            if not ids:
                return None, []
            return f"{column} = ANY(%s::{Station._meta.pk.rel_db_type(connection)}[])", [*params, ids]
        user, roles = self.profile.user_id, list(self.roles)
        sql = f"{column} = ANY(ARRAY({_sql(connection, _stations_sql)}))"
        return sql, [*params, user, roles, user, roles]

    def _shared_sql(self, compiler, connection) -> tuple[str | None, list]:
        """`col = ANY(ARRAY(<granted ids>))`, or None when there is no grant arm or it cannot match."""
        if self.object is None or not self.profile.may_hold(self.grants, self.codename):
            return None, []
        column, params = compiler.compile(self.object)
        user, codename = self.profile.user_id, self.codename
        return (
            f"{column} = ANY(ARRAY({_sql(connection, _granted_sql, self.grants)}))",
            [*params, user, codename, user, codename],
        )

    def as_sql(self, compiler, connection):
        station, station_params = self._station_sql(compiler, connection)
        if self.mode == STATIONS:
            return (station, station_params) if station else ("FALSE", [])
        shared, shared_params = self._shared_sql(compiler, connection)
        if self.mode == SHARED_ELSEWHERE:
            if shared is None:
                return "FALSE", []
            if station is None:
                return shared, shared_params
            return f"({shared} AND ({station}) IS NOT TRUE)", [*shared_params, *station_params]
        parts = [sql for sql in (station, shared) if sql]
        if not parts:
            return "FALSE", []
        return f"({' OR '.join(parts)})", [*station_params, *shared_params]


# A predicate that is never true (an inactive or anonymous user; a role table granting nothing, no grants).
NEVER = Value(False, output_field=BooleanField())


def _conditions(node, path=()):
    """(path, lookup) of each `AccessCondition` filter in a where tree reached through non-negated ANDs."""
    if isinstance(node, WhereNode):
        if node.connector == AND and not node.negated:
            for i, child in enumerate(node.children):
                yield from _conditions(child, (*path, i))
    elif isinstance(node, Lookup) and isinstance(node.lhs, AccessCondition) and node.rhs is True:
        yield path, node


def _profile_in(qs: QuerySet, user_id: int) -> AccessProfile | None:
    """The access profile of `user_id` a predicate of `qs` already uses, to share it."""
    conditions = [lookup.lhs for _, lookup in _conditions(qs.query.where)]
    conditions += [a for a in qs.query.annotations.values() if isinstance(a, AccessCondition)]
    return next((c.profile for c in conditions if c.profile.user_id == user_id), None)


class ScopedQuerySet(QuerySet):
    """What `scope()` returns: a queryset whose `count()` counts the two arms of the access predicate apart
    and reads the user's `AccessProfile` in the same statement."""

    def count(self):
        if self._result_cache is None:
            counted = _count_reading_profile(self)
            if counted is not None:
                return counted
        return super().count()


def _count_reading_profile(qs: QuerySet) -> int | None:
    """`SELECT <count of the station arm> + <count of the grant arm outside it>, <profile>`, or None when
    the queryset is not a plain filtered one (then Django counts it the usual way).

    Rows at the user's stations and rows shared with them are counted by two subqueries of the queryset
    itself (same joins and filters), with `station arm` and `grant arm AND (station arm) IS NOT TRUE`
    in place of the predicate: each is one index condition (an index-only scan for the first), where the
    `OR` of the two needs a bitmap over the table's pages. The sum is the count of `station arm OR grant
    arm`, row for row."""
    query = qs.query
    if (
        query.is_empty()
        or query.is_sliced
        or query.distinct
        or query.combinator
        or query.group_by is not None
    ):
        return None
    if query.select_for_update or query.extra:
        return None
    if any(getattr(a, "contains_aggregate", True) for a in query.annotations.values()):
        return None
    path, lookup = next(_conditions(query.where), (None, None))
    if lookup is None or lookup.lhs.profile.loaded:
        return None
    condition = lookup.lhs
    arm = condition.only(BOTH)  # compiled once per part of the count, switched to the mode of that part
    part = qs._chain()
    node = part.query.where
    for i in path[:-1]:
        node = node.children[i]
    node.children[path[-1]] = lookup.__class__(arm, lookup.rhs)
    part_query = part.order_by().values(access_one=Value(1)).query
    split = condition.station is not None and condition.object is not None
    counts, params = [], []
    for mode in (STATIONS, SHARED_ELSEWHERE) if split else (BOTH,):
        arm.mode = mode
        try:
            sql, part_params = part_query.get_compiler(using=qs.db).as_sql()
        except EmptyResultSet:
            continue
        counts.append(f"(SELECT COUNT(*) FROM ({sql}) AS access_count)")  # noqa: S608 (Django's SQL)
        params += part_params
    connection = connections[qs.db]
    profile_sql, profile_params = condition.profile.sql(connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {' + '.join(counts) or '0'}, {profile_sql}", [*params, *profile_params])
        total, profile = cursor.fetchone()
    condition.profile.load(profile)
    return total


def predicate(
    user,
    record_type: str,
    action: str = Action.VIEW,
    *,
    station_field: str = "station",
    grants: Grants | None = None,
    object_field: str = "pk",
    profile: AccessProfile | None = None,
) -> Expression:
    """The SQL condition under which `user` may do `action` on a row, as one boolean expression: use it in
    `.filter()` or as an annotation."""
    roles = _roles(record_type, action)
    if not _active(user) or (not roles and grants is None):
        return NEVER
    return AccessCondition(
        profile or AccessProfile(user.pk),
        roles=roles,
        station_field=station_field,
        grants=grants,
        codename=grants.codename(action) if grants is not None else None,
        object_field=object_field,
    )


def scope(qs: QuerySet, user, record_type: str, action: str = Action.VIEW, **kwargs) -> QuerySet:
    """Narrow `qs` to the rows `user` may do `action` on (a single SQL query)."""
    if not _active(user):
        return qs.none()
    kwargs.setdefault("profile", _profile_in(qs, user.pk))
    condition = predicate(user, record_type, action, **kwargs)
    if condition is NEVER:
        return qs.none()
    qs = qs.filter(condition)
    if type(qs) is QuerySet:
        qs.__class__ = ScopedQuerySet
    return qs


def annotate_allowed(qs: QuerySet, user, record_type: str, action: str, name: str, **kwargs) -> QuerySet:
    """Add a boolean column `name`: whether `user` may do `action` on each row (still one query)."""
    if _active(user):
        kwargs.setdefault("profile", _profile_in(qs, user.pk))
    return qs.annotate(**{name: predicate(user, record_type, action, **kwargs)})


def can_at_station(user, station, record_type: str, action: str) -> bool:
    return stations_for(user, record_type, action).filter(pk=station.pk).exists()


def station_rights(user, station) -> frozenset[tuple[str, str]]:
    """Every (record type, action) the user's memberships grant at one station, in one query, for a page
    that asks several `can_at_station` questions about the same station:
    `("interception", "share") in station_rights(user, station)`."""
    if not _active(user):
        return frozenset()
    roles = set(
        Membership.objects.filter(
            Q(station_id=station.pk) | Q(country_id=station.country_id), user_id=user.pk
        ).values_list("role", flat=True)
    )
    return frozenset(
        (record_type, str(action))
        for record_type, table in PERMISSIONS.items()
        for role, actions in table.items()
        if str(role) in roles
        for action in actions
    )
