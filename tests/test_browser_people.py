"""In Debian's Chromium at phone width: a monitor types a name on the new-interception form and sees, under
the name, an earlier appearance they may see (and none from another station); the form still saves."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AccessEvent
from people.models import Person

from .factories import make_interception, person
from .test_browser import browser, fits_the_screen, log_in, page  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_monitor_typing_a_name_sees_an_earlier_appearance_they_may_see(
    page,  # noqa: F811
    live_server,
    monitor,
    other_monitor,
    bhw,
    brg,
    catalogue,
):
    earlier = make_interception(monitor, bhw, people=[person("Sita Tamang", gender="female", age=17)])
    make_interception(other_monitor, brg, people=[person("Sita Tamang", gender="female", age=17)])
    base = live_server.url
    log_in(page, base, monitor)
    page.goto(f"{base}/interceptions/new/")
    when = (timezone.now() - timedelta(hours=3)).astimezone(bhw.tzinfo)
    page.fill("#id_occurred_at", when.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_place", "Belahiya border checkpoint")

    page.type("#id_people-0-full_name", "Seeta Tamang", delay=40)
    box = page.locator("#id_people-0-full_name ~ [data-person-suggest]")
    box.locator("li").first.wait_for()
    text = box.text_content()
    assert "Sita Tamang" in text
    assert earlier.number in text and "BHW" in text
    assert "BRG" not in text and box.locator("li").count() == 1  # Birgunj's record is not the monitor's
    assert box.is_visible()
    assert fits_the_screen(page)
    assert AccessEvent.objects.filter(action="person.suggest", actor=monitor).exists()

    # a person added with the button gets suggestions too
    page.click("button[data-add-person=suspect]")
    page.type("#id_people-1-full_name", "Sita Tamaang", delay=40)
    page.locator("#id_people-1-full_name ~ [data-person-suggest] li").first.wait_for()

    # nothing is merged: the form saves a new appearance of its own identity
    page.fill("#id_people-1-full_name", "Ram Bahadur")
    page.click("button[name=save]")
    page.wait_for_url(re.compile(r"/interceptions/\d+/$"))
    new = Person.objects.get(full_name="Seeta Tamang")
    assert new.identity_id != earlier.interceptees.get().person.identity_id
