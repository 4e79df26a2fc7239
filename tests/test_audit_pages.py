"""The auditor's pages and API: who may read the access log, its filters, and that reading it is logged."""

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from audit.models import AccessEvent
from audit.services import record_event

from .factories import CountryFactory, StationFactory, member

pytestmark = pytest.mark.django_db

PAGE = "/audit/events/"
API = "/api/v1/audit/events/"


def login(client, user):
    """A signed-in session that has also passed MFA, when MFA is installed (roles that need it are
    otherwise sent to the MFA pages before reaching the page under test)."""
    client.force_login(user)
    if apps.is_installed("django_otp.plugins.otp_static"):
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_static.models import StaticDevice

        device = StaticDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def event_at(when: datetime, **kwargs) -> AccessEvent:
    with mock.patch("audit.services.timezone") as clock:
        clock.now.return_value = when
        return record_event(**kwargs)


@pytest.fixture
def auditor(nepal):
    return member(Role.AUDITOR, country=nepal, username="aud_np")


@pytest.fixture
def foreign_auditor(db):
    india = CountryFactory(code="IN", name="India")
    return member(
        Role.AUDITOR,
        station=StationFactory(code="DEL", country=india, timezone="Asia/Kolkata"),
        username="aud_del",
    )


@pytest.fixture
def log(monitor, manager, bhw, brg):
    """Events at BHW and BRG on 1-3 March 2025, and one without a station."""
    return {
        "create": event_at(
            datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
            actor=monitor,
            action="interception.create",
            obj=bhw,
            station=bhw,
            details={"number": "BHW-1"},
        ),
        "view": event_at(
            datetime(2025, 3, 2, 0, 0, tzinfo=UTC),
            actor=manager,
            action="interception.view",
            obj=bhw,
            station=bhw,
        ),
        "late": event_at(
            datetime(2025, 3, 2, 23, 59, 59, tzinfo=UTC),
            actor=manager,
            action="attachment.download",
            obj=brg,
            station=brg,
        ),
        "login": event_at(datetime(2025, 3, 3, 9, 0, tzinfo=UTC), actor=monitor, action="login"),
    }


def page_ids(response) -> set[int]:
    return {e.pk for e in response.context["page"]}


def api_ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


# --- who may read --------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, log):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_anonymous_api_answers_401(api, log):
    assert api().get(API).status_code == 401


def test_a_user_without_the_auditor_role_gets_404(client, monitor, log):
    assert login(client, monitor).get(PAGE).status_code == 404


def test_a_user_without_the_auditor_role_gets_403_from_the_api(api, monitor, log):
    response = api(monitor).get(API)
    assert response.status_code == 403 and response.json()["error"]["status"] == 403


def test_a_nepal_auditor_sees_the_events_of_bhw(client, auditor, log):
    response = login(client, auditor).get(PAGE)
    assert response.status_code == 200
    assert {log["create"].pk, log["view"].pk, log["late"].pk, log["login"].pk} <= page_ids(response)
    html = response.content.decode()
    assert "interception.create" in html and "BHW" in html and "2025-03-01 08:00:00" in html
    assert "number: BHW-1" in html  # details, compactly


def test_an_auditor_of_a_station_elsewhere_sees_nothing_of_nepal(client, api, foreign_auditor, log):
    response = login(client, foreign_auditor).get(PAGE)
    assert response.status_code == 200 and page_ids(response) == set()
    assert "No events match." in response.content.decode()


def test_api_scope_and_shape(api, auditor, foreign_auditor, log, bhw):
    response = api(auditor).get(API)
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 4 and body["next"] is None and body["previous"] is None
    row = next(r for r in body["results"] if r["id"] == log["create"].pk)
    assert row == {
        "id": log["create"].pk,
        "at": "2025-03-01T08:00:00Z",
        "actor": "mon_bhw",
        "action": "interception.create",
        "object_type": "station",
        "object_id": str(bhw.pk),
        "station": "BHW",
        "ip": None,
        "user_agent": "",
        "details": {"number": "BHW-1"},
        "hash": log["create"].hash,
    }
    assert next(r for r in body["results"] if r["id"] == log["login"].pk)["station"] is None
    assert [r["id"] for r in body["results"]] == sorted(api_ids(response), reverse=True)  # newest first

    foreign = api(foreign_auditor).get(API)
    assert foreign.status_code == 200 and foreign.json()["results"] == []


def test_a_station_auditor_sees_that_station_only(client, bhw, log):
    station_auditor = member(Role.AUDITOR, station=bhw, username="aud_bhw")
    response = login(client, station_auditor).get(PAGE)
    assert page_ids(response) == {log["create"].pk, log["view"].pk}


# --- filters -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "mgr_bhw"}, {"view", "late"}),
        ({"actor": "mgr"}, set()),  # exact, not a part of the name
        ({"action": "interception.view"}, {"view"}),
        ({"action": "interception."}, {"create", "view"}),  # a prefix when it ends with "."
        ({"action": "interception"}, set()),
        ({"object_type": "station", "object_id": "BRG"}, set()),
        ({"station": "brg"}, {"late"}),
        ({"since": "2025-03-02", "until": "2025-03-02"}, {"view", "late"}),  # whole days, UTC
        ({"since": "2025-03-02T00:00:01", "until": "2025-03-31"}, {"late", "login"}),
        ({"until": "2025-03-02T00:00"}, {"create", "view"}),
        ({"since": "2025-03-02T05:45+05:45", "until": "2025-03-02T05:45+05:45"}, {"view"}),
    ],
)
def test_page_filters(client, auditor, log, query, expected):
    response = login(client, auditor).get(PAGE, query)
    assert response.status_code == 200
    assert page_ids(response) == {log[k].pk for k in expected}


