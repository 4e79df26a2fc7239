"""GET/PATCH /api/v1/cases/{id}/, its timeline and the closure actions (docs/api.md "Case files")."""

from datetime import date

import pytest
from django.urls import reverse

from accounts.roles import Role
from audit.models import AccessEvent
from cases import models as cm
from cases.services.workflow import case_risk_set
from people.masking import MASK

from .factories import StationFactory, make_interception, member, person

pytestmark = pytest.mark.django_db

NAME = "Sita Tamang"


@pytest.fixture
def users(bhw, nepal):
    brg = StationFactory(code="BRG", country=nepal)
    return {
        "case_manager": member(Role.CASE_MANAGER, station=bhw, username="cm_bhw"),
        "manager": member(Role.STATION_MANAGER, station=bhw, username="sm_bhw"),
        "manager2": member(Role.STATION_MANAGER, station=bhw, username="sm2_bhw"),
        "legal": member(Role.LEGAL_OFFICER, station=bhw, username="lo_bhw"),
        "director": member(Role.COUNTRY_DIRECTOR, station=bhw, username="cd_bhw"),
        "other_cm": member(Role.CASE_MANAGER, station=brg, username="cm_brg"),
    }


@pytest.fixture
def case(monitor, bhw, users):
    interception = make_interception(monitor, bhw, people=[person(NAME, age=19)])
    case = cm.VictimCase.objects.get(interception=interception)
    cm.VictimCase.objects.filter(pk=case.pk).update(assigned_to=users["case_manager"], status="active")
    return cm.VictimCase.objects.get(pk=case.pk)


def url(name, case):
    return reverse(f"api:{name}", args=[case.pk])


def test_read_one_case_with_its_summary(api, case, users):
    user = users["case_manager"]
    case_risk_set(actor=user, case=case, risk="medium", reasons="Her uncle owes the agent.")
    today = date.today()
    cm.Consent.objects.create(
        case=case, scope="services", decision="given", decided_on=today, method="verbal", recorded_by=user
    )
    cm.Consent.objects.create(
        case=case, scope="services", decision="withdrawn", decided_on=today, method="verbal", recorded_by=user
    )
    cm.Interview.objects.create(
        case=case, conducted_on=today, conducted_by=user, willing_to_testify="undecided", created_by=user
    )
    cm.FollowUp.objects.create(
        case=case,
        due_on=today,
        method="visit",
        done_on=today,
        situation="at_risk",
        done_by=user,
        created_by=user,
    )
    response = api(user).get(url("case", case))
    assert response.status_code == 200
    data = response.json()
    assert data["number"] == case.number and data["status"] == "active" and data["name"] == NAME
    assert data["assigned_to"] == "cm_bhw" and data["risk"] == "medium" and data["version"] == 2
    assert data["risk_reasons"] == "Her uncle owes the agent."
    assert data["consents"] == {"services": "withdrawn"}
    assert (data["willing_to_testify"], data["contact_status"]) == ("undecided", "at_risk")
    assert data["closure_reason"] == "" and data["closed_by"] is None
    assert AccessEvent.objects.filter(action="case.view", actor=user, object_id=str(case.pk)).exists()

    for who in ("legal", "director"):
        data = api(users[who]).get(url("case", case)).json()
        assert data["name"] == MASK and data["risk_reasons"] == MASK
        assert data["willing_to_testify"] == "undecided" and data["contact_status"] == "at_risk"


def test_another_stations_case_manager_gets_404(api, case, users):
    client = api(users["other_cm"])
    for name in ("case", "case-timeline"):
        assert client.get(url(name, case)).status_code == 404
    for name in ("case-request-closure", "case-approve-closure", "case-refuse-closure", "case-reopen"):
        assert client.post(url(name, case), {"reason": "reintegrated"}, format="json").status_code == 404
    assert client.patch(url("case", case), {"risk": "low", "version": 1}, format="json").status_code == 404
    assert api().get(url("case", case)).status_code == 401


