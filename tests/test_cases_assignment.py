"""Assigning a case to a case manager: the page, the API, the audit, the alerts."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from alerts.models import Notification
from audit.models import AccessEvent
from cases.services.assignment import case_assign
from core.errors import StaleVersionError, TransitionError

from .case_builders import case_manager, open_case, set_case
from .factories import login, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def cm(bhw):
    return case_manager(bhw, "cm_bhw")


def test_submitting_an_interception_alerts_the_station_managers_without_a_name(bhw, monitor, manager):
    case = open_case(monitor, bhw, "Sita Tamang")
    note = Notification.objects.get(recipient=manager, subject_key=f"case:{case.pk}")
    assert case.number in note.title
    assert "Sita" not in note.title + note.body and "Tamang" not in note.title + note.body
    assert not Notification.objects.filter(recipient=monitor, subject_key=f"case:{case.pk}").exists()


def test_station_manager_assigns_a_case_manager_on_the_page(bhw, monitor, manager, cm):
    case = open_case(monitor, bhw)
    client = login(Client(), manager)
    response = client.post(
        reverse("cases:assign", args=[case.pk]), {"assigned_to": "cm_bhw", "version": case.version}
    )
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[case.pk])
    case.refresh_from_db()
    assert case.assigned_to == cm and case.status == "active" and case.version == 2
    event = AccessEvent.objects.get(action="case.assign", object_id=str(case.pk))
    assert event.actor == manager and event.details["from"] is None and event.details["to"] == "cm_bhw"
    note = Notification.objects.get(recipient=cm, subject_key=f"case:{case.pk}:assigned:{cm.pk}")
    assert case.number in note.body and "Sita" not in note.title + note.body
    assert case.history.filter(assigned_to=cm).exists()
    # the case manager now finds it in "My cases"
    html = login(Client(), cm).get(reverse("cases:list")).content.decode()
    assert case.number in html


def test_reassignment_is_audited_with_the_previous_case_manager(bhw, monitor, manager, cm):
    other = case_manager(bhw, "cm_two")
    case = open_case(monitor, bhw)
    case_assign(actor=manager, case=case, assigned_to=cm)
    case_assign(actor=manager, case=case, assigned_to=other)
    case.refresh_from_db()
    assert case.assigned_to == other and case.version == 3
    last = AccessEvent.objects.filter(action="case.assign", object_id=str(case.pk)).latest("id")
    assert last.details["from"] == "cm_bhw" and last.details["to"] == "cm_two"


def test_only_case_managers_of_the_station_can_be_assigned(bhw, brg, monitor, manager, cm):
    case = open_case(monitor, bhw)
    elsewhere = case_manager(brg, "cm_brg")
    inactive = case_manager(bhw, "cm_gone")
    inactive.is_active = False
    inactive.save()
    for user in (monitor, elsewhere, inactive):
        with pytest.raises(ValidationError) as e:
            case_assign(actor=manager, case=case, assigned_to=user)
        assert "assigned_to" in e.value.message_dict
    # a country-wide case manager covers the station
    national = member(Role.CASE_MANAGER, country=bhw.country, username="cm_np")
    case_assign(actor=manager, case=case, assigned_to=national)
    # the page shows the error and changes nothing
    client = login(Client(), manager)
    response = client.post(reverse("cases:assign", args=[case.pk]), {"assigned_to": "mon_bhw"}, follow=True)
    assert "Choose an active case manager of station BHW." in response.content.decode()
    case.refresh_from_db()
    assert case.assigned_to == national


def test_case_manager_cannot_assign_and_closed_cases_cannot_be_assigned(bhw, monitor, manager, cm):
    case = open_case(monitor, bhw)
    with pytest.raises(PermissionDenied):
        case_assign(actor=cm, case=case, assigned_to=cm)
    assert (
        login(Client(), cm)
        .post(reverse("cases:assign", args=[case.pk]), {"assigned_to": "cm_bhw"})
        .status_code
        == 404
    )
    with pytest.raises(StaleVersionError):
        case_assign(actor=manager, case=case, assigned_to=cm, expected_version=7)
    set_case(case, status="closed", closure_reason="moved_away")
    with pytest.raises(TransitionError):
        case_assign(actor=manager, case=case, assigned_to=cm)
    case.refresh_from_db()
    assert case.assigned_to is None


def test_assign_api(bhw, brg, monitor, manager, cm, api):
    case = open_case(monitor, bhw, "Sita Tamang")
    url = reverse("api:case-assign", args=[case.pk])
    response = api(manager).post(url, {"assigned_to": "cm_bhw"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["assigned_to"] == "cm_bhw" and body["status"] == "active" and body["version"] == 2
    assert body["number"] == case.number and body["name"] == "Sita Tamang"

    bad = api(manager).post(url, {"assigned_to": "nobody"}, format="json")
    assert bad.status_code == 400 and "assigned_to" in str(bad.json())
    not_cm = api(manager).post(url, {"assigned_to": "mon_bhw"}, format="json")
    assert not_cm.status_code == 400
    assert api(cm).post(url, {"assigned_to": "cm_bhw"}, format="json").status_code == 403
    other_manager = member(Role.STATION_MANAGER, station=brg, username="mgr_brg")
    assert api(other_manager).post(url, {"assigned_to": "cm_bhw"}, format="json").status_code == 404
    assert api().post(url, {"assigned_to": "cm_bhw"}, format="json").status_code == 401
    stale = api(manager).post(url, {"assigned_to": "cm_bhw", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
    set_case(case, status="closed", closure_reason="died")
    closed = api(manager).post(url, {"assigned_to": "cm_bhw"}, format="json")
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "illegal_transition"


def test_assign_partial_offers_the_station_case_managers_to_a_manager_only(bhw, monitor, manager, cm, rf):
    from django.template.loader import render_to_string

    from cases.selectors import access_case
    from cases.views.assignment import assign_context

    case = open_case(monitor, bhw)
    for user, offered in ((manager, True), (cm, False)):
        request = rf.get("/")
        request.user = user
        seen = access_case(user, case.pk)
        html = render_to_string(
            "cases/_assign.html", {"case": seen, **assign_context(request, seen)}, request
        )
        assert "Not assigned yet." in html
        assert ('value="cm_bhw"' in html) is offered
        assert (reverse("cases:assign", args=[case.pk]) in html) is offered
        assert 'value="mon_bhw"' not in html
