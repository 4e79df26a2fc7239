# ruff: noqa: F811 (the browser fixtures are imported from test_browser)
"""The form survives the field, in Debian's Chromium at 360 px: idle logout and back to the draft, Back then
Save, Enter, a phone with letters, a dropped connection, and nothing personal in the browser's storage."""

import re
import time

import pytest

from interception.models import Interception

from .factories import PASSWORD, totp_device
from .test_browser import browser, fits_the_screen, log_in, page  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def next_code(user) -> str:
    """A code the device has not used yet (a second login within the same 30 s needs the next step's)."""
    from django_otp.oath import totp

    device = totp_device(user)
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + 1):06d}"


def wait_status(page, pattern: str, timeout: float = 20) -> str:
    """The save status line once it matches `pattern` (polled: the page's CSP forbids evaluated strings)."""
    deadline = time.monotonic() + timeout
    while True:
        text = page.text_content("#save-status") or ""
        if re.search(pattern, text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"the status line says {text!r}, not {pattern!r}")
        page.wait_for_timeout(200)


def wait_for_save(page):
    wait_status(page, r"\d\d:\d\d")


def start_form(page, base, bhw):
    page.goto(f"{base}/interceptions/new/")
    assert fits_the_screen(page)
    page.fill("#id_place", "Belahiya border checkpoint")
    page.fill("#id_people-0-full_name", "Sita Tamang")
    page.fill("#id_people-0-age", "16")


def test_idle_logout_then_login_lands_on_the_draft_with_everything_typed(
    page, live_server, monitor, bhw, settings
):
    base = live_server.url
    log_in(page, base, monitor)
    settings.SESSION_IDLE_TIMEOUT = 9
    page.goto(f"{base}/interceptions/new/")
    assert page.get_attribute("#idle-warning", "data-idle-timeout") == "9"
    page.fill("#id_place", "Belahiya border checkpoint")
    page.fill("#id_people-0-full_name", "Sita Tamang")
    page.select_option("#id_certainty", "4")
    page.fill("#id_reason", "Met the man online two weeks ago")  # typed last, never left
    # The warning shows before the logout, with "Stay signed in".
    page.wait_for_selector("#idle-warning[open]", timeout=30000)  # generous: a busy CI machine
    assert page.is_visible("text=Stay signed in")
    # Then the idle logout: the login page, which leads back to the draft.
    page.wait_for_url(re.compile(r"/accounts/login/"), timeout=20000)
    record = Interception.objects.get()
    assert record.status == "draft"
    assert f"/interceptions/{record.pk}/edit/" in page.url.replace("%2F", "/")
    assert "without activity" in page.content()
    settings.SESSION_IDLE_TIMEOUT = 900
    page.fill("#id_username", monitor.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/mfa/verify/"))
    page.fill("#id_code", next_code(monitor))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/interceptions/{record.pk}/edit/$"))
    assert page.input_value("#id_place") == "Belahiya border checkpoint"
    assert page.input_value("#id_people-0-full_name") == "Sita Tamang"
    assert page.input_value("#id_certainty") == "4"
    assert page.input_value("#id_reason") == "Met the man online two weeks ago"
    assert Interception.objects.count() == 1


def test_back_then_save_does_not_duplicate(page, live_server, monitor, bhw):
    base = live_server.url
    log_in(page, base, monitor)
    start_form(page, base, bhw)
    page.select_option("#id_certainty", "4")
    page.fill("#id_reason", "Met the man online two weeks ago")
    page.click("button[name=submit]")
    page.wait_for_url(re.compile(r"/interceptions/\d+/$"))
    record = Interception.objects.get()
    assert record.status == "submitted"
    page.go_back()
    page.wait_for_selector("#interception-form")
    page.click("button[name=submit]")
    page.wait_for_url(re.compile(rf"/interceptions/{record.pk}/$"))
    assert Interception.objects.count() == 1
    assert record.number in page.text_content("h1")


def test_enter_does_not_submit_and_cancel_asks_on_a_changed_form(page, live_server, monitor, bhw):
    base = live_server.url
    log_in(page, base, monitor)
    start_form(page, base, bhw)
    page.focus("#id_place")
    page.keyboard.press("Enter")
    page.fill("#id_reason", "first line")
    page.focus("#id_reason")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("second line")
    assert page.input_value("#id_reason") == "first line\nsecond line"  # the textarea takes new lines
    time.sleep(1.5)
    assert not Interception.objects.filter(status="submitted").exists()
    assert page.locator("#interception-form").count() == 1
    assert "/interceptions/new/" in page.url or "/edit/" in page.url

    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click("[data-cancel]")
    assert asked and page.locator("#interception-form").count() == 1


def test_a_phone_with_letters_shows_an_error_in_the_summary(page, live_server, monitor, bhw):
    base = live_server.url
    log_in(page, base, monitor)
    start_form(page, base, bhw)
    page.fill("#id_people-0-phone", "98abc11")
    page.select_option("#id_certainty", "4")
    page.fill("#id_reason", "Met the man online")
    page.click("button[name=submit]")
    page.wait_for_selector("#error-summary")
    link = page.locator('#error-summary a[href="#id_people-0-phone"]')
    assert link.count() == 1
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.get_attribute("#id_people-0-phone", "aria-invalid") == "true"
    link.click()
    assert page.evaluate("document.activeElement.id") == "id_people-0-phone"
    assert not Interception.objects.filter(status="submitted").exists()
    assert fits_the_screen(page)


def test_a_dropped_connection_keeps_what_was_typed_and_retries(page, live_server, monitor, bhw):
    base = live_server.url
    log_in(page, base, monitor)
    start_form(page, base, bhw)
    page.context.set_offline(True)
    page.fill("#id_reason", "Typed while offline")
    page.focus("#id_place")  # leave the field: autosave tries
    wait_status(page, "no connection")
    assert page.input_value("#id_reason") == "Typed while offline"
    page.context.set_offline(False)
    wait_status(page, r"\d\d:\d\d", timeout=30)
    assert Interception.objects.get().reason == "Typed while offline"
    # Submit with the connection gone: the status line says so, no browser error page; then it goes.
    page.context.set_offline(True)
    page.select_option("#id_certainty", "4")
    page.click("button[name=submit]")
    wait_status(page, "no connection")
    assert page.locator("#interception-form").count() == 1
    page.context.set_offline(False)
    page.wait_for_url(re.compile(r"/interceptions/\d+/$"), timeout=30000)
    assert Interception.objects.get().status == "submitted" and Interception.objects.count() == 1


def test_nothing_personal_in_the_browsers_storage(page, live_server, monitor, bhw):
    base = live_server.url
    log_in(page, base, monitor)
    start_form(page, base, bhw)
    page.fill("#id_reason", "Met the man online")
    page.focus("#id_place")
    wait_for_save(page)
    deadline = time.monotonic() + 20
    while not Interception.objects.filter(interceptees__person__full_name="Sita Tamang").exists():
        assert time.monotonic() < deadline, "the draft was not autosaved with the person"
        page.wait_for_timeout(300)
    assert Interception.objects.count() == 1
    stored = page.evaluate(
        """async () => {
            const dbs = indexedDB.databases ? await indexedDB.databases() : [];
            return {local: JSON.stringify(Object.assign({}, localStorage)),
                    session: JSON.stringify(Object.assign({}, sessionStorage)),
                    idb: dbs.map(d => d.name)};
        }"""
    )
    assert stored == {"local": "{}", "session": "{}", "idb": []}
