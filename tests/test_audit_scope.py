"""Who sees which access-log events (issue 7, item 10), and that every page showing the log logs its own
read (item 9): the auditor's page and API, the Django admin, and the "who accessed this" panel.

Driven over HTTP with a signed-in session (`login` from tests/factories.py passes MFA; one test signs in
through the real login and MFA forms with CSRF checks on), or the API with a token.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from audit.models import AccessEvent
from audit.selectors import record_events
from audit.services import record_event

from .factories import (
    CountryFactory,
    StationFactory,
    UserFactory,
    login,
    make_interception,
    member,
    sign_in,
)

pytestmark = pytest.mark.django_db

PAGE = "/audit/events/"
API = "/api/v1/audit/events/"


def page_ids(response) -> set[int]:
    assert response.status_code == 200, response.status_code
    return {e.pk for e in response.context["page"]}


def api_ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def latest(action: str) -> AccessEvent:
    return AccessEvent.objects.filter(action=action).latest("id")


@pytest.fixture
def india(db):
    return CountryFactory(code="IN", name="India")


@pytest.fixture
def delhi(india):
    return StationFactory(code="DEL", name="Delhi", country=india, timezone="Asia/Kolkata")


@pytest.fixture
def country_auditor(nepal):
    return member(Role.AUDITOR, country=nepal, username="aud_np")


@pytest.fixture
def station_auditor(bhw):
    return member(Role.AUDITOR, station=bhw, username="aud_bhw")


@pytest.fixture
def record(monitor, bhw):
    return make_interception(monitor, bhw)


@pytest.fixture
def other_record(monitor, bhw):
    return make_interception(monitor, bhw, place="Sunauli")


# --- 9. the log's own pages log the events they showed -------------------------------------------------


def test_the_auditors_page_logs_the_ids_of_the_events_it_showed(country_auditor, monitor, bhw, brg):
    shown = [
        record_event(actor=monitor, action="interception.view", obj=bhw, station=bhw),
        record_event(actor=monitor, action="interception.view", obj=brg, station=brg),
    ]
    client = sign_in(country_auditor)
    response = client.get(PAGE)
    assert {e.pk for e in shown} <= page_ids(response)
    read = latest("audit.list")
    assert read.actor == country_auditor and read.object_type == "accessevent"
    assert read.details["ids"] == sorted(page_ids(response))
    assert read.details["stations"] == ["BHW", "BRG"]

    # The next page view shows the read itself, and a filter for the log's events finds it.
    response = client.get(PAGE, {"object_type": "accessevent", "object_id": shown[0].pk})
    assert read.pk in page_ids(response)


def test_the_api_logs_the_ids_of_the_events_it_returned(api, country_auditor, monitor, bhw):
    for _ in range(3):
        record_event(actor=monitor, action="interception.view", obj=bhw, station=bhw)
    response = api(country_auditor).get(API)
    returned = api_ids(response)
    read = latest("audit.list")
    assert read.details["ids"] == sorted(returned) and read.details["api"] is True
    assert read.details["count"] == len(response.json()["results"])
    # cursor pages: a page number is refused, not answered with the first page again
    assert api(country_auditor).get(API, {"page": 999}).status_code == 400


def test_the_admin_list_and_event_pages_log_the_events_they_showed(client, monitor, bhw):
    event = record_event(actor=monitor, action="interception.view", obj=bhw, station=bhw)
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    login(client, superuser)

    response = client.get(reverse("admin:audit_accessevent_changelist"))
    assert response.status_code == 200
    listed = [e.pk for e in response.context["cl"].result_list]
    read = latest("audit.admin.list")
    assert read.actor == superuser and read.object_type == "accessevent"
    assert event.pk in listed and read.details["ids"] == sorted(listed)

    response = client.get(reverse("admin:audit_accessevent_change", args=[event.pk]))
    assert response.status_code == 200
    read = latest("audit.admin.view")
    assert read.details["ids"] == [event.pk] and read.details["stations"] == ["BHW"]

    client.get(reverse("admin:audit_accessevent_history", args=[event.pk]))
    assert latest("audit.admin.view").details == {"page": "history", "ids": [event.pk], "stations": ["BHW"]}


def test_the_who_accessed_this_panel_logs_the_events_it_showed(client, manager, record):
    login(client, manager)
    response = client.get(reverse("interception:detail", args=[record.pk]))
    assert response.status_code == 200 and "Who accessed this" in response.content.decode()
    shown = [e.pk for e in response.context["access_events"]]
    assert shown, "the record's creation at least"
    read = latest("audit.panel")
    assert read.actor == manager and read.station == record.station
    assert read.details["ids"] == sorted(shown)
    assert read.details["record_type"] == "interception" and read.details["record_id"] == record.pk


def test_refused_readers_of_the_log_leave_no_read_event(client, api, monitor, bhw):
    record_event(actor=monitor, action="interception.view", obj=bhw, station=bhw)
    assert login(client, monitor).get(PAGE).status_code == 404
    assert api(monitor).get(API).status_code == 403
    assert not AccessEvent.objects.filter(action__startswith="audit.").exists()


# --- 10. a station auditor sees the bulk reads and denied attempts of their station ---------------------


@pytest.fixture
def bulk(monitor, manager, other_monitor, bhw, brg, record):
    """Events naming many records (no station of their own), and denied attempts, at BHW and BRG."""
    return {
        "list_bhw": record_event(
            actor=monitor,
            action="interception.list",
            object_type="interception",
            object_ids=[record.pk],
            stations=[bhw],
            details={"count": 1},
        ),
        "export_bhw": record_event(
            actor=manager,
            action="export.download",
            object_type="interception",
            object_ids=[record.pk, 9999],
            stations=[bhw, brg],
            details={"rows": 2},
        ),
        "denied_bhw": record_event(
            actor=other_monitor,
            action="access.denied",
            object_type="interception",
            object_id=record.pk,
            station=bhw,
            details={"action": "view"},
        ),
        "list_brg": record_event(
            actor=other_monitor,
            action="interception.list",
            object_type="interception",
            object_ids=[9999],
            stations=[brg],
        ),
        "export_brg": record_event(
            actor=other_monitor,
            action="export.download",
            object_type="interception",
            object_ids=[9999],
            stations=[brg],
        ),
    }


def test_a_station_auditor_sees_the_bulk_downloads_list_reads_and_denied_attempts_of_their_station(
    client, api, station_auditor, bulk
):
    mine = {bulk["list_bhw"].pk, bulk["export_bhw"].pk, bulk["denied_bhw"].pk}
    theirs = {bulk["list_brg"].pk, bulk["export_brg"].pk}
    seen = page_ids(login(client, station_auditor).get(PAGE))
    assert mine <= seen and not theirs & seen
    seen = api_ids(api(station_auditor).get(API))
    assert mine <= seen and not theirs & seen
    # The station filter keeps the events at the station itself.
    assert page_ids(client.get(PAGE, {"station": "BHW"})) & mine == {bulk["denied_bhw"].pk}


def test_a_station_auditor_sees_list_reads_and_denied_attempts_made_through_the_real_pages(
    client, station_auditor, monitor, other_monitor, record
):
    login(Client(), monitor).get(reverse("interception:list"))
    outsider = login(Client(), other_monitor)
    assert outsider.get(reverse("interception:detail", args=[record.pk])).status_code == 404
    seen = AccessEvent.objects.in_bulk(page_ids(login(client, station_auditor).get(PAGE)))
    list_reads = [e for e in seen.values() if e.action == "interception.list" and e.actor == monitor]
    assert list_reads and record.pk in list_reads[0].details["ids"]
    assert any(e.action == "access.denied" and e.actor == other_monitor for e in seen.values())


# --- 10. a record's panel --------------------------------------------------------------------------------


def test_a_records_panel_shows_its_attachment_downloads_denied_attempts_and_bulk_reads(
    client, manager, other_monitor, monitor, bhw, record, other_record, bulk
):
    mine = {
        "download_by_number": record_event(
            actor=monitor,
            action="attachment.download",
            object_type="attachment",
            object_id=71,
            station=bhw,
            details={"interception": record.number},
        ),
        "download_by_id": record_event(
            actor=monitor,
            action="attachment.download",
            object_type="attachment",
            object_id=72,
            station=bhw,
            details={"interception": record.number, "interception_id": record.pk},
        ),
        "old_denied": record_event(
            actor=other_monitor,
            action="access.denied",
            details={"object_type": "interception", "object_id": str(record.pk), "action": "view"},
        ),
        "list": bulk["list_bhw"],
        "export": bulk["export_bhw"],
        "denied": bulk["denied_bhw"],
    }
    others = [
        record_event(
            actor=monitor,
            action="attachment.download",
            object_type="attachment",
            object_id=73,
            station=bhw,
            details={"interception": other_record.number, "interception_id": other_record.pk},
        ),
        record_event(
            actor=monitor,
            action="interception.list",
            object_type="interception",
            object_ids=[other_record.pk],
            stations=[bhw],
        ),
        record_event(actor=monitor, action="interception.view", obj=other_record, station=bhw),
        bulk["list_brg"],
    ]
    response = login(client, manager).get(reverse("interception:detail", args=[record.pk]))
    shown = {e.pk for e in response.context["access_events"]}
    assert {e.pk for e in mine.values()} <= shown
    assert not {e.pk for e in others} & shown
    assert "attachment.download" in response.content.decode()


def test_a_records_panel_runs_a_fixed_number_of_queries(manager, monitor, bhw, record):
    def add(n):
        for i in range(n):
            record_event(
                actor=monitor,
                action="interception.list",
                object_type="interception",
                object_ids=[record.pk, record.pk + 1 + i],
                stations=[bhw],
            )

    add(2)
    with CaptureQueriesContext(connection) as few:
        record_events(user=manager, obj=record)
    add(60)
    with CaptureQueriesContext(connection) as many:
        events = record_events(user=manager, obj=record)
    assert len(events) == 50
    assert len(many.captured_queries) == len(few.captured_queries) <= 6


def test_containment_on_details_is_answered_by_the_gin_index(monitor, bhw):
    for i in range(30):
        record_event(actor=monitor, action="interception.list", object_type="interception", object_ids=[i])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM audit_accessevent WHERE details @> %s::jsonb", ['{"ids": [12]}']
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "audit_event_details_gin" in plan


# --- 10. a country auditor sees their country's stations and people -----------------------------------


def test_a_country_auditor_sees_only_their_countrys_people_among_events_without_a_station(
    client, api, country_auditor, monitor, delhi
):
    indian = member(Role.MONITOR, station=delhi, username="mon_del")
    nepali_director = member(Role.COUNTRY_DIRECTOR, country=country_auditor.memberships.get().country)
    root = UserFactory(username="root", is_superuser=True, is_staff=True)  # no membership anywhere
    visible = {
        record_event(actor=monitor, action="login"),
        record_event(actor=nepali_director, action="login"),
        record_event(actor=root, action="mfa.reset", obj=monitor),  # about one of Nepal's people
    }
    hidden = {
        record_event(actor=indian, action="login"),
        record_event(actor=root, action="mfa.reset", obj=indian),
        record_event(actor=root, action="token.issue", obj=root),
        record_event(actor=None, action="login.failed"),
    }
    seen = page_ids(login(client, country_auditor).get(PAGE))
    assert {e.pk for e in visible} <= seen and not {e.pk for e in hidden} & seen
    seen = api_ids(api(country_auditor).get(API))
    assert {e.pk for e in visible} <= seen and not {e.pk for e in hidden} & seen


def test_a_country_auditor_sees_the_bulk_reads_naming_their_stations(client, country_auditor, bulk, delhi):
    elsewhere = record_event(
        actor=member(Role.MONITOR, station=delhi, username="mon_del"),
        action="interception.list",
        object_type="interception",
        object_ids=[1],
        stations=[delhi],
    )
    seen = page_ids(login(client, country_auditor).get(PAGE))
    assert {e.pk for e in bulk.values()} <= seen and elsewhere.pk not in seen


# --- 10. search by record number, and the per-record filter --------------------------------------------


def test_the_auditor_finds_every_event_about_a_record_by_its_number(
    client, api, country_auditor, monitor, bhw, record, other_record, bulk
):
    download = record_event(
        actor=monitor,
        action="attachment.download",
        object_type="attachment",
        object_id=5,
        station=bhw,
        details={"interception": record.number, "interception_id": record.pk},
    )
    other = record_event(actor=monitor, action="interception.view", obj=other_record, station=bhw)
    created = AccessEvent.objects.get(action="interception.create", object_id=str(record.pk))
    expected = {
        created.pk,
        download.pk,
        bulk["list_bhw"].pk,
        bulk["export_bhw"].pk,
        bulk["denied_bhw"].pk,
    }
    login(client, country_auditor)
    found = page_ids(client.get(PAGE, {"number": record.number.lower()}))
    assert expected <= found and other.pk not in found and bulk["list_brg"].pk not in found
    assert 'name="number"' in client.get(PAGE).content.decode()
    assert api_ids(api(country_auditor).get(API, {"number": record.number})) == found
    assert page_ids(client.get(PAGE, {"number": "BHW-1999-99999"})) == set()


def test_a_number_is_resolved_only_within_the_auditors_country(client, api, monitor, delhi, record):
    delhi_auditor = member(Role.AUDITOR, station=delhi, username="aud_del")
    shared_read = record_event(
        actor=member(Role.MONITOR, station=delhi, username="mon_del"),
        action="interception.list",
        object_type="interception",
        object_ids=[record.pk],
        stations=[delhi],
    )
    assert shared_read.pk in api_ids(api(delhi_auditor).get(API))
    assert api_ids(api(delhi_auditor).get(API, {"number": record.number})) == set()


def test_the_per_record_filter_finds_list_and_bulk_events_naming_the_record(
    client, api, country_auditor, record, bulk
):
    query = {"object_type": "interception", "object_id": record.pk}
    found = page_ids(login(client, country_auditor).get(PAGE, query))
    assert {bulk["list_bhw"].pk, bulk["export_bhw"].pk, bulk["denied_bhw"].pk} <= found
    assert not {bulk["list_brg"].pk, bulk["export_brg"].pk} & found
    assert api_ids(api(country_auditor).get(API, query)) == found
