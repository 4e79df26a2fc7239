"""The access predicate (accounts.access): rows and `can_see_sensitive` flags for every kind of access, the
access profile read once (per request, or per `access_memo()` block), and agreement with the plain ORM form
of the rule."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from accounts.access import granted_object_ids, scope, stations_for
from accounts.access_cache import access_memo
from accounts.models import Membership, User
from accounts.roles import ACTIONS, Action, Role
from interception import services
from interception.models import Attachment, Interceptee, Interception
from interception.selectors import (
    GRANTS,
    InterceptionFilters,
    attachment_scope,
    interception_list,
    interception_scope,
)

from .factories import CountryFactory, StationFactory, make_interception, person

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
VIEW, SENSITIVE = "interception.view_interception", "interception.view_sensitive_interception"


def member(role, station=None, country=None, *, username):
    """A user with one membership (no password: hashing one is slow, and nobody signs in here)."""
    user = User.objects.create(username=username)
    Membership.objects.create(user=user, role=role, station=station, country=country)
    return user


@pytest.fixture
def world(nepal, bhw, brg):
    """Two stations in Nepal, one in India; four records; users reaching them every possible way."""
    india = CountryFactory(code="IN", name="India")
    delhi = StationFactory(code="DEL", country=india, timezone="Asia/Kolkata")
    mon_bhw = member(Role.MONITOR, station=bhw, username="mon_bhw")
    mon_brg = member(Role.MONITOR, station=brg, username="mon_brg")
    mon_del = member(Role.MONITOR, station=delhi, username="mon_del")
    now = timezone.now()
    records = {
        "b1": make_interception(
            mon_bhw,
            bhw,
            occurred_at=now - timedelta(hours=4),
            people=[person("A"), person("B", role="suspect")],
        ),
        "b2": make_interception(mon_bhw, bhw, occurred_at=now - timedelta(hours=3)),
        "r1": make_interception(mon_brg, brg, occurred_at=now - timedelta(hours=2)),
        "d1": make_interception(mon_del, delhi, occurred_at=now - timedelta(hours=1)),
    }
    for key in ("b1", "r1"):
        services.attachment_add(
            actor=mon_bhw if key == "b1" else mon_brg,
            interception=records[key],
            uploaded_file=SimpleUploadedFile(f"{key}.jpg", JPEG),
        )
    users = {"mon_bhw": mon_bhw, "mon_del": mon_del}
    # a country director: every Nepal station, without sensitive details, except one record shared with
    # their group with view_sensitive
    users["dir_np"] = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    oversight = Group.objects.create(name="oversight")
    users["dir_np"].groups.add(oversight)
    assign_perm(SENSITIVE, oversight, records["b1"])
    # a case manager for the whole of India
    users["cm_in"] = member(Role.CASE_MANAGER, country=india, username="cm_in")
    # a monitor elsewhere with two records shared: one to view, one with sensitive details
    users["outsider"] = member(Role.MONITOR, station=delhi, username="outsider")
    assign_perm(VIEW, users["outsider"], records["b1"])
    assign_perm(VIEW, users["outsider"], records["r1"])
    assign_perm(SENSITIVE, users["outsider"], records["r1"])
    # no membership at all: only what their group was given
    users["lawyer"] = member(Role.LEGAL_OFFICER, station=delhi, username="lawyer")
    users["lawyer"].memberships.all().delete()
    legal_aid = Group.objects.create(name="legal-aid")
    users["lawyer"].groups.add(legal_aid)
    assign_perm(VIEW, legal_aid, records["b2"])
    assign_perm(VIEW, legal_aid, records["d1"])
    assign_perm(SENSITIVE, legal_aid, records["d1"])
    # a station manager with a redundant grant at their own station, and a view_sensitive grant without
    # view elsewhere (which shows nothing)
    users["mgr_bhw"] = member(Role.STATION_MANAGER, station=bhw, username="mgr_bhw")
    assign_perm(VIEW, users["mgr_bhw"], records["b1"])
    assign_perm(SENSITIVE, users["mgr_bhw"], records["r1"])
    # no access: an inactive monitor, an auditor (no rights on case content), nobody signed in
    users["inactive"] = member(Role.MONITOR, station=bhw, username="gone")
    users["inactive"].is_active = False
    users["inactive"].save()
    assign_perm(VIEW, users["inactive"], records["r1"])
    users["auditor"] = member(Role.AUDITOR, country=nepal, username="aud_np")
    users["anonymous"] = AnonymousUser()
    return records, users


# record -> can_see_sensitive, for each user
EXPECTED = {
    "mon_bhw": {"b1": True, "b2": True},
    "mon_del": {"d1": True},
    "dir_np": {"b1": True, "b2": False, "r1": False},
    "cm_in": {"d1": True},
    "outsider": {"b1": False, "r1": True, "d1": True},
    "lawyer": {"b2": False, "d1": True},
    "mgr_bhw": {"b1": True, "b2": True},
    "inactive": {},
    "auditor": {},
    "anonymous": {},
}


def keys(records, pks):
    by_pk = {r.pk: k for k, r in records.items()}
    return {by_pk[pk] for pk in pks}


def test_rows_and_sensitive_flags_for_every_kind_of_access(world):
    records, users = world
    by_pk = {r.pk: k for k, r in records.items()}
    for name, expected in EXPECTED.items():
        qs = interception_list(user=users[name])
        count = qs.count()
        rows = {r.pk: r.can_see_sensitive for r in qs}  # the station ids as constants
        assert {by_pk[pk]: flag for pk, flag in rows.items()} == expected, name
        assert count == len(expected), name
        # the same with the profile taken from a memo
        with access_memo():
            assert {r.pk: r.can_see_sensitive for r in interception_list(user=users[name])} == rows, name


def test_counts_and_pages_with_filters(world):
    records, users = world
    director = users["dir_np"]
    for filters, expected in [
        (InterceptionFilters(), 3),
        (InterceptionFilters(station="bhw"), 2),
        (InterceptionFilters(station="DEL"), 0),
        (InterceptionFilters(date_from=timezone.localdate() - timedelta(days=1)), 3),
        (InterceptionFilters(number="no-such-number"), 0),
    ]:
        qs = interception_list(user=director, filters=filters)
        page = Paginator(qs, 2).page(1)
        assert (
            page.paginator.count == expected == len(list(interception_list(user=director, filters=filters)))
        )
        assert [r.pk for r in page.object_list] == [
            r.pk for r in interception_list(user=director, filters=filters)[:2]
        ]
    victims = {r.pk: (r.victim_count, r.suspect_count) for r in interception_list(user=director)}
    assert victims[records["b1"].pk] == (1, 1) and victims[records["b2"].pk] == (1, 0)


def test_a_list_page_reads_the_profile_once_and_uses_it(world):
    records, users = world
    with access_memo(), CaptureQueriesContext(connection) as ctx:
        page = Paginator(interception_list(user=users["mon_bhw"]), 25).page(1)
        rows = list(page.object_list)
    assert len(ctx.captured_queries) == 3 and page.paginator.count == len(rows) == 2
    profile_sql, count_sql, page_sql = (q["sql"] for q in ctx.captured_queries)
    assert "json_agg" in profile_sql  # the profile, read once for the filter and the flag
    # the monitor holds no grants: the page has the station id as a constant and no grant subquery
    for sql in (count_sql, page_sql):
        assert "objectpermission" not in sql and "accounts_membership" not in sql
    # someone with grants keeps the grant arm
    with access_memo(), CaptureQueriesContext(connection) as ctx:
        page = Paginator(interception_list(user=users["outsider"]), 25).page(1)
        assert page.paginator.count == len(list(page.object_list)) == 3
    assert len(ctx.captured_queries) == 3 and "objectpermission" in ctx.captured_queries[-1]["sql"]


def test_a_new_queryset_sees_a_grant_change_at_once(world):
    records, users = world
    outsider = users["outsider"]
    assert interception_list(user=outsider).count() == 3
    remove_perm(VIEW, outsider, records["b1"])
    assert interception_list(user=outsider).count() == 2
    assert records["b1"].pk not in set(interception_scope(outsider).values_list("pk", flat=True))
    outsider.memberships.all().delete()
    assert keys(records, interception_scope(outsider).values_list("pk", flat=True)) == {"r1"}


def test_attachments_through_the_interception_join(world):
    records, users = world
    expected = {
        "mon_bhw": {"b1"},
        "dir_np": {"b1"},
        "outsider": {"r1"},
        "mgr_bhw": {"b1", "r1"},
        "lawyer": set(),
    }
    for name, want in expected.items():
        qs = attachment_scope(users[name])
        seen = keys(records, qs.values_list("interception_id", flat=True))
        assert seen == want, name
        assert attachment_scope(users[name]).count() == len(want)


def reference(user, record_type, action, *, station_field="station", object_field="pk", grants=GRANTS) -> Q:
    """The rule in its plain ORM form: a station the user's roles cover, or a grant to them or their group."""
    if not (user.is_authenticated and user.is_active):
        return Q(pk__in=[])
    condition = Q(**{f"{station_field}__in": stations_for(user, record_type, action).values("pk")})
    if grants is not None:
        by_user, by_group = granted_object_ids(user, grants, action)
        condition |= Q(**{f"{object_field}__in": by_user}) | Q(**{f"{object_field}__in": by_group})
    return condition


