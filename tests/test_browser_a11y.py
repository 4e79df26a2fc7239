"""An automated accessibility check: axe-core (vendored for the tests only, tests/vendor/) runs in Debian's
Chromium at 360 px on the main pages, and any "serious" or "critical" violation fails the test."""

import re
from pathlib import Path

import pytest

from accounts.roles import Role
from alerts.models import Notification, Rule
from exports.models import ExportJob

from .factories import make_interception, member
from .test_browser import PHONE, browser, close_quietly, log_in  # noqa: F401 (the session's browser fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = {"serious", "critical"}

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").slice(0, 200)),
  }));
}"""


@pytest.fixture
def new_page(browser):  # noqa: F811
    """Phone-sized pages, each in its own browser context (its own cookies), whose CSP lets the test inject
    axe (the application's own CSP forbids inline scripts, as it should)."""
    contexts = []

    def make():
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, bypass_csp=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield make
    for context in contexts:
        close_quietly(context)


@pytest.fixture
def page(new_page):
    return new_page()


def violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING]


MISSING_DESCRIPTIONS = """() => [...document.querySelectorAll("[aria-describedby]")].flatMap(el =>
  el.getAttribute("aria-describedby").split(/\\s+/).filter(id => id && !document.getElementById(id))
    .map(id => (el.name || el.id || el.tagName) + " -> #" + id))"""


def report(page, name, found):
    for v in violations(page):
        nodes = "\n    ".join(v["nodes"])
        found.append(f"{name} ({page.url}): {v['impact']} {v['id']}: {v['help']}\n    {nodes}")
    # The page as it is now (scripts may add descriptions): every id in every aria-describedby exists.
    for missing in page.evaluate(MISSING_DESCRIPTIONS):
        found.append(f"{name} ({page.url}): aria-describedby points at a missing element: {missing}")


def check(page, url, name, found):
    page.goto(url)
    page.wait_for_load_state("load")
    report(page, name, found)


def test_main_pages_have_no_serious_accessibility_violations(
    new_page, live_server, monitor, manager, bhw, nepal, catalogue
):
    base = live_server.url
    interception = make_interception(monitor, bhw, flags=["V01"])
    for user in (monitor, manager):
        Notification.objects.create(
            recipient=user,
            rule=Rule.HIGH_RISK,
            subject_key=f"interception:{interception.pk}",
            title=f"High-risk interception {interception.number}",
            body=f"High-risk interception {interception.number} was submitted.",
            url=f"/interceptions/{interception.pk}/",
        )
    ExportJob.objects.create(user=manager, kind="interceptions", format="csv", status="done", progress=100)
    auditor = member(Role.AUDITOR, country=nepal, username="aud_np")
    found: list[str] = []

    page = new_page()
    check(page, f"{base}/accounts/login/", "login", found)
    log_in(page, base, monitor)
    check(page, f"{base}/interceptions/", "interception list", found)
    check(page, f"{base}/interceptions/new/", "form", found)
    # The form again, showing its errors (nothing filled in, submitted).
    page.locator("#interception-form button[name=submit]").click()
    page.wait_for_load_state("networkidle")
    page.wait_for_selector(".error")
    page.wait_for_load_state("networkidle")
    report(page, "form with errors", found)
    check(page, f"{base}/interceptions/{interception.pk}/", "record page", found)
    check(page, f"{base}/notifications/", "notifications", found)
    check(page, f"{base}/notifications/preferences/", "notification settings", found)
    check(page, f"{base}/no-such-page/", "404 page", found)
    page = new_page()
    log_in(page, base, manager)
    check(page, f"{base}/exports/", "my exports", found)
    page = new_page()
    log_in(page, base, auditor)
    check(page, f"{base}/audit/events/", "access log", found)
    assert not found, "accessibility violations (axe-core):\n" + "\n".join(found)


def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_content(page, live_server, monitor):
    base = live_server.url
    log_in(page, base, monitor)
    page.goto(f"{base}/interceptions/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = skip.bounding_box()
    assert box and box["y"] >= 0 and box["x"] >= 0  # visible once focused
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#content$"))
    assert page.evaluate("document.activeElement.id") == "content"
