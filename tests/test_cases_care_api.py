"""The API of services and follow-ups (docs/api.md "Case files"): 201/200, 400 with field names, 403 for a
viewer who may not work on the case, 404 out of reach, 409 stale or done already, masking, query counts."""

from datetime import timedelta

import pytest

from accounts.roles import Role
from cases.models import CaseStatus, FollowUp, Service, VictimCase
from cases.services import care

from .factories import make_interception, member, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_manager(bhw):
    return member(Role.CASE_MANAGER, station=bhw, username="cm_bhw")


@pytest.fixture
def case(monitor, bhw, case_manager):
    interception = make_interception(monitor, bhw, people=[person("Sita Tamang", age=17)])
    case = VictimCase.objects.get(interception=interception)
    VictimCase.objects.filter(pk=case.pk).update(assigned_to=case_manager, status=CaseStatus.ACTIVE)
    case.refresh_from_db()
    return case


def today(case):
    return care.local_today(case.station)


def services_url(case):
    return f"/api/v1/cases/{case.pk}/services/"


def follow_ups_url(case):
    return f"/api/v1/cases/{case.pk}/follow-ups/"


def test_adding_a_service_with_an_idempotency_key(api, case, case_manager):
    client = api(case_manager)
    body = {
        "kind": "shelter",
        "provider": "Maiti Nepal",
        "started_on": today(case).isoformat(),
        "outcome": "Safe",
    }
    response = client.post(services_url(case), body, format="json", HTTP_IDEMPOTENCY_KEY="svc-1")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["kind"], data["provider_kind"], data["status"], data["outcome"], data["version"]) == (
        "shelter",
        "own",
        "ongoing",
        "Safe",
        1,
    )
    again = client.post(services_url(case), body, format="json", HTTP_IDEMPOTENCY_KEY="svc-1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == data["id"] and Service.objects.count() == 1


def test_bad_service_input_is_a_400_naming_the_fields(api, case, case_manager):
    response = api(case_manager).post(
        services_url(case),
        {"kind": "spa", "provider": "", "started_on": "2026-03-02"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"kind", "provider"}
    response = api(case_manager).post(
        services_url(case),
        {"kind": "medical", "provider": "Clinic", "started_on": "2026-03-02", "ended_on": "2026-03-01"},
        format="json",
    )
    assert response.status_code == 400 and set(response.json()["error"]["fields"]) == {"ended_on"}
    assert not Service.objects.exists()


def test_patching_a_service_needs_the_current_version(api, case, case_manager):
    service, _ = care.service_add(
        actor=case_manager, case=case, kind="medical", provider="Clinic", started_on=today(case)
    )
    client = api(case_manager)
    url = f"{services_url(case)}{service.pk}/"
    assert client.patch(url, {"status": "completed"}, format="json").status_code == 400  # no version
    response = client.patch(url, {"status": "completed", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["version"] == 2
    stale = client.patch(url, {"outcome": "Cured", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"


def test_viewers_read_masked_outcomes_but_cannot_write_and_others_get_404(api, case, case_manager, bhw, brg):
    care.service_add(
        actor=case_manager,
        case=case,
        kind="medical",
        provider="Clinic",
        started_on=today(case),
        outcome="Cured",
    )
    director = member(Role.COUNTRY_DIRECTOR, country=bhw.country)
    response = api(director).get(services_url(case))
    assert response.status_code == 200
    assert [s["outcome"] for s in response.json()["results"]] == ["[restricted]"]
    body = {"kind": "medical", "provider": "Clinic", "started_on": today(case).isoformat()}
    assert api(director).post(services_url(case), body, format="json").status_code == 403
    legal = member(Role.LEGAL_OFFICER, station=bhw)
    assert api(legal).post(follow_ups_url(case), {}, format="json").status_code == 403
    other = member(Role.CASE_MANAGER, station=brg)
    assert api(other).get(services_url(case)).status_code == 404
    assert api(other).post(services_url(case), body, format="json").status_code == 404
    assert api().get(services_url(case)).status_code == 401


def test_lists_run_a_bounded_number_of_queries(api, case, case_manager, django_assert_max_num_queries):
    for n in range(5):
        care.service_add(
            actor=case_manager, case=case, kind="medical", provider=f"C{n}", started_on=today(case)
        )
        care.follow_up_add(
            actor=case_manager, case=case, due_on=today(case) + timedelta(days=n), method="phone"
        )
    client = api(case_manager)
    client.get(services_url(case))  # the token and session caches warmed
    with django_assert_max_num_queries(12):
        assert len(client.get(services_url(case)).json()["results"]) == 5
    with django_assert_max_num_queries(12):
        assert len(client.get(follow_ups_url(case)).json()["results"]) == 5


def test_planning_and_recording_a_follow_up(api, case, case_manager):
    client = api(case_manager)
    response = client.post(
        follow_ups_url(case), {"due_on": today(case).isoformat(), "method": "phone"}, format="json"
    )
    assert response.status_code == 201, response.json()
    follow_up = response.json()
    assert follow_up["done_on"] is None and follow_up["overdue"] is False
    url = f"{follow_ups_url(case)}{follow_up['id']}/"
    next_due = today(case) + timedelta(days=30)
    response = client.patch(
        url,
        {
            "done_on": today(case).isoformat(),
            "situation": "safe",
            "notes": "With her family",
            "risk": "medium",
            "risk_reasons": "Broker nearby",
            "interception_outcome": "not_trafficking",
            "next_due_on": next_due.isoformat(),
            "version": 1,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["situation"], data["notes"], data["done_by"], data["version"]) == (
        "safe",
        "With her family",
        "cm_bhw",
        2,
    )
    following = FollowUp.objects.get(pk=data["next"])
    assert following.due_on == next_due and following.method == "phone"
    case.refresh_from_db()
    assert (case.risk, case.interception_outcome, case.next_follow_up_on) == (
        "medium",
        "not_trafficking",
        next_due,
    )
    again = client.patch(url, {"done_on": today(case).isoformat(), "situation": "safe"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"


def test_recording_a_follow_up_with_a_stale_version_or_bad_input(api, case, case_manager):
    follow_up, _ = care.follow_up_add(actor=case_manager, case=case, due_on=today(case), method="visit")
    client = api(case_manager)
    url = f"{follow_ups_url(case)}{follow_up.pk}/"
    stale = client.patch(
        url, {"done_on": today(case).isoformat(), "situation": "safe", "version": 5}, format="json"
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
    bad = client.patch(
        url, {"done_on": (today(case) + timedelta(days=2)).isoformat(), "situation": "gone"}, format="json"
    )
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"situation"}
    future = client.patch(
        url, {"done_on": (today(case) + timedelta(days=2)).isoformat(), "situation": "safe"}, format="json"
    )
    assert future.status_code == 400 and set(future.json()["error"]["fields"]) == {"done_on"}
    assert FollowUp.objects.get(pk=follow_up.pk).done_on is None
