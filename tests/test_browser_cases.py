"""In Debian's Chromium at phone width, the life of a case file (docs/cases.md): the case manager opens the
case a submitted interception opened, records consent and an interview and sees "meets the definition", adds a
service and a follow-up, asks to close the case; the station manager approves; a case manager of another
station gets 404 on it."""

import re

import pytest
from django.utils import timezone

from accounts.roles import Role
from audit.models import AccessEvent
from cases.models import CaseStatus, Consent, FollowUp, Interview, Service, VictimCase

from .factories import make_interception, member, person
from .test_browser import browser, fits_the_screen, log_in, page  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def log_out(tab, base):
    tab.context.clear_cookies()
    tab.goto(f"{base}/interceptions/")


def test_a_case_from_interception_to_approved_closure_on_a_phone(
    page,  # noqa: F811
    live_server,
    monitor,
    manager,
    bhw,
    brg,
    catalogue,
):
    case_manager = member(Role.CASE_MANAGER, station=bhw, username="cm_bhw")
    other_case_manager = member(Role.CASE_MANAGER, station=brg, username="cm_brg")
    interception = make_interception(monitor, bhw, people=[person("Sita Tamang", gender="female", age=16)])
    case = VictimCase.objects.get(interception=interception)
    VictimCase.objects.filter(pk=case.pk).update(assigned_to=case_manager, status=CaseStatus.ACTIVE)
    base = live_server.url
    today = timezone.now().astimezone(bhw.tzinfo).date().isoformat()

    # 1. the case manager finds the case in "My cases" and opens it
    log_in(page, base, case_manager)
    page.goto(f"{base}/cases/")
    assert case.number in page.content() and fits_the_screen(page)
    page.click(f"text={case.number}")
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/$"))
    assert "Sita Tamang" in page.content() and interception.number in page.content()
    assert fits_the_screen(page)

    # 2. consent to sharing, then an interview: a 16-year-old, recruited and transported for sexual
    # exploitation: the child rule needs no means
    page.click("text=Record consent")
    page.select_option("#id_scope", "information_sharing")
    page.select_option("#id_decision", "given")
    page.select_option("#id_method", "verbal")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/"))
    assert Consent.objects.filter(case=case, scope="information_sharing", decision="given").exists()

    page.click("#new-interview")
    page.wait_for_url(re.compile(r"/interviews/new/$"))
    assert fits_the_screen(page)
    page.fill("#id_conducted_on", today)
    page.select_option("#id_recruitment_method", "job_offer")
    page.check("input[name=acts][value=recruitment]")
    page.check("input[name=acts][value=transportation]")
    page.check("input[name=purposes][value=sexual_exploitation]")
    page.fill("#id_narrative", "He promised a job in a hotel in Delhi.")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/"))
    page.goto(f"{base}/cases/{case.pk}/")
    assert "meets the definition" in page.content()
    interview = Interview.objects.get(case=case)
    assert interview.meets_definition and interview.child_at_time

    # 3. a service and a follow-up
    page.click("text=+ Service")
    page.select_option("#id_kind", "shelter")
    page.fill("#id_provider", "Transit home, Bhairahawa")
    page.fill("#id_started_on", today)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/"))
    page.click("text=+ Follow-up")
    page.fill("#id_due_on", today)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/"))
    assert Service.objects.filter(case=case, kind="shelter").exists()
    assert FollowUp.objects.filter(case=case, done_on__isnull=True).exists()

    # 4. she asks to close the case: reintegrated
    page.goto(f"{base}/cases/{case.pk}/")
    page.select_option("#closure-request-form select[name=reason]", "reintegrated")
    page.click("#closure-request-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/"))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSURE_REQUESTED and case.closure_requested_by == case_manager
    assert "Approve closure" not in page.content()  # nobody approves their own request

    # 5. the station manager approves it
    log_out(page, base)
    log_in(page, base, manager)
    page.goto(f"{base}/cases/{case.pk}/")
    page.click("text=Approve closure")
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/"))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_by == manager
    assert AccessEvent.objects.filter(action="case.closure_approve", object_id=str(case.pk)).exists()

    # 6. a case manager of another station: 404, and the attempt is logged
    log_out(page, base)
    log_in(page, base, other_case_manager)
    response = page.goto(f"{base}/cases/{case.pk}/")
    assert response.status == 404 and "Sita Tamang" not in page.content()
    assert AccessEvent.objects.filter(
        action="access.denied", actor=other_case_manager, object_id=str(case.pk)
    ).exists()
