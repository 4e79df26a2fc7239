"""In Debian's Chromium at 360 px: a phone with letters shows an error at that person's phone field and
nothing is saved; a valid phone is shown in national format; the home place is suggested as one types."""

import re
from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from people.models import Person, Place

from .test_browser import browser, fits_the_screen, log_in, page  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def nepal_places(db):
    if not Place.objects.exists():
        import_module("people.migrations.0004_load_nepal_places").load(django_apps, None)


def test_a_phone_with_letters_shows_an_error_and_a_good_one_is_kept(
    page,  # noqa: F811
    live_server,
    monitor,
    bhw,
    catalogue,
    nepal_places,
):
    base = live_server.url
    log_in(page, base, monitor)
    page.goto(f"{base}/interceptions/new/")
    when = (timezone.now() - timedelta(hours=3)).astimezone(bhw.tzinfo)
    page.fill("#id_occurred_at", when.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_place", "Belahiya border checkpoint")
    page.fill("#id_people-0-full_name", "Sita Tamang")
    page.fill("#id_people-0-phone", "98ab111111")
    page.select_option("#id_people-0-nationality", "NP")

    # The home place: suggestions arrive as one types (fetched, never inlined in the page).
    page.type("#id_people-0-address_place", "Bhaktap", delay=30)
    page.wait_for_function(
        "() => { const i = document.querySelector('#id_people-0-address_place');"
        " const l = i.list; return l && l.options.length > 0; }"
    )
    labels = page.eval_on_selector(
        "#id_people-0-address_place", "i => Array.from(i.list.options).map(o => o.value)"
    )
    assert "Bhaktapur Municipality, Bhaktapur" in labels
    page.fill("#id_people-0-address_place", "Bhaktapur Municipality, Bhaktapur")

    page.click("button[name=save]")
    error = page.locator("#id_people-0-phone_error")
    error.wait_for()
    assert "phone" in error.text_content().lower()
    assert page.input_value("#id_people-0-phone") == "98ab111111"  # what was typed is kept
    assert page.input_value("#id_people-0-full_name") == "Sita Tamang"
    assert fits_the_screen(page)
    # (the form may have autosaved a draft meanwhile; the bad phone is in no record)
    assert not Person.objects.filter(phone__icontains="ab").exists()

    page.fill("#id_people-0-phone", "+977 981 111 1111")
    page.click("button[name=save]")
    page.wait_for_url(re.compile(r"/interceptions/\d+/$"))
    person = Person.objects.get(full_name="Sita Tamang")
    assert person.phone == "+9779811111111"
    assert person.address_place.code == "NP-M-bhaktapur-bhaktapur-municipality"
    assert "981-1111111" in page.content()
    assert "Nepal" in page.content()
    assert fits_the_screen(page)
