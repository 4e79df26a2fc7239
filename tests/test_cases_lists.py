"""The case list page ("My cases" and the station's cases) and opening a case by hand."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from audit.models import AccessEvent
from cases.models import CaseSource, VictimCase

from .case_builders import case_manager, days, open_case, set_case
from .factories import login, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def cm(bhw):
    return case_manager(bhw, "cm_bhw")


def client_for(user):
    return login(Client(), user)


def test_case_manager_lands_on_my_cases_with_overdue_first(bhw, monitor, cm):
    later = set_case(
        open_case(monitor, bhw, "Later Due"), assigned_to=cm, status="active", next_follow_up_on=days(5)
    )
    none = set_case(open_case(monitor, bhw, "No Followup"), assigned_to=cm, status="active")
    overdue = set_case(
        open_case(monitor, bhw, "Overdue Person"), assigned_to=cm, status="active", next_follow_up_on=days(-3)
    )
    closed = set_case(
        open_case(monitor, bhw, "Closed One"), assigned_to=cm, status="closed", closure_reason="died"
    )
    unassigned = open_case(monitor, bhw, "Nobody Yet")

    html = client_for(cm).get(reverse("cases:list")).content.decode()

    assert "My cases" in html
    numbers = re.findall(r"BHW-C-\d{4}-\d{5}", html)
    assert numbers == [overdue.number, later.number, none.number]
    assert closed.number not in html and unassigned.number not in html
    # the overdue one is marked, once
    assert html.count("overdue-mark") == 1
    assert "Overdue Person" in html


def test_station_manager_sees_the_station_newest_first_and_the_list_is_logged(bhw, monitor, manager, cm):
    first = open_case(monitor, bhw, "First Person")
    second = set_case(open_case(monitor, bhw, "Second Person"), assigned_to=cm, status="active")
    response = client_for(manager).get(reverse("cases:list"))
    html = response.content.decode()
    assert re.findall(r"BHW-C-\d{4}-\d{5}", html) == [second.number, first.number]
    assert "Not assigned" in html and "cm_bhw" in html
    event = AccessEvent.objects.filter(actor=manager, action="case.list").latest("id")
    assert event.object_type == "victimcase"
    assert event.details["ids"] == sorted([first.pk, second.pk])
    assert event.details["stations"] == ["BHW"]
    assert sorted(event.details["interceptions"]) == sorted([first.interception_id, second.interception_id])


def test_filters_by_status_assignee_and_interception_number(bhw, monitor, manager, cm):
    a = set_case(open_case(monitor, bhw, "Aa Person"), assigned_to=cm, status="active")
    b = open_case(monitor, bhw, "Bb Person")
    client = client_for(manager)
    html = client.get(reverse("cases:list"), {"tab": "all", "status": "new"}).content.decode()
    assert b.number in html and a.number not in html
    html = client.get(reverse("cases:list"), {"tab": "all", "assigned_to": "cm_bhw"}).content.decode()
    assert a.number in html and b.number not in html
    html = client.get(
        reverse("cases:list"), {"tab": "all", "interception_number": a.interception.number}
    ).content
    assert a.number in html.decode() and b.number not in html.decode()


def test_names_are_masked_for_a_director_and_other_stations_see_nothing(bhw, brg, nepal, monitor):
    case = open_case(monitor, bhw, "Sita Tamang")
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="director")
    html = client_for(director).get(reverse("cases:list")).content.decode()
    assert case.number in html and "Sita Tamang" not in html and "[restricted]" in html

    other = case_manager(brg, "cm_brg")
    html = client_for(other).get(reverse("cases:list"), {"tab": "all"}).content.decode()
    assert case.number not in html and "No cases match." in html

    # a monitor does not see cases at all, nor the nav link
    html = client_for(monitor).get(reverse("cases:list"), {"tab": "all"}).content.decode()
    assert case.number not in html
    assert (
        f'href="{reverse("cases:list")}"'
        not in client_for(monitor).get(reverse("interception:list")).content.decode()
    )
    assert (
        f'href="{reverse("cases:list")}"'
        in client_for(director).get(reverse("interception:list")).content.decode()
    )


def test_list_page_query_count_does_not_grow_with_rows(bhw, monitor, manager, django_assert_max_num_queries):
    from cases.services.opening import PersonData, case_open

    for n in range(50):
        case_open(
            actor=manager, station=bhw, source=CaseSource.WALK_IN, person=PersonData(full_name=f"Walk In {n}")
        )
    client = client_for(manager)
    client.get(reverse("cases:list"))  # warm the session
    # 3 session and MFA; the list: access profile, live referrals, count, ids, rows;
    # 3 access log (+2 savepoints in a test); 2 nav: 15, whatever the page size
    with django_assert_max_num_queries(15):
        response = client.get(reverse("cases:list"), {"tab": "all"})
    assert len(re.findall(r"BHW-C-\d{4}-\d{5}", response.content.decode())) == 50
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("cases:list"), {"tab": "all"})
    for n in range(50, 60):
        case_open(
            actor=manager, station=bhw, source=CaseSource.WALK_IN, person=PersonData(full_name=f"Walk In {n}")
        )
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("cases:list"), {"tab": "all"})
    assert len(more) == len(few)


def test_open_a_case_by_hand_once_per_key(bhw, manager):
    client = client_for(manager)
    page = client.get(reverse("cases:new"))
    assert page.status_code == 200
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.content.decode()).group(1)
    data = {
        "station": "BHW",
        "source": "walk_in",
        "source_notes": "Came to the office alone",
        "full_name": "Maya Gurung",
        "gender": "female",
        "age": "19",
        "phone": "",
        "address": "Butwal",
        "nationality": "np",
        "idempotency_key": key,
    }
    response = client.post(reverse("cases:new"), data)
    case = VictimCase.objects.get(person__full_name="Maya Gurung")
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[case.pk])
    assert case.source == "walk_in" and case.station == bhw and case.status == "new"
    assert case.number.startswith("BHW-C-") and case.person.nationality == "NP"
    again = client.post(reverse("cases:new"), data)
    assert again.status_code == 302
    assert VictimCase.objects.filter(person__full_name="Maya Gurung").count() == 1
    assert AccessEvent.objects.filter(action="case.create", object_id=str(case.pk)).count() == 1


def test_open_by_hand_shows_errors_and_is_not_for_monitors(bhw, monitor, manager):
    response = client_for(manager).post(
        reverse("cases:new"), {"station": "BHW", "source": "police", "gender": "female"}
    )
    assert response.status_code == 200
    assert "Give her name, or choose a person already known." in response.content.decode()
    assert not VictimCase.objects.exists()
    assert client_for(monitor).get(reverse("cases:new")).status_code == 404


def test_open_by_hand_for_a_known_person(bhw, monitor, manager):
    first = open_case(monitor, bhw, "Sita Tamang")
    identity = first.person.identity_id
    client = client_for(manager)
    page = client.get(reverse("cases:new"), {"person": identity}).content.decode()
    assert f'name="identity" value="{identity}"' in page
    client.post(
        reverse("cases:new"),
        {
            "station": "BHW",
            "source": "partner",
            "full_name": "Sita Tamang",
            "gender": "female",
            "identity": identity,
        },
    )
    again = VictimCase.objects.exclude(pk=first.pk).get()
    assert again.person.identity_id == identity and again.source == "partner"


def test_a_case_referred_to_another_station_is_in_its_list_until_revoked(bhw, brg, monitor, manager):
    from datetime import timedelta

    from django.utils import timezone

    from cases.models import Referral

    case = open_case(monitor, bhw, "Sita Tamang")
    other = case_manager(brg, "cm_brg")
    client = client_for(other)
    assert case.number not in client.get(reverse("cases:list"), {"tab": "all"}).content.decode()
    referral = Referral.objects.create(
        case=case, to_station=brg, expires_at=timezone.now() + timedelta(days=3), created_by=manager
    )
    assert case.number in client.get(reverse("cases:list"), {"tab": "all"}).content.decode()
    api_rows = client_api(other).get("/api/v1/cases/").json()["results"]
    assert [r["number"] for r in api_rows] == [case.number]
    Referral.objects.filter(pk=referral.pk).update(revoked_at=timezone.now())
    assert case.number not in client.get(reverse("cases:list"), {"tab": "all"}).content.decode()


def client_api(user):
    from rest_framework.test import APIClient

    return login(APIClient(), user)


def test_open_by_hand_for_a_known_person_without_typing_her_name(bhw, monitor, manager):
    first = open_case(monitor, bhw, "Sita Tamang")
    identity = first.person.identity_id
    login(Client(), manager).post(
        reverse("cases:new"),
        {"station": "BHW", "source": "walk_in", "gender": "female", "identity": identity},
    )
    again = VictimCase.objects.exclude(pk=first.pk).get()
    assert again.person.identity_id == identity and again.person.full_name == "Sita Tamang"
