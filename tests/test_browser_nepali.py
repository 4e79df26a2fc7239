"""A monitor whose language is Nepali fills the whole form on a phone and reads no English on any page they
visit (docs/i18n.md): the text of each page, the attributes users read or hear, and the form's options."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from interception.models import Interception

from .test_browser import browser, fits_the_screen, log_in, page  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Latin-script words that are fine in Nepali text: file formats, the product's name, units.
ALLOWED = {"PDF", "JPEG", "PNG", "API", "CSV", "Excel", "UTC", "Interception", "CMS", "English", "MB", "KB"}
WORD = re.compile(r"[A-Za-z]{3,}")

VISIBLE = """() => {
  const parts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll('[title], [placeholder], [aria-label], [alt], [data-label]')) {
    for (const name of ['title', 'placeholder', 'aria-label', 'alt', 'data-label']) {
      if (el.hasAttribute(name)) parts.push(el.getAttribute(name));
    }
  }
  for (const option of document.querySelectorAll('select option')) parts.push(option.label || option.text);
  return parts.join('\\n');
}"""


def english_left(tab, typed: set[str]) -> list[str]:
    """Latin-script words of 3+ letters on the page, without what the user typed, record numbers,
    usernames, station codes and the allowed words."""
    text = tab.evaluate(VISIBLE)
    for value in sorted(typed, key=len, reverse=True):
        text = text.replace(value, " ")
    text = re.sub(r"\b[A-Z]{2,4}-\d{4}-\d+\b", " ", text)  # record numbers (BHW-2026-0001)
    return sorted({w for w in WORD.findall(text) if w not in ALLOWED})


def test_a_nepali_monitor_fills_the_whole_form_and_reads_no_english(
    page,  # noqa: F811
    live_server,
    monitor,
    bhw,
    catalogue,
):
    monitor.language = "ne"
    monitor.save(update_fields=["language"])
    base = live_server.url
    log_in(page, base, monitor)
    typed = {monitor.username, bhw.code, bhw.name, "Belahiya", "Sita Tamang", "Ram Bahadur", "Delhi"}
    problems = {}

    def check(name):
        found = english_left(page, typed)
        if found:
            problems[name] = found

    check("list")
    page.goto(f"{base}/interceptions/new/")
    assert page.get_attribute("html", "lang") == "ne"
    assert fits_the_screen(page)
    check("form")

    when = (timezone.now() - timedelta(hours=2)).astimezone(bhw.tzinfo)
    page.fill("#id_occurred_at", when.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_place", "Belahiya")
    page.fill("#id_people-0-full_name", "Sita Tamang")
    page.select_option("#id_people-0-gender", "female")
    page.fill("#id_people-0-age", "17")
    page.fill("#id_people-0-phone", "9811111111")
    page.select_option("#id_people-0-nationality", "NP")
    page.fill("#id_people-0-destination_text", "Delhi")
    page.select_option("#id_people-0-destination_country", "IN")
    page.click("button[data-add-person=suspect]")
    page.fill("#id_people-1-full_name", "Ram Bahadur")
    flags = list(catalogue.order_by("-points")[:2])
    for flag in flags:
        if not page.is_visible(f"input[name=red_flags][value={flag.code}]"):
            page.click(f"details[data-flag-group={flag.group}] > summary")
        page.check(f"input[name=red_flags][value={flag.code}]")
    page.select_option("#id_certainty", "4")
    page.fill("#id_reason", "Sita Tamang")
    check("form filled")

    page.click("button[name=save]")
    page.wait_for_url(re.compile(r"/interceptions/\d+/(edit/)?$"))
    page.wait_for_load_state("networkidle")
    check("after save")
    record = Interception.objects.get()
    typed.add(record.number)
    page.goto(f"{base}/interceptions/{record.pk}/edit/")
    page.wait_for_load_state("networkidle")
    page.click("button[name=submit]")
    page.wait_for_url(re.compile(rf"/interceptions/{record.pk}/$"))
    record.refresh_from_db()
    assert record.status == "submitted"
    assert fits_the_screen(page)
    check("record")

    for name, url in (
        ("list", "/interceptions/"),
        ("drafts", "/interceptions/drafts/"),
        ("notifications", "/notifications/"),
    ):
        page.goto(f"{base}{url}")
        assert page.get_attribute("html", "lang") == "ne"
        check(name)
    assert not problems, f"English left on the monitor's pages: {problems}"