def test_page_filters_by_record(client, auditor, log, brg):
    response = login(client, auditor).get(PAGE, {"object_type": "station", "object_id": brg.pk})
    assert page_ids(response) == {log["late"].pk}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "mon_bhw"}, {"create", "login"}),
        ({"action": "attachment."}, {"late"}),
        ({"since": "2025-03-02", "until": "2025-03-02"}, {"view", "late"}),
        ({"until": "2025-03-01"}, {"create"}),
    ],
)
def test_api_filters(api, auditor, log, query, expected):
    response = api(auditor).get(API, query)
    assert response.status_code == 200
    assert api_ids(response) == {log[k].pk for k in expected}


def test_api_filters_by_record(api, auditor, log, bhw):
    response = api(auditor).get(API, {"object_type": "station", "object_id": bhw.pk})
    assert api_ids(response) == {log["create"].pk, log["view"].pk}


def test_api_refuses_bad_filters_with_400(api, auditor, log):
    response = api(auditor).get(API, {"since": "yesterday", "until": "2025-13-01"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and set(error["fields"]) == {"since", "until"}
    response = api(auditor).get(API, {"since": "2025-03-03", "until": "2025-03-02"})
    assert response.status_code == 400 and "start is after the end" in str(response.json())


def test_page_shows_bad_filters(client, auditor, log):
    response = login(client, auditor).get(PAGE, {"since": "yesterday"})
    assert response.status_code == 200 and "Enter a date" in response.content.decode()


# --- reading is logged ---------------------------------------------------------------------------------


def test_reading_the_page_is_logged_with_its_filters_and_count(client, auditor, log):
    login(client, auditor).get(PAGE, {"action": "interception.", "until": "2025-03-02"})
    read = AccessEvent.objects.filter(action="audit.list").latest("id")
    assert read.actor == auditor and read.station is None and read.object_type == "accessevent"
    assert read.details == {
        "filters": {"action": "interception.", "until": "2025-03-02"},
        "count": 2,
        "page": 1,
        "ids": sorted([log["create"].pk, log["view"].pk]),
        "stations": ["BHW"],
    }


def test_reading_the_api_is_logged(api, auditor, log):
    api(auditor).get(API, {"actor": "mgr_bhw", "since": "2025-03-02T12:00:00+00:00"})
    read = AccessEvent.objects.filter(action="audit.list").latest("id")
    assert read.actor == auditor
    assert read.details == {
        "filters": {"actor": "mgr_bhw", "since": "2025-03-02T12:00:00+00:00"},
        "count": 1,
        "page": 1,
        "cursor": False,
        "api": True,
        "ids": [log["late"].pk],
        "stations": ["BRG"],
    }


def test_refused_readers_leave_no_read_event(client, api, monitor, log):
    login(client, monitor).get(PAGE)
    assert not AccessEvent.objects.filter(action="audit.list").exists()


# --- a fixed number of queries, however many events ----------------------------------------------------


def _add_events(n, actor, stations):
    for i in range(n):
        station = stations[i % len(stations)]
        record_event(actor=actor, action="interception.view", obj=station, station=station, details={"i": i})


def test_page_runs_a_fixed_number_of_queries(
    client, auditor, monitor, bhw, brg, django_assert_max_num_queries
):
    login(client, auditor)
    _add_events(5, monitor, [bhw, brg])
    with CaptureQueriesContext(connection) as few:
        assert client.get(PAGE).status_code == 200
    _add_events(55, monitor, [bhw, brg])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(PAGE)
    assert len(response.context["page"]) == 50 and response.context["page"].paginator.count > 60
    assert len(few.captured_queries) <= 20


def test_api_runs_a_fixed_number_of_queries(api, auditor, monitor, bhw, brg, django_assert_max_num_queries):
    client = api(auditor)
    _add_events(5, monitor, [bhw, brg])
    with CaptureQueriesContext(connection) as few:
        assert client.get(API).status_code == 200
    _add_events(55, monitor, [bhw, brg])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(API)
    assert len(response.json()["results"]) == 50
    assert len(few.captured_queries) <= 12


def test_page_paginates_by_50(client, auditor, monitor, bhw):
    _add_events(60, monitor, [bhw])
    login(client, auditor)
    first = client.get(PAGE, {"station": "BHW"})
    second = client.get(PAGE, {"station": "BHW", "page": 2})
    assert len(first.context["page"]) == 50 and len(second.context["page"]) == 10
    assert 'page=2" rel="next"' in first.content.decode()
    assert "station=BHW&amp;page=2" in first.content.decode()


def test_navigation_tag_knows_who_reads_the_log(auditor, monitor):
    from django.template import Context, Template

    tpl = Template("{% load audit_tags %}{% can_read_access_log user as ok %}{{ ok }}")
    assert tpl.render(Context({"user": auditor})) == "True"
    assert tpl.render(Context({"user": monitor})) == "False"
