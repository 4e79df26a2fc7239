"""The access predicate as a plain `Q` (accounts.access): the same rows as the rule written in the plain
ORM, the SQL of each arm, and the access profile read once per request (accounts.access_cache) and read
again after a share, a membership or a group change made in the same request."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm

from accounts.access import annotate_allowed, can_at_station, station_rights, stations_for
from accounts.access_cache import AccessProfileMiddleware, access_memo
from accounts.models import Membership, Station
from accounts.roles import Action, Role, roles_granting
from interception import services
from interception.models import (
    Attachment,
    Interception,
    InterceptionGroupObjectPermission,
    InterceptionUserObjectPermission,
)
from interception.selectors import GRANTS, attachment_scope, interception_list, interception_scope

from .factories import CountryFactory, StationFactory, UserFactory, login, make_interception, member

pytestmark = pytest.mark.django_db

VIEW, SENSITIVE = "interception.view_interception", "interception.view_sensitive_interception"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture
def world(nepal, bhw, brg):
    india = CountryFactory(code="IN", name="India")
    delhi = StationFactory(code="DEL", country=india, timezone="Asia/Kolkata")
    mon_bhw = member(Role.MONITOR, station=bhw, username="mon_bhw")
    mon_brg = member(Role.MONITOR, station=brg, username="mon_brg")
    mon_del = member(Role.MONITOR, station=delhi, username="mon_del")
    records = {
        "b1": make_interception(mon_bhw, bhw),
        "b2": make_interception(mon_bhw, bhw),
        "r1": make_interception(mon_brg, brg),
        "d1": make_interception(mon_del, delhi),
    }
    for key, author in (("b1", mon_bhw), ("d1", mon_del)):
        services.attachment_add(
            actor=author, interception=records[key], uploaded_file=SimpleUploadedFile(f"{key}.jpg", JPEG)
        )
    users = {"monitor": mon_bhw}
    users["director"] = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    users["grants_only"] = UserFactory(username="grants_only")
    assign_perm(VIEW, users["grants_only"], records["r1"])
    assign_perm(VIEW, users["grants_only"], records["d1"])
    assign_perm(SENSITIVE, users["grants_only"], records["d1"])
    users["group_grant"] = UserFactory(username="group_grant")
    legal = Group.objects.create(name="legal-aid")
    users["group_grant"].groups.add(legal)
    assign_perm(VIEW, legal, records["b2"])
    assign_perm(SENSITIVE, legal, records["b2"])
    users["inactive"] = member(Role.MONITOR, station=bhw, username="gone", is_active=False)
    assign_perm(VIEW, users["inactive"], records["d1"])
    users["nothing"] = UserFactory(username="nothing")
    return records, users


def plain_rule(user, record_type, action, *, station_field="station", object_field="pk") -> Q:
    """The rule written in the plain ORM, without accounts.access: a station one of the user's roles
    granting the action covers (at the station or in its country), or a grant to the user or a group."""
    if not user.is_active:
        return Q(pk__in=[])
    roles = roles_granting(record_type, action)
    memberships = Membership.objects.filter(user=user, role__in=roles)
    stations = Station.objects.filter(
        Q(pk__in=memberships.values("station_id")) | Q(country_id__in=memberships.values("country_id"))
    )
    codename = f"{action}_interception"
    by_user = InterceptionUserObjectPermission.objects.filter(user=user, permission__codename=codename)
    by_group = InterceptionGroupObjectPermission.objects.filter(
        group__in=user.groups.all(), permission__codename=codename
    )
    return (
        Q(**{f"{station_field}__in": stations})
        | Q(**{f"{object_field}__in": by_user.values("content_object_id")})
        | Q(**{f"{object_field}__in": by_group.values("content_object_id")})
    )


@pytest.mark.parametrize("name", ["monitor", "director", "grants_only", "group_grant", "inactive", "nothing"])
def test_rows_and_flags_equal_the_plain_orm_rule(world, name):
    records, users = world
    user = users[name]
    seen = dict(interception_list(user=user).values_list("pk", "can_see_sensitive"))
    want = dict(
        Interception.objects.filter(plain_rule(user, "interception", Action.VIEW))
        .annotate(
            s=ExpressionWrapper(plain_rule(user, "interception", Action.VIEW_SENSITIVE), BooleanField())
        )
        .values_list("pk", "s")
    )
    assert seen == want
    assert interception_list(user=user).count() == len(want)
    # attachments: through the interception (join path), sensitive
    attachments = set(attachment_scope(user).values_list("pk", flat=True))
    rule = plain_rule(
        user,
        "attachment",
        Action.VIEW_SENSITIVE,
        station_field="interception__station",
        object_field="interception",
    )
    assert attachments == set(Attachment.objects.filter(rule).values_list("pk", flat=True))
    # what each user sees, spelled out
    expected = {
        "monitor": {"b1": True, "b2": True},
        "director": {"b1": False, "b2": False, "r1": False},
        "grants_only": {"r1": False, "d1": True},
        "group_grant": {"b2": True},
        "inactive": {},
        "nothing": {},
    }[name]
    assert {k: seen[r.pk] for k, r in records.items() if r.pk in seen} == expected


def test_the_grant_arm_is_any_of_an_array_and_left_out_without_grants(world):
    records, users = world
    sql = str(interception_scope(users["grants_only"]).query)
    assert "= ANY(ARRAY(" in sql and "objectpermission" in sql
    assert '"id" IN (SELECT' not in sql  # never `id IN (subquery)` inside the OR
    # the monitor holds no grant: only the station arm, with the station id as a constant
    sql = str(interception_scope(users["monitor"]).query)
    assert "ANY(ARRAY(" not in sql and "objectpermission" not in sql and "accounts_membership" not in sql
    assert f'"station_id" = {records["b1"].station_id}' in sql
    # the director may not see sensitive details anywhere and holds no grant: the flag is a constant
    flag_sql = str(interception_list(user=users["director"]).query)
    assert "objectpermission" not in flag_sql
    # nothing at all: no query
    for name in ("nothing", "inactive"):
        assert interception_scope(users[name]).query.is_empty()
    with CaptureQueriesContext(connection) as ctx:
        assert list(interception_scope(users["nothing"])) == []
    assert len(ctx.captured_queries) == 1  # the profile; the rows need no query


def test_annotate_allowed_is_false_without_either_arm(world):
    records, users = world
    qs = annotate_allowed(Interception.objects.all(), users["nothing"], "interception", Action.VIEW, "ok")
    assert set(qs.values_list("ok", flat=True)) == {False}
    qs = annotate_allowed(
        Interception.objects.all(), users["grants_only"], "interception", Action.VIEW, "ok", grants=GRANTS
    )
    assert {pk for pk, ok in qs.values_list("pk", "ok") if ok} == {records["r1"].pk, records["d1"].pk}


def profile_reads(ctx) -> int:
    return sum("json_agg" in q["sql"] for q in ctx.captured_queries)


def test_one_profile_query_per_request_for_a_list_page(client, api, world):
    records, users = world
    monitor = users["monitor"]
    login(client, monitor)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("interception:list"))
    assert response.status_code == 200 and records["b1"].number in response.content.decode()
    assert profile_reads(ctx) == 1
    with CaptureQueriesContext(connection) as ctx:
        response = api(users["grants_only"]).get("/api/v1/interceptions/")
    assert response.status_code == 200
    assert profile_reads(ctx) == 1
    # without the middleware's memo (a task, a command), each scope() reads it: the memo is what saves them
    with CaptureQueriesContext(connection) as ctx:
        list(interception_list(user=monitor)[:25])
    assert profile_reads(ctx) == 2
    with access_memo(), CaptureQueriesContext(connection) as ctx:
        list(interception_list(user=monitor)[:25])
        stations = list(stations_for(monitor, "interception"))  # by id from the memo
        assert can_at_station(monitor, stations[0], "interception", Action.ADD)
        assert ("interception", "add") in station_rights(monitor, stations[0])
    assert profile_reads(ctx) == 1


def in_a_request(view):
    """Run `view` inside AccessProfileMiddleware, as a request would."""
    return AccessProfileMiddleware(view)(RequestFactory().get("/"))


def test_a_share_inside_a_request_is_seen_by_the_next_scope(world, bhw):
    records, users = world
    manager = member(Role.STATION_MANAGER, station=bhw, username="mgr_bhw")
    outsider = users["nothing"]
    seen = []

    def view(request):
        seen.append(set(interception_scope(outsider).values_list("pk", flat=True)))
        services.interception_share(actor=manager, interception=records["b1"], level="view", user=outsider)
        seen.append(set(interception_scope(outsider).values_list("pk", flat=True)))
        services.interception_share(actor=manager, interception=records["b1"], level="none", user=outsider)
        seen.append(set(interception_scope(outsider).values_list("pk", flat=True)))
        return HttpResponse()

    in_a_request(view)
    assert seen == [set(), {records["b1"].pk}, set()]


def test_memberships_and_groups_changed_inside_a_request_are_seen(world, brg):
    records, users = world
    user = users["nothing"]
    seen = []

    def view(request):
        seen.append(set(interception_scope(user).values_list("pk", flat=True)))
        membership = Membership.objects.create(user=user, role=Role.MONITOR, station=brg)
        seen.append(set(interception_scope(user).values_list("pk", flat=True)))
        membership.delete()
        seen.append(set(interception_scope(user).values_list("pk", flat=True)))
        user.groups.add(Group.objects.get(name="legal-aid"))
        seen.append(set(interception_scope(user).values_list("pk", flat=True)))
        return HttpResponse()

    in_a_request(view)
    assert seen == [set(), {records["r1"].pk}, set(), {records["b2"].pk}]


def test_the_any_and_any_array_lookups(world):
    records, users = world
    b1, r1 = records["b1"], records["r1"]
    stations = [b1.station_id, r1.station_id]
    assert set(Interception.objects.filter(station__any=stations)) == {records[k] for k in ("b1", "b2", "r1")}
    assert list(Interception.objects.filter(station__any=[])) == []
    assert set(
        Attachment.objects.filter(interception__any=[b1.pk]).values_list("interception", flat=True)
    ) == {b1.pk}
    shared = InterceptionUserObjectPermission.objects.filter(user=users["grants_only"])
    qs = Interception.objects.filter(pk__any_array=shared.values("content_object_id"))
    assert "= ANY(ARRAY(SELECT" in str(qs.query)
    assert set(qs) == {records["r1"], records["d1"]}


def test_a_membership_rolled_back_inside_a_request_gives_nothing(world, brg):
    records, users = world
    user = users["nothing"]
    seen = []

    def view(request):
        seen.append(set(interception_scope(user).values_list("pk", flat=True)))
        try:
            with transaction.atomic():
                Membership.objects.create(user=user, role=Role.MONITOR, station=brg)
                seen.append(set(interception_scope(user).values_list("pk", flat=True)))
                raise RuntimeError("the rest of the service failed")
        except RuntimeError:
            pass
        seen.append(set(interception_scope(user).values_list("pk", flat=True)))
        return HttpResponse()

    in_a_request(view)
    assert seen == [set(), {records["r1"].pk}, set()]
