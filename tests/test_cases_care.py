"""Services and follow-ups of a case file: the services' rules, the pages and the case page's partials
(docs/cases.md "Risk, services and follow-ups", "What became of the interception")."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.roles import Role
from audit.models import AccessEvent
from cases.models import CaseSource, CaseStatus, FollowUp, Service, VictimCase
from cases.services import care
from cases.services.opening import PersonData, case_open
from core.errors import StaleVersionError, TransitionError

from .factories import login, make_interception, member, person

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


# --- services ---------------------------------------------------------------------------------------------


def test_a_service_is_added_with_its_history_and_audit_without_its_outcome(case, case_manager):
    service, created = care.service_add(
        actor=case_manager,
        case=case,
        kind="shelter",
        provider="Maiti Nepal",
        provider_kind="partner",
        started_on=today(case),
        outcome="Safe at the shelter",
    )
    assert created and service.kind == "shelter" and service.version == 1
    assert service.history.get().history_user == case_manager
    event = AccessEvent.objects.get(action="case.service_add")
    assert event.object_id == str(case.pk)
    assert event.details == {"service": service.pk, "kind": "shelter", "status": "ongoing"}
    assert "Safe" not in str(event.details)


def test_service_input_is_checked_field_by_field(case, case_manager):
    with pytest.raises(ValidationError) as error:
        care.service_add(
            actor=case_manager,
            case=case,
            kind="spa",
            provider="  ",
            started_on=date(2026, 3, 2),
            ended_on=date(2026, 3, 1),
        )
    assert set(error.value.message_dict) == {"kind", "provider", "ended_on"}
    with pytest.raises(ValidationError) as error:
        care.service_add(
            actor=case_manager,
            case=case,
            kind="medical",
            provider="Clinic",
            started_on=date(2026, 3, 2),
            ended_on=date(2026, 3, 1),
        )
    assert set(error.value.message_dict) == {"ended_on"}
    assert not Service.objects.exists()


def test_only_the_case_workers_add_services_and_never_on_a_closed_case(case, bhw, case_manager):
    legal = member(Role.LEGAL_OFFICER, station=bhw)
    with pytest.raises(PermissionDenied):
        care.service_add(actor=legal, case=case, kind="legal_aid", provider="Lawyer", started_on=today(case))
    VictimCase.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED, closure_reason="reintegrated")
    with pytest.raises(TransitionError):
        care.service_add(actor=case_manager, case=case, kind="medical", provider="C", started_on=today(case))
    assert not Service.objects.exists()


def test_a_service_repeated_with_its_idempotency_key_is_added_once(case, case_manager):
    args = {
        "actor": case_manager,
        "case": case,
        "kind": "medical",
        "provider": "Clinic",
        "started_on": today(case),
    }
    first, created = care.service_add(**args, idempotency_key="k1")
    again, created_again = care.service_add(**args, idempotency_key="k1")
    assert created and not created_again and first == again
    assert Service.objects.count() == 1


def test_a_stale_service_edit_is_refused(case, case_manager):
    service, _ = care.service_add(
        actor=case_manager, case=case, kind="medical", provider="Clinic", started_on=today(case)
    )
    care.service_update(actor=case_manager, service=service, expected_version=1, status="completed")
    with pytest.raises(StaleVersionError):
        care.service_update(actor=case_manager, service=service, expected_version=1, outcome="lost")
    service.refresh_from_db()
    assert (service.status, service.outcome, service.version) == ("completed", "", 2)
    assert AccessEvent.objects.filter(action="case.service_change").count() == 1


# --- follow-ups -------------------------------------------------------------------------------------------


def test_follow_ups_keep_the_case_next_follow_up_date(case, case_manager):
    later, _ = care.follow_up_add(
        actor=case_manager, case=case, due_on=today(case) + timedelta(days=14), method="visit"
    )
    case.refresh_from_db()
    assert case.next_follow_up_on == later.due_on
    sooner, _ = care.follow_up_add(
        actor=case_manager, case=case, due_on=today(case) + timedelta(days=3), method="phone"
    )
    case.refresh_from_db()
    assert case.next_follow_up_on == sooner.due_on
    assert case.status == CaseStatus.ACTIVE  # left alone
    care.follow_up_record(actor=case_manager, follow_up=sooner, done_on=today(case), situation="safe")
    case.refresh_from_db()
    assert case.next_follow_up_on == later.due_on
    event = AccessEvent.objects.filter(action="case.follow_up_done").get()
    assert event.details["situation"] == "safe"


def test_a_follow_up_cannot_be_due_before_the_case_was_opened(case, case_manager):
    with pytest.raises(ValidationError) as error:
        care.follow_up_add(
            actor=case_manager, case=case, due_on=case.opened_on - timedelta(days=1), method="phone"
        )
    assert set(error.value.message_dict) == {"due_on"}
    with pytest.raises(ValidationError) as error:
        care.follow_up_add(actor=case_manager, case=case, due_on=today(case), method="letter")
    assert set(error.value.message_dict) == {"method"}


def test_recording_a_follow_up_reassesses_risk_classifies_the_interception_and_plans_the_next(
    case, case_manager
):
    follow_up, _ = care.follow_up_add(actor=case_manager, case=case, due_on=today(case), method="phone")
    version = VictimCase.objects.get(pk=case.pk).version
    done, following = care.follow_up_record(
        actor=case_manager,
        follow_up=follow_up,
        done_on=today(case),
        situation="at_risk",
        notes="The broker called her again",
        risk="high",
        risk_reasons="Contacted by the broker",
        interception_outcome="trafficking_confirmed",
        next_due_on=today(case) + timedelta(days=7),
        next_method="visit",
        expected_version=follow_up.version,
    )
    case.refresh_from_db()
    assert (case.risk, case.risk_reasons) == ("high", "Contacted by the broker")
    assert case.interception_outcome == "trafficking_confirmed" and case.version == version + 1
    assert (done.done_by, done.situation, done.interception_outcome) == (
        case_manager,
        "at_risk",
        "trafficking_confirmed",
    )
    assert following.method == "visit" and case.next_follow_up_on == following.due_on
    event = AccessEvent.objects.get(action="case.follow_up_done")
    assert event.details == {
        "follow_up": follow_up.pk,
        "situation": "at_risk",
        "outcome": "trafficking_confirmed",
        "risk": "high",
        "next_follow_up": following.pk,
    }
    assert "broker" not in str(event.details)


def test_a_follow_up_done_twice_or_stale_is_refused(case, case_manager):
    follow_up, _ = care.follow_up_add(actor=case_manager, case=case, due_on=today(case), method="phone")
    with pytest.raises(StaleVersionError):
        care.follow_up_record(
            actor=case_manager, follow_up=follow_up, done_on=today(case), situation="safe", expected_version=7
        )
    care.follow_up_record(actor=case_manager, follow_up=follow_up, done_on=today(case), situation="safe")
    with pytest.raises(TransitionError):
        care.follow_up_record(
            actor=case_manager, follow_up=follow_up, done_on=today(case), situation="unreachable"
        )
    assert FollowUp.objects.get(pk=follow_up.pk).situation == "safe"


def test_follow_up_record_input_is_checked(case, case_manager):
    follow_up, _ = care.follow_up_add(actor=case_manager, case=case, due_on=today(case), method="phone")
    with pytest.raises(ValidationError) as error:
        care.follow_up_record(
            actor=case_manager,
            follow_up=follow_up,
            done_on=today(case) + timedelta(days=1),
            situation="lost",
            risk_reasons="why",
            next_due_on=today(case) - timedelta(days=1),
        )
    assert set(error.value.message_dict) == {"done_on", "situation", "risk", "next_due_on"}
    assert FollowUp.objects.get(pk=follow_up.pk).done_on is None


def test_the_interception_outcome_is_only_for_cases_opened_from_an_interception(bhw, case_manager):
    walk_in, _ = case_open(
        actor=case_manager, station=bhw, source=CaseSource.WALK_IN, person=PersonData(full_name="Laxmi Thapa")
    )
    follow_up, _ = care.follow_up_add(actor=case_manager, case=walk_in, due_on=today(walk_in), method="visit")
    with pytest.raises(ValidationError) as error:
        care.follow_up_record(
            actor=case_manager,
            follow_up=follow_up,
            done_on=today(walk_in),
            situation="safe",
            interception_outcome="not_trafficking",
        )
    assert set(error.value.message_dict) == {"interception_outcome"}
    walk_in.refresh_from_db()
    assert walk_in.interception_outcome == ""


# --- pages ------------------------------------------------------------------------------------------------


def test_a_case_manager_adds_and_edits_a_service_on_the_page(client, case, case_manager):
    login(client, case_manager)
    url = reverse("cases:service-new", args=[case.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'name="idempotency_key"' in page.content
    data = {
        "kind": "medical",
        "provider_kind": "own",
        "provider": "Health post",
        "started_on": today(case).isoformat(),
        "status": "ongoing",
        "outcome": "",
        "idempotency_key": "page-key-1",
    }
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"].endswith(f"/cases/{case.pk}/#services")
    client.post(url, data)  # sent twice on a bad connection
    service = Service.objects.get()
    edit = reverse("cases:service-edit", args=[case.pk, service.pk])
    response = client.post(edit, {**data, "status": "completed", "version": 1})
    assert response.status_code == 302
    stale = client.post(edit, {**data, "outcome": "Cured", "version": 1})
    assert stale.status_code == 200 and "Someone else saved this record" in stale.content.decode()
    service.refresh_from_db()
    assert (service.status, service.outcome, service.version) == ("completed", "", 2)


def test_a_bad_service_form_shows_field_errors_and_saves_nothing(client, case, case_manager):
    login(client, case_manager)
    response = client.post(
        reverse("cases:service-new", args=[case.pk]),
        {
            "kind": "medical",
            "provider_kind": "own",
            "provider": "Clinic",
            "status": "ongoing",
            "started_on": "2026-03-02",
            "ended_on": "2026-03-01",
        },
    )
    assert response.status_code == 200
    assert "The end date cannot be before the start date." in response.content.decode()
    assert not Service.objects.exists()


def test_plan_and_record_a_follow_up_on_the_pages(client, case, case_manager):
    login(client, case_manager)
    due = today(case)
    response = client.post(
        reverse("cases:follow-up-new", args=[case.pk]), {"due_on": due.isoformat(), "method": "phone"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#follow-ups")
    follow_up = FollowUp.objects.get()
    url = reverse("cases:follow-up-done", args=[case.pk, follow_up.pk])
    page = client.get(url)
    assert page.status_code == 200 and "What became of the interception" in page.content.decode()
    response = client.post(
        url,
        {
            "done_on": due.isoformat(),
            "situation": "safe",
            "notes": "At home with her mother",
            "risk": "low",
            "interception_outcome": "high_risk_prevented",
            "next_due_on": (due + timedelta(days=30)).isoformat(),
            "next_method": "visit",
            "version": 1,
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.risk, case.interception_outcome) == ("low", "high_risk_prevented")
    assert case.next_follow_up_on == due + timedelta(days=30)
    # done already: the page says so instead of recording it twice
    again = client.get(url)
    assert again.status_code == 302


def test_viewers_who_may_not_work_on_the_case_and_other_stations_get_404(client, case, bhw, brg):
    for user in (member(Role.LEGAL_OFFICER, station=bhw), member(Role.CASE_MANAGER, station=brg)):
        login(client, user)
        assert client.get(reverse("cases:service-new", args=[case.pk])).status_code == 404
        assert client.get(reverse("cases:follow-up-new", args=[case.pk])).status_code == 404


# --- the case page's partials -----------------------------------------------------------------------------


def partial(name, case, **context):
    rows = {
        "services": Service.objects.filter(case=case),
        "follow_ups": FollowUp.objects.filter(case=case).select_related("done_by").order_by("due_on"),
    }
    return render_to_string(
        f"cases/{name}", {"case": case, "rights": {"change": True}, "today": today(case), **rows, **context}
    )


def test_the_follow_ups_partial_marks_overdue_ones_and_masks_notes(case, case_manager):
    overdue = FollowUp.objects.create(
        case=case, due_on=today(case) - timedelta(days=2), method="phone", created_by=case_manager
    )
    FollowUp.objects.create(
        case=case, due_on=today(case) + timedelta(days=5), method="visit", created_by=case_manager
    )
    done = FollowUp.objects.create(
        case=case, due_on=today(case) - timedelta(days=9), method="visit", created_by=case_manager
    )
    care.follow_up_record(
        actor=case_manager, follow_up=done, done_on=today(case), situation="safe", notes="Married now"
    )
    case.can_see_sensitive = True
    html = partial("_follow_ups.html", case)
    assert html.count("badge-overdue") == 1 and f"follow-up-{overdue.pk}" in html
    assert "Married now" in html and "BS)" in html
    assert reverse("cases:follow-up-done", args=[case.pk, overdue.pk]) in html
    case.can_see_sensitive = False
    masked = partial("_follow_ups.html", case, rights={"change": False})
    assert "Married now" not in masked and "[restricted]" in masked
    assert "Record as done" not in masked


def test_the_services_partial_masks_the_outcome(case, case_manager):
    care.service_add(
        actor=case_manager,
        case=case,
        kind="shelter",
        provider="Maiti Nepal",
        started_on=today(case),
        outcome="Moved on",
    )
    case.can_see_sensitive = True
    assert "Moved on" in partial("_services.html", case)
    case.can_see_sensitive = False
    html = partial("_services.html", case)
    assert "Moved on" not in html and "[restricted]" in html and "Maiti Nepal" in html


def test_the_case_page_shows_services_and_an_overdue_follow_up(client, case, case_manager, bhw):
    care.service_add(
        actor=case_manager,
        case=case,
        kind="shelter",
        provider="Maiti Nepal",
        started_on=today(case),
        outcome="Safe",
    )
    FollowUp.objects.create(
        case=case, due_on=today(case) - timedelta(days=1), method="phone", created_by=case_manager
    )
    login(client, case_manager)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Maiti Nepal" in page and "overdue" in page and "Record as done" in page
    login(client, member(Role.COUNTRY_DIRECTOR, country=bhw.country))
    masked = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Maiti Nepal" in masked and ">Safe<" not in masked and "Record as done" not in masked