@pytest.mark.parametrize(
    "model, record_type, kwargs",
    [
        (Interception, "interception", {}),
        (
            Attachment,
            "attachment",
            {"station_field": "interception__station", "object_field": "interception"},
        ),
        (Interceptee, "person", {"station_field": "interception__station", "object_field": "interception"}),
        (Interceptee, "person", {"station_field": "interception__station", "grants": None}),
    ],
)
def test_every_action_agrees_with_the_plain_orm_rule(world, model, record_type, kwargs):
    records, users = world
    grants = kwargs.pop("grants", GRANTS)
    for name, user in users.items():
        for action in ACTIONS:
            qs = scope(model.objects.all(), user, record_type, action, grants=grants, **kwargs)
            want = set(
                model.objects.filter(
                    reference(user, record_type, action, grants=grants, **kwargs)
                ).values_list("pk", flat=True)
            )
            assert qs.count() == len(want), (name, action)
            assert set(qs.values_list("pk", flat=True)) == want, (name, action)


def test_sensitive_flags_agree_with_the_plain_orm_rule(world):
    records, users = world
    for name, user in users.items():
        flags = dict(interception_list(user=user).values_list("pk", "can_see_sensitive"))
        want = dict(
            Interception.objects.filter(reference(user, "interception", Action.VIEW))
            .annotate(
                s=ExpressionWrapper(reference(user, "interception", Action.VIEW_SENSITIVE), BooleanField())
            )
            .values_list("pk", "s")
        )
        assert flags == want, name
