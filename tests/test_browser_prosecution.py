"""In Debian's Chromium at phone width, a prosecution from the interception to a lesser-charge conviction
(docs/prosecution.md): a legal officer opens a legal case from a submitted interception with one suspect,
files the complaint, records the arrest (a station manager verifies it, with evidence), a trafficking charge
and a hearing, records a conviction under a lesser statute with a sentence, and sees the funnel move from
"charged" to "convicted of a lesser charge only"."""

import re

import pytest
from django.utils import timezone

from accounts.roles import Role
from prosecution.models import Charge, LegalCase, Statute, Suspect

from .factories import make_interception, member, person
from .test_browser import PHONE, browser, close_quietly, fits_the_screen, log_in, page  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def statute_catalogue(bhw):
    """The statutes and courts of the catalogue's migration (a browser test's database may have been emptied
    by an earlier test, as the red-flag catalogue's `catalogue` fixture also allows for)."""
    from accounts.models import Country
    from prosecution.models import Court
    from prosecution.statutes import seed

    seed(Country, Statute, Court)


def funnel(tab, base, key: str) -> str:
    tab.goto(f"{base}/legal-cases/statistics/")
    return tab.locator(f'[data-key="{key}"]').first.text_content().strip()


def test_a_prosecution_from_interception_to_a_lesser_conviction_on_a_phone(
    browser,  # noqa: F811
    page,  # noqa: F811
    live_server,
    monitor,
    manager,
    bhw,
    catalogue,
    statute_catalogue,
    tmp_path,
):
    legal = member(Role.LEGAL_OFFICER, station=bhw, username="legal_bhw")
    interception = make_interception(
        monitor, bhw, people=[person("Sita Tamang", age=16), person("Ram Bahadur", role="suspect")]
    )
    base = live_server.url
    today = timezone.now().astimezone(bhw.tzinfo).date().isoformat()

    # 1. open the legal case from the interception
    log_in(page, base, legal)
    page.goto(f"{base}/legal-cases/new/?interception={interception.pk}")
    assert fits_the_screen(page)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/legal-cases/\d+/$"))
    legal_case = LegalCase.objects.get()
    assert interception in legal_case.interceptions.all() and legal_case.number.startswith("BHW-L-")
    assert fits_the_screen(page)

    # 2. the complaint, the suspect and the arrest
    page.goto(f"{base}/legal-cases/{legal_case.pk}/edit/")
    page.fill("#id_complaint_number", "FIR 45/2083")
    page.fill("#id_complaint_filed_on", today)
    page.fill("#id_police_station", "District Police Office, Rupandehi")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/legal-cases/{legal_case.pk}/$"))
    page.select_option("#id_stage", "complaint_filed")
    page.click("#stage-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/legal-cases/{legal_case.pk}/"))
    legal_case.refresh_from_db()
    assert legal_case.stage == "complaint_filed"

    page.goto(f"{base}/legal-cases/{legal_case.pk}/suspects/new/")
    page.select_option("#id_person", index=1)  # the interception's suspect
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/legal-cases/{legal_case.pk}/"))
    suspect = Suspect.objects.get(legal_case=legal_case)
    assert suspect.person.full_name == "Ram Bahadur"

    page.goto(f"{base}/legal-cases/{legal_case.pk}/suspects/{suspect.pk}/arrest/")
    page.select_option("#id_arrest_status", "arrested")
    page.fill("#id_arrested_on", today)
    page.fill("#id_arrest_source", "Police report")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/legal-cases/{legal_case.pk}/"))

    # the station manager verifies it, with the evidence (on his own phone)
    assert "Verify the arrest" not in page.content()  # not by the one who recorded it
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    other = context.new_page()
    other.set_default_timeout(15000)
    log_in(other, base, manager)
    other.goto(f"{base}/legal-cases/{legal_case.pk}/")
    other.click("text=Verify the arrest")
    evidence = tmp_path / "arrest.png"
    evidence.write_bytes(PNG)
    other.set_input_files("#id_evidence", str(evidence))
    other.click("main button[type=submit]")
    other.wait_for_url(re.compile(rf"/legal-cases/{legal_case.pk}/"))
    close_quietly(context)
    suspect.refresh_from_db()
    assert suspect.arrest_verified_by == manager

    # a court case, a trafficking charge and a hearing
    page.goto(f"{base}/legal-cases/{legal_case.pk}/court-cases/new/")
    page.select_option("#id_court", index=1)
    page.fill("#id_number", "083-CR-0045")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/legal-cases/{legal_case.pk}/"))
    trafficking = (
        Statute.objects.filter(country=bhw.country, is_trafficking=True).order_by("position").first()
    )
    lesser = Statute.objects.filter(country=bhw.country, is_trafficking=False).order_by("position").first()
    page.goto(f"{base}/legal-cases/{legal_case.pk}/charges/new/")
    page.select_option("#id_charge", trafficking.code)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/legal-cases/{legal_case.pk}/"))
    charge = Charge.objects.get(legal_case=legal_case)
    assert charge.statute == trafficking and charge.verdict == "pending"

    page.goto(f"{base}/legal-cases/{legal_case.pk}/hearings/new/")
    page.fill("#id_held_on", today)
    page.fill("#id_purpose", "Statement of the accused")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/legal-cases/{legal_case.pk}/"))
    assert legal_case.hearings.count() == 1

    # the funnel before the verdict: one suspect charged, none convicted of a lesser charge only
    assert funnel(page, base, "charged") == "1"
    assert funnel(page, base, "convicted_lesser_only") == "0"

    # 4. convicted under a lesser statute, with a sentence
    page.goto(f"{base}/legal-cases/{legal_case.pk}/charges/{charge.pk}/verdict/")
    page.select_option("#id_verdict", "convicted")
    page.fill("#id_verdict_on", today)
    page.select_option("#id_convicted_under", lesser.code)
    page.fill("#id_years", "2")
    page.fill("#id_months", "6")
    page.fill("#id_fine_amount", "50000")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/legal-cases/{legal_case.pk}/"))
    charge.refresh_from_db()
    assert charge.verdict == "convicted" and charge.convicted_under == lesser
    assert charge.imprisonment_total_days == 2 * 365 + 6 * 30

    # 5. the funnel moved
    assert funnel(page, base, "convicted_lesser_only") == "1"
    assert funnel(page, base, "pending") == "0"
    assert fits_the_screen(page)