def test_patch_risk_with_version(api, case, users):
    client = api(users["case_manager"])
    response = client.patch(
        url("case", case), {"risk": "high", "risk_reasons": "Threats.", "version": 1}, format="json"
    )
    assert (
        response.status_code == 200 and response.json()["risk"] == "high" and response.json()["version"] == 2
    )
    stale = client.patch(url("case", case), {"risk": "low", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
    assert stale.json()["error"]["current_version"] == 2
    bad = client.patch(url("case", case), {"risk": "extreme", "version": 2}, format="json")
    assert bad.status_code == 400 and "risk" in bad.json()["error"]["fields"]
    missing = client.patch(url("case", case), {"risk": "low"}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()["error"]["fields"]
    assert (
        api(users["legal"]).patch(url("case", case), {"risk": "low", "version": 2}, format="json").status_code
        == 403
    )
    assert cm.VictimCase.objects.get(pk=case.pk).risk == "high"


def test_closure_through_the_api(api, case, users):
    cm_client, sm = api(users["case_manager"]), api(users["manager"])
    bad = cm_client.post(url("case-request-closure", case), {"reason": "bored"}, format="json")
    assert bad.status_code == 400 and "reason" in bad.json()["error"]["fields"]
    early = sm.post(url("case-approve-closure", case), {}, format="json")
    assert early.status_code == 409 and early.json()["error"]["code"] == "illegal_transition"
    assert early.json()["error"]["current_status"] == "active" and early.json()["error"]["message"]
    response = cm_client.post(
        url("case-request-closure", case), {"reason": "lost_contact", "notes": "No answer."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "closure_requested"
    assert response.json()["closure_requested_by"] == "cm_bhw"
    assert cm_client.post(url("case-approve-closure", case), {}, format="json").status_code == 403
    assert api(users["legal"]).post(url("case-approve-closure", case), {}, format="json").status_code == 403
    response = sm.post(url("case-approve-closure", case), {}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "closed" and data["closed_by"] == "sm_bhw" and data["closed_at"]
    assert data["closure_reason"] == "lost_contact"
    again = cm_client.post(url("case-request-closure", case), {"reason": "died"}, format="json")
    assert again.status_code == 409
    assert cm_client.post(url("case-reopen", case), {}, format="json").status_code == 400
    response = cm_client.post(url("case-reopen", case), {"reason": "She answered."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "active"
    assert response.json()["reopen_reason"] == "She answered."
    assert cm_client.post(url("case-reopen", case), {"reason": "x"}, format="json").status_code == 409
    assert api(users["legal"]).get(url("case", case)).json()["reopen_reason"] == MASK


def test_the_requester_cannot_approve_their_own_closure(api, case, users):
    sm = api(users["manager"])
    assert (
        sm.post(url("case-request-closure", case), {"reason": "transferred"}, format="json").status_code
        == 200
    )
    response = sm.post(url("case-approve-closure", case), {}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "You cannot approve your own closure request"
    assert cm.VictimCase.objects.get(pk=case.pk).status == "closure_requested"
    refused = api(users["manager2"]).post(
        url("case-refuse-closure", case), {"note": "Not yet."}, format="json"
    )
    assert refused.status_code == 200 and refused.json()["status"] == "active"


def test_the_timeline(api, case, users, django_assert_max_num_queries):
    user = users["case_manager"]
    api(user).post(url("case-request-closure", case), {"reason": "reintegrated"}, format="json")
    client = api(users["director"])
    with django_assert_max_num_queries(30):
        response = client.get(url("case-timeline", case))
    assert response.status_code == 200
    items = response.json()["results"]
    assert items[0]["kind"] == "status" and items[0]["codes"]["reason"] == "reintegrated"
    assert items[0]["user"] == "cm_bhw"
    assert items[-1]["kind"] == "opened"
    assert NAME not in str(items)
