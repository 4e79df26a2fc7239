"""The victim interview in the API (docs/api.md "Case files"): POST/GET /api/v1/cases/{id}/interviews/,
GET/PATCH /api/v1/cases/{id}/interviews/{iid}/."""

from datetime import date, timedelta

import pytest

from accounts.roles import Role
from audit.models import AccessEvent
from cases.alarm_catalogue import load_home_alarms
from cases.models import CaseStatus, HomeAlarm, Interview, VictimCase
from cases.services.interviews import InterviewData, interview_create
from people.masking import MASK

from .factories import make_interception, member, person

pytestmark = pytest.mark.django_db

NARRATIVE = "He promised her a job in a hotel in Delhi."
YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def url(case, interview=None):
    base = f"/api/v1/cases/{case.pk}/interviews/"
    return base if interview is None else f"{base}{interview.pk}/"


@pytest.fixture
def case_manager(bhw):
    return member(Role.CASE_MANAGER, station=bhw, username="cm_bhw")


def _case(monitor, station, *, age=16):
    interception = make_interception(monitor, station, people=[person("Sita Tamang", age=age)])
    case = VictimCase.objects.get(interception=interception)
    VictimCase.objects.filter(pk=case.pk).update(status=CaseStatus.ACTIVE)
    case.refresh_from_db()
    return case


@pytest.fixture
def case(monitor, bhw):
    return _case(monitor, bhw)


BODY = {
    "conducted_on": YESTERDAY,
    "palermo": {"acts": ["recruitment"], "means": [], "purposes": ["sexual_exploitation"]},
    "recruitment_method": "job_offer",
    "recruiter": {"name": "Hari Bhandari", "phone": "9811111111"},
    "promised": "A hotel job",
    "money_paid": "15000",
    "route": [
        {"kind": "source", "text": "Pokhara", "transport": "bus"},
        {"kind": "destination", "text": "Delhi", "country": "IN"},
    ],
    "willing_to_testify": "undecided",
    "narrative": NARRATIVE,
}


