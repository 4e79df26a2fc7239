"""`GET /api/v1/cases/` and `POST /api/v1/cases/`."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from audit.models import AccessEvent
from cases.models import CaseSource, VictimCase
from cases.services.opening import PersonData, case_open

from .case_builders import case_manager, days, open_case, set_case
from .factories import member

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases/"


@pytest.fixture
def cm(bhw):
    return case_manager(bhw, "cm_bhw")


def numbers(response):
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


def test_list_is_scoped_masked_and_logged(bhw, brg, nepal, monitor, manager, other_monitor, api):
    here = open_case(monitor, bhw, "Sita Tamang")
    there = open_case(other_monitor, brg, "Gita Rai")
    body = api(manager).get(URL).json()
    assert [r["number"] for r in body["results"]] == [here.number]
    row = body["results"][0]
    assert (
        row["name"] == "Sita Tamang"
        and row["station"] == "BHW"
        and row["interception"] == here.interception_id
    )
    assert row["person"] == here.person.identity_id and row["status"] == "new" and row["version"] == 1
    assert {"id", "assigned_to", "risk", "next_follow_up_on", "opened_on"} <= set(row)
    event = AccessEvent.objects.filter(actor=manager, action="case.list").latest("id")
    assert event.details["ids"] == [here.pk] and event.details["api"] is True

    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="director")
    rows = api(director).get(URL).json()["results"]
    assert {r["number"] for r in rows} == {here.number, there.number}
    assert {r["name"] for r in rows} == {"[restricted]"}
    assert api(monitor).get(URL).json()["results"] == []
    assert api().get(URL).status_code == 401


def test_filters(bhw, monitor, manager, cm, api):
    a = set_case(open_case(monitor, bhw, "Aa Person"), assigned_to=cm, status="active")
    b = open_case(monitor, bhw, "Bb Person")
    client = api(manager)
    assert numbers(client.get(URL, {"status": "new"})) == [b.number]
    assert numbers(client.get(URL, {"assigned_to": "cm_bhw"})) == [a.number]
    assert numbers(client.get(URL, {"interception": b.interception_id})) == [b.number]
    assert numbers(client.get(URL, {"station": "bhw"})) == [b.number, a.number]
    assert numbers(client.get(URL, {"station": "BRG"})) == []
    bad = client.get(URL, {"status": "nonsense"})
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]


def test_mine_puts_overdue_first_and_pages_by_cursor(bhw, monitor, cm, api):
    later = set_case(
        open_case(monitor, bhw, "P One"), assigned_to=cm, status="active", next_follow_up_on=days(4)
    )
    none = set_case(open_case(monitor, bhw, "P Two"), assigned_to=cm, status="active")
    overdue = set_case(
        open_case(monitor, bhw, "P Three"), assigned_to=cm, status="active", next_follow_up_on=days(-2)
    )
    set_case(open_case(monitor, bhw, "P Four"), assigned_to=cm, status="closed", closure_reason="died")
    open_case(monitor, bhw, "P Five")
    client = api(cm)
    assert numbers(client.get(URL, {"mine": "true"})) == [overdue.number, later.number, none.number]
    first = client.get(URL, {"mine": "true", "page_size": 2}).json()
    assert [r["number"] for r in first["results"]] == [overdue.number, later.number]
    second = client.get(first["next"]).json()
    assert [r["number"] for r in second["results"]] == [none.number] and second["next"] is None


def test_list_queries_do_not_grow_with_the_page(bhw, manager, api, django_assert_max_num_queries):
    for n in range(30):
        case_open(
            actor=manager, station=bhw, source=CaseSource.WALK_IN, person=PersonData(full_name=f"W {n}")
        )
    client = api(manager)
    client.get(URL)
    # token auth 2, access profile 1, live referrals 1, the page 1, the access log 3 (+2 savepoints)
    with django_assert_max_num_queries(10):
        response = client.get(URL, {"page_size": 100})
    assert len(response.json()["results"]) == 30
    with CaptureQueriesContext(connection) as small:
        client.get(URL, {"page_size": 5})
    with CaptureQueriesContext(connection) as big:
        client.get(URL, {"page_size": 100})
    assert len(small) == len(big)


def test_open_by_hand(bhw, monitor, manager, api):
    body = {
        "station": "bhw",
        "source": "police",
        "source_notes": "Brought by the police post",
        "person": {"full_name": "Maya Gurung", "gender": "female", "age": 22, "nationality": "np"},
    }
    client = api(manager)
    response = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="open-1")
    assert response.status_code == 201, response.content
    data = response.json()
    case = VictimCase.objects.get(pk=data["id"])
    assert data["source"] == "police" and data["name"] == "Maya Gurung" and data["station"] == "BHW"
    assert (
        case.person.age == 22 and case.person.nationality == "NP" and case.source_notes.startswith("Brought")
    )
    replay = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="open-1")
    assert (
        replay.status_code == 200
        and replay.json()["id"] == case.pk
        and replay["Idempotent-Replayed"] == "true"
    )
    assert VictimCase.objects.count() == 1

    missing = client.post(URL, {"station": "BHW", "source": "walk_in", "person": {}}, format="json")
    assert missing.status_code == 400 and "full_name" in missing.json()["error"]["fields"]
    interception = client.post(URL, {**body, "source": "interception"}, format="json")
    assert interception.status_code == 400 and "source" in interception.json()["error"]["fields"]
    elsewhere = client.post(URL, {**body, "station": "BRG"}, format="json")
    assert elsewhere.status_code == 400 and "station" in elsewhere.json()["error"]["fields"]
    assert api(monitor).post(URL, body, format="json").status_code == 403
    assert VictimCase.objects.count() == 1
