"""Country names in Nepali (docs/i18n.md "Country names"): django-countries ships no Nepali, so
people/countries.py names every country itself; the form's pickers, the record page, its history and the
API show them when the language is Nepali. History shows choice labels, not stored codes."""

import html as htmllib
import re

import pytest
from django.urls import reverse
from django.utils import translation
from django_countries import countries as dc_countries

from interception import services
from people import countries

from .factories import login, make_interception, person

pytestmark = pytest.mark.django_db
DEVANAGARI = re.compile(r"^[\u0900-\u097F][\u0900-\u097F\s().,-]*$")


def test_every_country_django_countries_knows_has_a_nepali_name():
    codes = {code for code, _name in dc_countries}
    assert codes == set(countries.NE_NAMES)
    assert all(DEVANAGARI.match(name) for name in countries.NE_NAMES.values())
    assert len(set(countries.NE_NAMES.values())) == len(codes)  # no two countries share a name
    with translation.override("ne"):
        assert countries.name("NP") == "नेपाल" and countries.name("NE") == "नाइजर"
        assert [code for code, _name in countries.choices()[:2]] == ["NP", "IN"]
        assert {name for _code, name in countries.choices()} == set(countries.NE_NAMES.values())
    with translation.override("en"):
        assert countries.name("NP") == "Nepal"
    assert countries.parse("नेपाल") == "NP" and countries.parse("Nepal") == "NP"


def nepali(user):
    user.language = "ne"
    user.save(update_fields=["language"])
    return user


def options(page: str, select_id: str) -> list[tuple[str, str]]:
    select = page[page.index(f'id="{select_id}"') :]
    select = select[: select.index("</select>")]
    return re.findall(r'<option value="([A-Z]*)"[^>]*>([^<]*)</option>', select)


def test_the_form_in_nepali_lists_countries_in_nepali_nepal_and_india_first(client, monitor, bhw):
    login(client, nepali(monitor))
    page = htmllib.unescape(client.get(reverse("interception:create")).content.decode())
    pickers = ("id_people-0-nationality", "id_people-0-destination_country", "id_journey_start_country")
    for select_id in pickers:
        listed = options(page, select_id)
        assert listed[1:3] == [("NP", "नेपाल"), ("IN", "भारत")]
        assert ("CN", "चीन") in listed and ("BD", "बंगलादेश") in listed
        assert not any(re.search(r"[A-Za-z]", name) for _code, name in listed)


def test_the_record_page_its_history_and_the_api_name_countries_in_nepali(client, api, monitor, bhw):
    record = make_interception(
        monitor,
        bhw,
        submit=False,
        people=[person("Sita Tamang", gender="female", age=17, nationality="NP", destination_country="IN")],
    )
    data = services.data_from_instance(record)
    data.interceptees[0].destination_country = "CN"
    services.interception_update(
        actor=monitor, interception=record, expected_version=record.version, data=data, submit=True
    )
    login(client, nepali(monitor))
    page = htmllib.unescape(client.get(reverse("interception:detail", args=[record.pk])).content.decode())
    assert "नेपाल" in page and "चीन" in page
    history = page[page.index('id="history"') :]
    assert "मस्यौदा" in history and "पेश गरिएको" in history  # the status' labels, in Nepali
    assert "भारत" in history and "चीन" in history  # the destination country's change
    assert not re.search(r"\b(draft|submitted|IN|CN)\b", history)
    assert "Asia/Kathmandu" not in page

    response = api(monitor).get(f"/api/v1/interceptions/{record.pk}/", HTTP_ACCEPT_LANGUAGE="ne")
    assert response.status_code == 200
    assert '"nationality_name":"नेपाल"' in response.content.decode().replace(" ", "")


def test_a_place_of_nepal_is_named_in_nepali_for_a_nepali_reader(db):
    from importlib import import_module

    from django.apps import apps as django_apps

    from people.models import Place

    if not Place.objects.exists():  # a transactional test's flush empties the table the migration filled
        import_module("people.migrations.0004_load_nepal_places").load(django_apps, None)
    place = Place.objects.select_related("parent").filter(parent__isnull=False).exclude(name_ne="").first()
    assert place is not None  # the data migration loads Nepal's places
    with translation.override("ne"):
        assert str(place).startswith(place.name_ne) and not re.search(r"[A-Za-z]", str(place))
    with translation.override("en"):
        assert str(place).startswith(place.name)