def test_recording_an_interview_answers_it_with_the_derived_fields(api, case, case_manager, nepal):
    load_home_alarms(HomeAlarm, nepal)
    response = api(case_manager).post(url(case), {**BODY, "alarms": ["H08"]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["meets_definition"] is True and body["child_at_time"] is True  # 16: no means needed
    assert body["alarm_score"] == 3 and body["version"] == 1
    assert body["palermo"] == {"acts": ["recruitment"], "means": [], "purposes": ["sexual_exploitation"]}
    assert body["recruiter"]["name"] == "Hari Bhandari" and body["recruiter"]["phone"] == "+9779811111111"
    assert [s["kind"] for s in body["route"]] == ["source", "destination"]
    assert body["money_paid"] == "15000.00" and body["currency"] == "NPR"
    assert body["narrative"] == NARRATIVE


def test_meets_definition_is_the_servers_whatever_the_client_sends(api, monitor, bhw, case_manager):
    adult = _case(monitor, bhw, age=25)
    response = api(case_manager).post(url(adult), {**BODY, "meets_definition": True}, format="json")
    assert response.status_code == 201
    assert response.json()["meets_definition"] is False and response.json()["child_at_time"] is False


def test_bad_codes_answer_400_naming_the_fields(api, case, case_manager):
    response = api(case_manager).post(
        url(case),
        {
            "conducted_on": YESTERDAY,
            "palermo": {"acts": ["kidnap"], "means": ["magic"], "purposes": []},
            "alarms": ["NOPE"],
            "willing_to_testify": "maybe",
            "route": [{"kind": "nowhere", "text": "x"}],
        },
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"palermo.acts", "palermo.means", "alarms", "willing_to_testify", "route.0.kind"} <= set(fields)
    assert not Interview.objects.exists()


def test_an_unknown_recruiter_identity_is_a_400_on_recruiter_identity(api, case, case_manager):
    response = api(case_manager).post(
        url(case), {"conducted_on": YESTERDAY, "recruiter": {"identity": 999999}}, format="json"
    )
    assert response.status_code == 400
    assert "recruiter.identity" in response.json()["error"]["fields"]


def test_the_same_idempotency_key_records_one_interview(api, case, case_manager):
    client = api(case_manager)
    first = client.post(url(case), BODY, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    again = client.post(url(case), BODY, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert Interview.objects.count() == 1
    other = client.post(url(case), {**BODY, "narrative": "else"}, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"


def test_patch_changes_only_what_is_sent_and_a_stale_version_is_409(api, case, case_manager):
    client = api(case_manager)
    created = client.post(url(case), BODY, format="json").json()
    interview = Interview.objects.get(pk=created["id"])
    response = client.patch(
        url(case, interview), {"version": 1, "palermo": {"means": ["deception"]}}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["version"] == 2 and body["palermo"]["acts"] == ["recruitment"]
    assert body["palermo"]["means"] == ["deception"] and body["narrative"] == NARRATIVE
    assert body["recruiter"]["name"] == "Hari Bhandari" and len(body["route"]) == 2
    assert Interview.objects.get().recruiter_id == interview.recruiter_id  # the same appearance
    stale = client.patch(url(case, interview), {"version": 1, "narrative": "lost"}, format="json")
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_version" and stale.json()["error"]["current_version"] == 2
    missing = client.patch(url(case, interview), {"narrative": "no version"}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()["error"]["fields"]
    assert Interview.objects.get().narrative == NARRATIVE


def test_a_legal_officer_reads_masked_and_cannot_record(api, case, case_manager, bhw):
    interview, _ = interview_create(
        actor=case_manager,
        case=case,
        data=InterviewData(
            conducted_on=date.today(),
            recruiter_name="Hari Bhandari",
            promised="A hotel job",
            travelled_with="Her cousin",
            acts=["recruitment"],
            purposes=["forced_labour"],
            willing_to_testify="yes",
            willing_to_file_complaint="no",
            narrative=NARRATIVE,
        ),
    )
    legal = member(Role.LEGAL_OFFICER, station=bhw, username="legal")
    client = api(legal)
    body = client.get(url(case, interview)).json()
    assert body["narrative"] == MASK and body["promised"] == MASK and body["travelled_with"] == MASK
    assert body["recruiter"]["name"] == MASK and body["recruiter"]["identity"] is None
    assert body["willing_to_testify"] == "yes" and body["willing_to_file_complaint"] == "no"
    assert body["meets_definition"] is True and body["palermo"]["acts"] == ["recruitment"]
    assert "Hari" not in str(body) and "hotel" not in str(body)
    assert client.post(url(case), BODY, format="json").status_code == 403
    assert client.patch(url(case, interview), {"version": 1}, format="json").status_code == 403
    assert Interview.objects.count() == 1


def test_out_of_reach_is_404_and_the_read_is_logged(api, case, case_manager, brg):
    interview, _ = interview_create(
        actor=case_manager, case=case, data=InterviewData(conducted_on=date.today())
    )
    outsider = member(Role.CASE_MANAGER, station=brg, username="cm_brg")
    assert api(outsider).get(url(case, interview)).status_code == 404
    assert api(outsider).post(url(case), BODY, format="json").status_code == 404
    assert api(case_manager).get(url(case, interview)).status_code == 200
    assert AccessEvent.objects.filter(
        action="case.view", actor=case_manager, object_id=str(case.pk), details__purpose="interview"
    ).exists()


def test_the_list_is_summaries_in_a_fixed_number_of_queries(
    api, case, case_manager, django_assert_max_num_queries
):
    for day in range(5):
        interview_create(
            actor=case_manager,
            case=case,
            data=InterviewData(conducted_on=date.today() - timedelta(days=day), narrative=NARRATIVE),
        )
    client = api(case_manager)
    client.get(url(case))  # warm the token and caches
    with django_assert_max_num_queries(10):  # with the live referrals to the reader's stations
        response = client.get(url(case))
    rows = response.json()["results"]
    assert len(rows) == 5 and rows[0]["conducted_on"] == date.today().isoformat()
    assert "narrative" not in rows[0] and {"meets_definition", "alarm_score", "version"} <= set(rows[0])


def test_a_closed_case_answers_409(api, case, case_manager):
    VictimCase.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED, closure_reason="reintegrated")
    response = api(case_manager).post(url(case), BODY, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "illegal_transition"
