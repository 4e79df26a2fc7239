"""End-to-end in Debian's Chromium, driven by Playwright, at phone width."""

import contextlib
import os
import re
import shutil
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from interception.models import Interception

from .factories import PASSWORD, totp_code, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}


_SHARED: dict = {"users": 0}


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run. Every test module that imports this fixture registers it again (a
    fixture of its own), and a second sync_playwright in the same thread fails: so they share one."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Debian's chromium is not installed at {CHROMIUM} (make test installs it)")
    if "browser" not in _SHARED:
        p = sync_playwright().start()
        _SHARED["playwright"] = p
        _SHARED["browser"] = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
    _SHARED["users"] += 1
    yield _SHARED["browser"]
    _SHARED["users"] -= 1
    if not _SHARED["users"]:
        _SHARED.pop("browser").close()
        _SHARED.pop("playwright").stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    close_quietly(context)


def close_quietly(context) -> None:
    """Close a browser context after its pages' own requests are over. The form autosaves and pings on
    timers: a save still running in the live server while the test's tables are flushed deadlocks the
    flush, or reaches a database the next test has closed. So: leave each page first (its timers stop),
    give a request already on its way a moment to finish, then close."""
    for open_page in context.pages:
        with contextlib.suppress(Exception):  # a page already closed or crashed has nothing running
            open_page.goto("about:blank")
    time.sleep(1.0)
    context.close()


def log_in(page, base, user):
    """Password, then the TOTP code of the user's authenticator (MFA is required for these roles)."""
    device = totp_device(user)
    page.goto(f"{base}/interceptions/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/mfa/verify/"))
    page.fill("#id_code", totp_code(device))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/interceptions/$"))


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_monitor_records_an_interception_on_a_phone(
    page, live_server, monitor, other_monitor, bhw, catalogue
):
    base = live_server.url
    log_in(page, base, monitor)
    page.click("text=+ Record interception")
    page.wait_for_url(re.compile(r"/interceptions/new/$"))
    assert fits_the_screen(page)

    when = (timezone.now() - timedelta(hours=3)).astimezone(bhw.tzinfo)
    page.fill("#id_occurred_at", when.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_place", "Belahiya border checkpoint")

    page.fill("#id_people-0-full_name", "Sita Tamang")
    page.select_option("#id_people-0-gender", "female")
    page.fill("#id_people-0-age", "16")
    page.click("button[data-add-person=potential_victim]")
    page.fill("#id_people-1-full_name", "गीता थापा")
    page.click("button[data-add-person=suspect]")
    page.fill("#id_people-2-full_name", "Ram Bahadur")
    page.fill("#id_people-2-phone", "+9779812345678")
    assert page.input_value("#id_people-2-role") == "suspect"

    flags = list(catalogue.order_by("-points")[:3])
    for flag in flags:
        if not page.is_visible(f"input[name=red_flags][value={flag.code}]"):  # its group is folded
            page.click(f"details[data-flag-group={flag.group}] > summary")
        page.check(f"input[name=red_flags][value={flag.code}]")
    expected = sum(f.points for f in flags)
    assert page.text_content("#running-score") == str(expected)
    page.uncheck(f"input[name=red_flags][value={flags[0].code}]")
    assert page.text_content("#running-score") == str(expected - flags[0].points)
    page.check(f"input[name=red_flags][value={flags[0].code}]")

    page.select_option("#id_certainty", "4")
    page.fill("#id_reason", "She met the man on Facebook two weeks ago; he holds her passport.")
    page.click("button[name=submit]")
    page.wait_for_url(re.compile(r"/interceptions/\d+/$"))

    interception = Interception.objects.get()
    assert interception.status == "submitted" and interception.red_flag_score == expected
    assert page.text_content("#score").strip() == str(expected)
    assert interception.number in page.text_content("h1")
    assert "गीता थापा" in page.content()
    assert fits_the_screen(page)

    page.click("text=Interceptions")
    page.click("#filter-panel > summary")  # the filters are folded on a phone
    page.fill("#id_number", interception.number)
    page.click("#filter-panel button[type=submit]")
    assert page.locator(f"a:has-text('{interception.number}')").count() == 1

    detail_url = f"{base}/interceptions/{interception.pk}/"
    page.click("text=Log out")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    log_in(page, base, other_monitor)
    response = page.goto(detail_url)
    assert response.status == 404
    assert "Sita Tamang" not in page.content()


def test_mfa_enrolment_totp_login_and_idle_timeout(page, live_server, monitor, settings):
    import base64
    import time

    from django_otp.oath import totp

    from audit.models import AccessEvent

    base = live_server.url
    page.goto(f"{base}/interceptions/")
    page.fill("#id_username", monitor.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    # A monitor sees victims' names, so the first login leads to MFA enrolment before anything else.
    page.wait_for_url(re.compile(r"/accounts/mfa/enrol/"))
    assert page.goto(f"{base}/interceptions/").url.startswith(f"{base}/accounts/mfa/enrol/")
    secret = page.text_content("#totp-secret").strip()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    assert page.locator("img.qr").count() == 1
    page.fill("#id_code", "000000" if totp(key) != 0 else "111111")
    page.click("main button[type=submit]")
    assert "did not match" in page.content()
    time.sleep(1.2)  # after a wrong code, django-otp throttles the next try for a second
    page.fill("#id_code", f"{totp(key):06d}")
    page.click("main button[type=submit]")
    page.wait_for_selector("#recovery-codes")
    assert page.locator("#recovery-codes li").count() == 10
    page.click("text=Continue")
    page.wait_for_url(re.compile(r"/interceptions/$"))

    page.click("text=Log out")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", monitor.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/mfa/verify/"))
    page.fill("#id_code", f"{totp(key, drift=1):06d}")  # the next step's code: a used code is refused
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/interceptions/$"))
    assert page.locator("text=Record interception").count() == 1

    settings.SESSION_IDLE_TIMEOUT = 2
    time.sleep(3)
    page.goto(f"{base}/interceptions/")
    assert "/accounts/login/" in page.url
    assert "without activity" in page.content()
    actions = list(AccessEvent.objects.filter(actor=monitor).values_list("action", flat=True))
    assert {"login", "mfa.enrol", "mfa.verify", "logout", "logout.idle"} <= set(actions)


def test_export_progress_download_and_rows_equal_the_list(
    page, live_server, manager, bhw, catalogue, tmp_path
):
    import csv
    import io

    import redis
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    from accounts.roles import Role
    from config.celery import app

    from .factories import make_interception, member

    for n in range(12):
        make_interception(manager, bhw, flags=["V01"] if n % 3 else [])
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    base = live_server.url
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        log_in(page, base, manager)
        page.goto(f"{base}/interceptions/?min_score=1")
        listed = set(re.findall(r"BHW-\d{4}-\d{5}", page.text_content("table.list")))
        assert len(listed) == 8
        page.click("#export-form button[type=submit]")
        page.wait_for_url(re.compile(r"/exports/\d+/$"))
        page.wait_for_selector("#export-download:not([hidden])", timeout=30000)
        assert page.get_attribute("#export-progress", "value") == "100"
        assert page.text_content("#export-percent").strip() == "100 %"
        with page.expect_download() as info:
            page.click("#export-download a")
        path = tmp_path / "export.csv"
        info.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert {r["number"] for r in rows} == listed
    download_url = page.url + "download/"

    other = member(Role.STATION_MANAGER, station=bhw, username="mgr_other")
    page.click("text=Log out")
    log_in(page, base, other)
    response = page.goto(download_url)
    assert response.status == 404
