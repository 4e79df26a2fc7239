"""The case's state machine (docs/cases.md "Closure, reopening"): new → active → closure requested → closed,
reopening with a reason; illegal transitions refused with a clear message; nobody approves the closure they
asked for."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from alerts.models import Notification
from audit.models import AccessEvent
from cases.models import CaseStatus, VictimCase
from cases.services.workflow import (
    case_reopen,
    case_risk_set,
    closure_approve,
    closure_refuse,
    closure_request,
)
from core.errors import StaleVersionError, TransitionError

from .factories import login, make_interception, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(bhw, monitor):
    return {
        "case_manager": member(Role.CASE_MANAGER, station=bhw, username="cm_bhw"),
        "manager": member(Role.STATION_MANAGER, station=bhw, username="sm_bhw"),
        "manager2": member(Role.STATION_MANAGER, station=bhw, username="sm2_bhw"),
        "legal": member(Role.LEGAL_OFFICER, station=bhw, username="lo_bhw"),
    }


@pytest.fixture
def case(monitor, bhw, people):
    interception = make_interception(monitor, bhw)
    return VictimCase.objects.get(interception=interception)


def fresh(case):
    return VictimCase.objects.get(pk=case.pk)


def events(case, action):
    return AccessEvent.objects.filter(action=action, object_type="victimcase", object_id=str(case.pk))


def test_the_whole_way_from_new_to_closed_and_reopened(case, people):
    cm, sm = people["case_manager"], people["manager"]
    assert case.status == CaseStatus.NEW
    case = closure_request(actor=cm, case=case, reason="reintegrated", notes="Back at school.")
    assert (case.status, case.closure_reason, case.closure_requested_by) == (
        "closure_requested",
        "reintegrated",
        cm,
    )
    assert case.closure_requested_at is not None
    # the station's managers are told (not the one who asked)
    assert Notification.objects.filter(
        recipient=sm, subject_key__startswith=f"case:{case.pk}:closure"
    ).exists()
    event = events(case, "case.closure_request").get()
    assert event.details["from"] == "new" and event.details["to"] == "closure_requested"
    assert event.details["reason"] == "reintegrated" and "Back at school" not in str(event.details)

    case = closure_approve(actor=sm, case=case)
    assert (case.status, case.closed_by) == (CaseStatus.CLOSED, sm) and case.closed_at is not None
    assert events(case, "case.closure_approve").get().details["to"] == "closed"

    with pytest.raises(ValidationError) as exc:
        case_reopen(actor=cm, case=case, reason="  ")
    assert "reason" in exc.value.message_dict
    case = case_reopen(actor=cm, case=case, reason="She called: the family wants her to go again.")
    assert case.status == CaseStatus.ACTIVE and case.closed_by is None and case.closed_at is None
    assert events(case, "case.reopen").get().details == {
        "number": case.number,
        "from": "closed",
        "to": "active",
        "version": case.version,
        "closure_reason": "reintegrated",
    }
    # the closure's reason stays in the history
    assert "reintegrated" in set(case.history.values_list("closure_reason", flat=True))
    assert case.version == 4


def test_the_requester_cannot_approve_their_own_closure(case, people):
    sm = people["manager"]
    case = closure_request(actor=sm, case=case, reason="moved_away")
    with pytest.raises(PermissionDenied, match="You cannot approve your own closure request"):
        closure_approve(actor=sm, case=case)
    assert fresh(case).status == CaseStatus.CLOSURE_REQUESTED
    # another station manager may
    assert closure_approve(actor=people["manager2"], case=case).status == CaseStatus.CLOSED


def test_only_a_station_manager_decides(case, people):
    case = closure_request(actor=people["case_manager"], case=case, reason="lost_contact")
    for who in ("case_manager", "legal"):
        with pytest.raises(PermissionDenied):
            closure_approve(actor=people[who], case=case)
        with pytest.raises(PermissionDenied):
            closure_refuse(actor=people[who], case=case)
    assert fresh(case).status == CaseStatus.CLOSURE_REQUESTED


def test_refusal_makes_the_case_active_again(case, people):
    case = closure_request(actor=people["case_manager"], case=case, reason="declined_services")
    case = closure_refuse(actor=people["manager"], case=case, note="She still needs the shelter.")
    assert (
        case.status == CaseStatus.ACTIVE and case.closure_reason == "" and case.closure_requested_by is None
    )
    assert events(case, "case.closure_refuse").get().details["reason"] == "declined_services"


@pytest.mark.parametrize(
    "status, call",
    [
        ("closure_requested", "request"),
        ("closed", "request"),
        ("new", "approve"),
        ("active", "approve"),
        ("closed", "approve"),
        ("active", "refuse"),
        ("new", "reopen"),
        ("active", "reopen"),
        ("closure_requested", "reopen"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(case, people, status, call):
    extra = {"closure_reason": "died"} if status in ("closed", "closure_requested") else {}
    VictimCase.objects.filter(pk=case.pk).update(status=status, **extra)
    case = fresh(case)
    cm, sm = people["case_manager"], people["manager"]
    run = {
        "request": lambda: closure_request(actor=cm, case=case, reason="reintegrated"),
        "approve": lambda: closure_approve(actor=sm, case=case),
        "refuse": lambda: closure_refuse(actor=sm, case=case),
        "reopen": lambda: case_reopen(actor=cm, case=case, reason="Needed again."),
    }[call]
    with pytest.raises(TransitionError) as exc:
        run()
    assert exc.value.status == status and str(exc.value)
    after = fresh(case)
    assert (after.status, after.version) == (status, case.version)


def test_bad_closure_reason_and_risk(case, people):
    cm = people["case_manager"]
    with pytest.raises(ValidationError) as exc:
        closure_request(actor=cm, case=case, reason="bored")
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        case_risk_set(actor=cm, case=case, risk="extreme", reasons="")
    assert "risk" in exc.value.message_dict
    assert fresh(case).version == case.version


def test_risk_is_versioned(case, people):
    cm = people["case_manager"]
    case = case_risk_set(
        actor=cm, case=case, risk="high", reasons="The agent knows her village.", expected_version=1
    )
    assert (case.risk, case.version) == ("high", 2)
    with pytest.raises(StaleVersionError):
        case_risk_set(actor=cm, case=case, risk="low", reasons="", expected_version=1)
    assert fresh(case).risk == "high"
    event = events(case, "case.risk").get()
    assert event.details["risk"] == "high" and "village" not in str(event.details)
    with pytest.raises(PermissionDenied):
        case_risk_set(actor=people["legal"], case=case, risk="low", reasons="")


# --- the pages ---------------------------------------------------------------------------------------------


def page(user):
    return login(Client(), user)


def test_closure_through_the_pages(case, people):
    cm, sm = page(people["case_manager"]), page(people["manager"])
    url = reverse("cases:detail", args=[case.pk])
    shown = cm.get(url).content.decode()
    assert 'id="closure-request-form"' in shown
    # bad input: the page again with the field's error
    response = cm.post(
        reverse("cases:request-closure", args=[case.pk]), {"reason": "", "version": case.version}
    )
    assert response.status_code == 200 and 'class="error"' in response.content.decode()
    assert fresh(case).status == CaseStatus.NEW
    response = cm.post(
        reverse("cases:request-closure", args=[case.pk]), {"reason": "reintegrated", "version": case.version}
    )
    assert response.status_code == 302
    assert fresh(case).status == CaseStatus.CLOSURE_REQUESTED
    # the case manager cannot approve: 404 (as if out of reach)
    assert cm.post(reverse("cases:approve-closure", args=[case.pk]), {}).status_code == 404
    assert 'id="closure-decision"' in sm.get(url).content.decode()
    response = sm.post(reverse("cases:approve-closure", args=[case.pk]), {}, follow=True)
    assert "Closure approved" in response.content.decode()
    assert fresh(case).status == CaseStatus.CLOSED
    # approving again: the message, nothing changes
    response = sm.post(reverse("cases:approve-closure", args=[case.pk]), {}, follow=True)
    assert "Only a case whose closure was requested can be closed" in response.content.decode()
    # reopening needs a reason
    response = cm.post(reverse("cases:reopen", args=[case.pk]), {"reason": ""})
    assert response.status_code == 200 and fresh(case).status == CaseStatus.CLOSED
    cm.post(reverse("cases:reopen", args=[case.pk]), {"reason": "She asked for help again."})
    assert fresh(case).status == CaseStatus.ACTIVE


def test_a_station_manager_is_told_they_cannot_approve_their_own_request(case, people):
    sm = page(people["manager"])
    sm.post(reverse("cases:request-closure", args=[case.pk]), {"reason": "transferred"})
    shown = sm.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="own-request"' in shown and 'id="closure-decision"' not in shown
    response = sm.post(reverse("cases:approve-closure", args=[case.pk]), {}, follow=True)
    assert "You cannot approve your own closure request" in response.content.decode()
    assert fresh(case).status == CaseStatus.CLOSURE_REQUESTED


def test_stale_risk_form_is_refused_with_the_message(case, people):
    cm = page(people["case_manager"])
    url = reverse("cases:risk", args=[case.pk])
    cm.post(url, {"risk": "medium", "risk_reasons": "", "version": 1})
    response = cm.post(url, {"risk": "low", "risk_reasons": "", "version": 1}, follow=True)
    assert "Someone else saved this record" in response.content.decode()
    assert fresh(case).risk == "medium"
