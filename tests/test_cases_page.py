"""The case page, its timeline and its history (docs/cases.md "The case page and its timeline"): what each
reader sees, masking, the access log, bounded queries."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AccessEvent
from cases import models as cm
from cases.services.workflow import case_risk_set, closure_request
from people.masking import MASK

from .factories import StationFactory, login, make_interception, member, person

pytestmark = pytest.mark.django_db

NAME, PHONE = "Sita Tamang", "+9779800000001"


@pytest.fixture
def users(bhw, nepal):
    brg = StationFactory(code="BRG", country=nepal)
    return {
        "case_manager": member(Role.CASE_MANAGER, station=bhw, username="cm_bhw"),
        "manager": member(Role.STATION_MANAGER, station=bhw, username="sm_bhw"),
        "legal": member(Role.LEGAL_OFFICER, station=bhw, username="lo_bhw"),
        "director": member(Role.COUNTRY_DIRECTOR, station=bhw, username="cd_bhw"),
        "other_cm": member(Role.CASE_MANAGER, station=brg, username="cm_brg"),
        "monitor_here": member(Role.MONITOR, station=bhw, username="mon2_bhw"),
    }


@pytest.fixture
def case(monitor, bhw, users):
    interception = make_interception(
        monitor, bhw, people=[person(NAME, phone=PHONE, age=17, gender="female")]
    )
    case = cm.VictimCase.objects.get(interception=interception)
    cm.VictimCase.objects.filter(pk=case.pk).update(assigned_to=users["case_manager"], status="active")
    return cm.VictimCase.objects.get(pk=case.pk)


def add_records(case, user, n=1):
    today = date.today()
    for i in range(n):
        cm.Consent.objects.create(
            case=case,
            scope="information_sharing",
            decision="given",
            decided_on=today,
            method="verbal",
            recorded_by=user,
        )
        cm.Interview.objects.create(
            case=case,
            conducted_on=today - timedelta(days=i),
            conducted_by=user,
            narrative="She was promised work in a hotel.",
            willing_to_testify="yes",
            created_by=user,
        )
        cm.Service.objects.create(
            case=case, kind="shelter", provider="Safe house", started_on=today, created_by=user
        )
        cm.FollowUp.objects.create(
            case=case,
            due_on=today - timedelta(days=1),
            method="phone",
            done_on=today,
            situation="safe",
            done_by=user,
            created_by=user,
        )
        cm.Referral.objects.create(
            case=case,
            to_station=StationFactory(code=f"R{i}{case.pk}"[:8], country=case.station.country),
            note="Shelter near her home",
            expires_at=timezone.now() + timedelta(days=30),
            created_by=user,
        )


def get(user, name, case):
    return login(Client(), user).get(reverse(name, args=[case.pk]))


def test_the_case_manager_sees_everything(case, users):
    case_risk_set(actor=users["case_manager"], case=case, risk="high", reasons="The agent knows her village.")
    add_records(case, users["case_manager"])
    response = get(users["case_manager"], "cases:detail", case)
    assert response.status_code == 200
    html = response.content.decode()
    assert case.number in html and NAME in html and "980-0000001" in html
    assert "The agent knows her village." in html
    assert reverse("interception:detail", args=[case.interception_id]) in html
    assert reverse("people:identity", args=[case.person.identity_id]) in html
    assert reverse("cases:history", args=[case.pk]) in html
    # the summary: consent in force, willing to testify, contact status
    summary = html[html.index('id="case-summary"') :]
    assert "Yes" in summary[summary.index('id="case-testify"') :][:80]
    assert "Safe" in summary[summary.index('id="case-contact"') :][:80]
    # the read is logged, naming the interception
    event = AccessEvent.objects.filter(action="case.view", object_id=str(case.pk)).latest("id")
    assert event.details["purpose"] == "view" and event.details["interceptions"] == [case.interception_id]


@pytest.mark.parametrize("who", ["legal", "director"])
def test_legal_officers_and_directors_see_the_summary_masked(case, users, who):
    case_risk_set(actor=users["case_manager"], case=case, risk="high", reasons="The agent knows her village.")
    add_records(case, users["case_manager"])
    response = get(users[who], "cases:detail", case)
    assert response.status_code == 200
    html = response.content.decode()
    assert NAME not in html and "980-0000001" not in html and PHONE not in html
    assert "village" not in html and "hotel" not in html
    assert MASK in html
    assert case.number in html and "Active" in html
    testify = html[html.index('id="case-testify"') :][:80]
    contact = html[html.index('id="case-contact"') :][:80]
    assert "Yes" in testify and "Safe" in contact
    consents = html[html.index('id="case-consents"') :][:400]
    assert "given" in consents
    # the workflow's forms are not theirs
    assert 'id="risk-form"' not in html and 'id="closure-request-form"' not in html
    history = get(users[who], "cases:history", case).content.decode()
    assert "village" not in history and NAME not in history and MASK in history


@pytest.mark.parametrize("who", ["other_cm", "monitor_here"])
def test_out_of_reach_is_404_and_logged_as_denied(case, users, who):
    for name in ("cases:detail", "cases:history"):
        assert get(users[who], name, case).status_code == 404
    assert AccessEvent.objects.filter(
        action="access.denied", actor=users[who], object_id=str(case.pk)
    ).exists()
    assert not AccessEvent.objects.filter(action="case.view", actor=users[who]).exists()


def test_the_page_runs_a_fixed_number_of_queries(case, users, bhw):
    user = users["case_manager"]
    add_records(case, user, 1)
    client = login(Client(), user)
    url = reverse("cases:detail", args=[case.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    add_records(case, user, 4)
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).status_code == 200
    assert len(five) == len(one), [q["sql"][:120] for q in five.captured_queries]
    assert len(one) <= 40


def test_the_timeline_tells_what_happened_newest_first(case, users):
    user = users["case_manager"]
    add_records(case, user)
    closure_request(actor=user, case=case, reason="reintegrated", notes="Back at school.")
    html = get(users["legal"], "cases:detail", case).content.decode()
    timeline = html[html.index('id="timeline"') :]
    for text in (
        "Closure requested: Reintegrated",
        "Case opened",
        "Consent to sharing information with partners or police: given",
        "Interview conducted on",
        "Service added: Shelter",
        "Follow-up planned (phone)",
        "Follow-up done on",
        "Referred to",
    ):
        assert text in timeline, text
    assert timeline.index("Closure requested") < timeline.index("Case opened")
    assert reverse("cases:interview", args=[case.pk, case.interviews.get().pk]) in timeline
    assert NAME not in timeline and "hotel" not in timeline and "Back at school" not in timeline


def test_the_history_page_shows_field_changes_and_is_audited(case, users):
    user = users["case_manager"]
    case_risk_set(actor=user, case=case, risk="high", reasons="The agent knows her village.")
    add_records(case, user)
    html = get(user, "cases:history", case).content.decode()
    assert "risk reasons" in html and "The agent knows her village." in html and "High" in html
    assert "created" in html and "Follow-up due" in html
    event = AccessEvent.objects.filter(action="case.view", object_id=str(case.pk)).latest("id")
    assert event.details["purpose"] == "history"
