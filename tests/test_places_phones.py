"""Places, phones and nationality (issue 8): one phone in three formats is one number in the database, on
the page, in the API and in the "suspect phone seen before" alert; text that is not a phone is an error on
the person's phone field; "Nepal" is NP; Nepal's places resolve in both scripts and are suggested lazily to
signed-in users only."""

import csv
import io
from contextlib import contextmanager
from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from alerts.models import Notification, Rule
from config.celery import app
from exports import services as export_services
from interception.models import Interception
from people import places
from people.models import Person, Place

from .factories import login, make_interception, member, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nepal_places(db):
    """Nepal's places. The data migration loads them; a transactional test's flush empties the tables, so
    they are loaded again here when missing (as the `catalogue` fixture does for red flags)."""
    if not Place.objects.exists():
        import_module("people.migrations.0004_load_nepal_places").load(django_apps, None)


URL = "/api/v1/interceptions/"
PLACES_URL = "/api/v1/places/"
THREE_FORMATS = ["9811111111", "+977 981 111 1111", "+9779811111111"]
E164 = "+9779811111111"
NATIONAL = "981-1111111"


def body(people, station="BHW"):
    return {
        "station": station,
        "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "place": "Belahiya checkpoint",
        "certainty": 3,
        "reason": "Travelling with a man she met online.",
        "status": "draft",
        "interceptees": people,
    }


def victim(**fields):
    return {"name": "Sita Tamang", "gender": "female", "role": "potential_victim", **fields}


def fields_of(response):
    return response.json()["error"]["fields"]


# --- phones -------------------------------------------------------------------------------------------


def test_three_formats_are_one_number_in_the_database_on_the_page_and_in_the_api(client, api, monitor, bhw):
    records = [
        make_interception(monitor, bhw, submit=False, people=[person("Sita Tamang", phone=typed)])
        for typed in THREE_FORMATS
    ]
    assert set(Person.objects.values_list("phone", flat=True)) == {E164}

    login(client, monitor)
    for record in records:
        page = client.get(reverse("interception:detail", args=[record.pk])).content.decode()
        assert NATIONAL in page  # national format on the page
        assert E164 not in page
        data = api(monitor).get(f"{URL}{record.pk}/").json()
        assert data["interceptees"][0]["phone"] == E164  # E.164 in the API


def test_the_api_stores_a_typed_phone_in_e164(api, monitor, bhw):
    response = api(monitor).post(URL, body([victim(phone="+977 981 111 1111")]), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["interceptees"][0]["phone"] == E164
    assert Person.objects.get().phone == E164


def test_an_indian_number_at_a_nepal_station_keeps_its_country(client, monitor, bhw):
    record = make_interception(monitor, bhw, submit=False, people=[person("Sita", phone="+91 98765 43210")])
    assert Person.objects.get().phone == "+919876543210"
    login(client, monitor)
    page = client.get(reverse("interception:detail", args=[record.pk])).content.decode()
    assert "+91 98765 43210" in page  # another country's number is shown internationally


@pytest.mark.parametrize("typed", ["98ab111111", "call me", "123", "+977 981 111 1111 ext 5x"])
def test_a_phone_that_is_not_a_number_is_a_400_on_the_persons_phone(api, monitor, bhw, typed):
    response = api(monitor).post(URL, body([victim(), victim(name="Gita", phone=typed)]), format="json")
    assert response.status_code == 400
    assert "interceptees.1.phone" in fields_of(response)  # the second person (0-based), their phone
    assert "interceptees.0.phone" not in fields_of(response)
    assert not Interception.objects.exists() and not Person.objects.exists()


def test_a_phone_with_letters_is_an_error_on_the_form(client, monitor, bhw):
    login(client, monitor)
    payload = {
        "station": bhw.pk,
        "occurred_at": (timezone.now().astimezone(bhw.tzinfo) - timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "place": "Belahiya checkpoint",
        "idempotency_key": "phone-form-1",
        "people-TOTAL_FORMS": "1",
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "1000",
        "people-0-full_name": "Sita Tamang",
        "people-0-role": "potential_victim",
        "people-0-gender": "female",
        "people-0-phone": "98ab111111",
    }
    response = client.post(reverse("interception:create"), payload)
    assert response.status_code == 200
    page = response.content.decode()
    assert "A phone number has only digits" in page
    assert 'id="id_people-0-phone_error"' in page  # shown at the person's phone field
    assert 'value="98ab111111"' in page  # what was typed is kept
    assert not Interception.objects.exists()


def test_a_retry_with_the_phone_in_another_format_is_the_same_request(api, monitor, bhw):
    client = api(monitor)
    request = body([victim(phone="9811111111")])
    first = client.post(URL, request, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    request["interceptees"][0]["phone"] = "+977 981 111 1111"
    again = client.post(URL, request, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.json()
    assert again.status_code in (200, 201) and again.json()["id"] == first.json()["id"]
    assert Interception.objects.count() == 1


def test_existing_phones_are_normalised_and_unparseable_ones_kept(monitor, bhw):
    make_interception(monitor, bhw, submit=False, people=[person("A"), person("B"), person("C")])
    a, b, c = Person.objects.order_by("id")
    Person.objects.filter(pk=a.pk).update(phone="9811111111")  # as stored before phones were checked
    Person.objects.filter(pk=b.pk).update(phone="ask at the hotel")
    Person.objects.filter(pk=c.pk).update(phone="+977 984-1000001")
    import_module("people.migrations.0006_normalise_phones").normalise(django_apps, None)
    assert list(Person.objects.order_by("id").values_list("phone", flat=True)) == [
        E164,
        "ask at the hotel",
        "+9779841000001",
    ]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the block queued on commit (the alert task, eagerly), as a real commit would."""
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True

    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    yield run
    app.conf.task_always_eager, app.conf.task_eager_propagates = False, False


@pytest.mark.parametrize(
    ("earlier", "later"), [(THREE_FORMATS[0], THREE_FORMATS[1]), (THREE_FORMATS[2], "9811111111")]
)
def test_the_suspect_seen_again_alert_matches_phones_across_formats(
    committed, monitor, bhw, brg, nepal, earlier, later
):
    member(Role.LEGAL_OFFICER, country=nepal, username="legal_np", email="legal_np@example.org")
    brg_monitor = member(Role.MONITOR, station=brg, username="mon_brg_phone")
    with committed():
        first = make_interception(
            brg_monitor,
            brg,
            certainty=2,
            people=[person("Gita"), person("Hari Bahadur", role="suspect", phone=earlier)],
        )
        second = make_interception(
            monitor,
            bhw,
            certainty=2,
            people=[person("Sita"), person("Hari Bahadur", role="suspect", phone=later)],
        )
    notification = Notification.objects.get(rule=Rule.SUSPECT_SEEN_AGAIN)
    assert notification.recipient.username == "legal_np"
    assert second.number in notification.body and first.number in notification.body


def test_the_suspect_seen_again_alert_matches_a_number_stored_before_phones_were_checked(
    committed, monitor, bhw, brg, nepal
):
    member(Role.LEGAL_OFFICER, country=nepal, username="legal_np", email="legal_np@example.org")
    brg_monitor = member(Role.MONITOR, station=brg, username="mon_brg_old")
    with committed():
        make_interception(
            brg_monitor, brg, certainty=2, people=[person("Gita"), person("Hari Bahadur", role="suspect")]
        )
    Person.objects.filter(full_name="Hari Bahadur").update(phone="9811111111")
    import_module("people.migrations.0006_normalise_phones").normalise(django_apps, None)
    with committed():
        make_interception(
            monitor,
            bhw,
            certainty=2,
            people=[person("Sita"), person("Hari Bahadur", role="suspect", phone=E164)],
        )
    assert Notification.objects.filter(rule=Rule.SUSPECT_SEEN_AGAIN).count() == 1


def test_the_export_has_phones_in_e164(client, manager, monitor, bhw):
    make_interception(monitor, bhw, people=[person("Sita Tamang", phone="9811111111")])
    job = export_services.export_request(
        actor=manager, kind="persons", fmt="csv", deidentified=False, filters={}
    )
    export_services.export_run(job_id=job.pk)
    login(client, manager)
    response = client.get(reverse("exports:download", args=[job.pk]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["nationality"] == ""
    assert rows[0]["phone"].lstrip("'") == E164


# --- nationality --------------------------------------------------------------------------------------


def test_nepal_typed_as_a_name_is_np_never_niger(client, api, monitor, bhw):
    response = api(monitor).post(
        URL,
        body(
            [
                victim(nationality="Nepal"),
                victim(name="Gita", nationality="india"),
                victim(name="Hari", nationality="NE"),
            ]
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert [p["nationality"] for p in response.json()["interceptees"]] == ["NP", "IN", "NE"]
    assert [p["nationality_name"] for p in response.json()["interceptees"]] == ["Nepal", "India", "Niger"]
    assert sorted(str(p.nationality) for p in Person.objects.all()) == ["IN", "NE", "NP"]
    login(client, monitor)
    page = client.get(reverse("interception:detail", args=[response.json()["id"]])).content.decode()
    assert ">Nepal<" in page and ">India<" in page  # the record page shows the country's name


@pytest.mark.parametrize("typed", ["Nepali", "XX", "Nepal!"])
def test_an_unknown_nationality_is_a_400_on_the_persons_nationality(api, monitor, bhw, typed):
    response = api(monitor).post(URL, body([victim(nationality=typed)]), format="json")
    assert response.status_code == 400
    assert "interceptees.0.nationality" in fields_of(response)
    assert not Person.objects.exists()


def test_the_form_offers_country_names_nepal_first_then_india(client, monitor, bhw):
    login(client, monitor)
    page = client.get(reverse("interception:create")).content.decode()
    select = page[page.index('name="people-__prefix__-nationality"') :]
    select = select[: select.index("</select>")]
    values = [part.split('"')[0] for part in select.split('<option value="')[1:]]
    assert values[:4] == ["", "NP", "IN", "AF"]
    assert ">Nepal</option>" in select


# --- places -------------------------------------------------------------------------------------------


def test_nepal_places_are_loaded_with_names_in_both_scripts():
    counts = {
        kind: Place.objects.filter(country="NP", kind=kind).count()
        for kind in ("province", "district", "municipality")
    }
    assert counts == {"province": 7, "district": 77, "municipality": 753}
    ktm = Place.objects.get(code="NP-M-kathmandu-kathmandu-metropolitan-city")
    assert ktm.name_ne and ktm.parent.name == "Kathmandu" and ktm.parent.parent.code == "NP-P3"


def test_places_resolve_in_both_scripts():
    english = places.resolve("Kathmandu Metropolitan City, Kathmandu")
    assert english is not None and english.kind == "municipality"
    assert places.resolve("  kathmandu metropolitan city ,  KATHMANDU ") == english
    assert places.resolve(places.label_ne(english)) == english  # "काठमाडौं महानगरपालिका, काठमाडौं"
    assert places.resolve(english.name_ne) == english  # a unique name, in Devanagari
    # the package spells the city with chandrabindu (ँ) and the district with anusvara (ं): both are found
    assert places.resolve("काठमाडौं महानगरपालिका, काठमाडौं") == english
    assert places.label(english) == "Kathmandu Metropolitan City, Kathmandu"
    # "Godawari Municipality" is in Lalitpur and in Kailali: only the label with the district resolves
    assert places.resolve("Godawari Municipality") is None
    assert places.resolve("Godawari Municipality, Kailali").parent.name == "Kailali"
    assert places.resolve("Lucknow") is None
    assert places.resolve("Kathmandu", country="IN") is None


def test_a_local_level_named_without_its_kind_resolves():
    pokhara = places.resolve("Pokhara")
    assert pokhara is not None and pokhara.name == "Pokhara Metropolitan City"
    assert places.resolve("पोखरा") == pokhara
    assert places.resolve("pokhara, kaski") == pokhara
    assert places.resolve("Siddharthanagar").name == "Siddharthanagar Municipality"
    assert places.resolve("Kathmandu").kind == "district"  # an exact name wins over a shortened one
    assert places.resolve("Godawari") is None  # two places of that name: the district must be given


def test_the_places_endpoint_needs_login_and_caps_results(api, client, monitor):
    assert api().get(PLACES_URL, {"q": "ka"}).status_code == 401
    assert client.get(PLACES_URL, {"q": "ka"}).status_code in (401, 403)  # no session
    data = api(monitor).get(PLACES_URL, {"q": "ka"}).json()
    assert len(data) == 20
    assert set(data[0]) == {"code", "label", "label_ne", "kind"}
    nepali = api(monitor).get(PLACES_URL, {"q": "काठमाडौं"}).json()
    assert "Kathmandu Metropolitan City, Kathmandu" in [p["label"] for p in nepali]
    assert api(monitor).get(PLACES_URL, {"q": "k"}).json() == []
    login(client, monitor)
    assert client.get(PLACES_URL, {"q": "bhakt"}).json()[0]["label"].startswith("Bhaktapur")


def test_the_form_fetches_place_suggestions_lazily(client, monitor, bhw):
    login(client, monitor)
    page = client.get(reverse("interception:create")).content.decode()
    assert f'data-place-suggest="{PLACES_URL}"' in page
    assert "Kathmandu Metropolitan City" not in page  # never inlined


def test_the_home_place_is_stored_and_masked_like_the_address(api, monitor, bhw, nepal):
    response = api(monitor).post(
        URL,
        body([victim(address="Ward 5, near the temple", address_place="Bhaktapur Municipality, Bhaktapur")]),
        format="json",
    )
    assert response.status_code == 201, response.json()
    row = response.json()["interceptees"][0]
    assert row["address_place"] == "NP-M-bhaktapur-bhaktapur-municipality"
    assert row["address_place_label"] == "Bhaktapur Municipality, Bhaktapur"
    assert Person.objects.get().address_place.code == "NP-M-bhaktapur-bhaktapur-municipality"
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np_places")
    masked = api(director).get(f"{URL}{response.json()['id']}/").json()["interceptees"][0]
    assert masked["address_place"] == masked["address"] == "[restricted]"
    assert "Bhaktapur" not in str(masked)


def test_an_unknown_home_place_is_a_400_on_the_persons_home_place(api, monitor, bhw):
    response = api(monitor).post(URL, body([victim(address_place="Atlantis")]), format="json")
    assert response.status_code == 400
    assert "interceptees.0.address_place" in fields_of(response)


def test_the_record_page_query_count_does_not_grow_with_people(
    client, monitor, bhw, django_assert_max_num_queries
):
    people = [
        person(f"P{n}", phone=f"98111111{n:02d}", nationality="NP", address_place="NP-D-jhapa")
        for n in range(12)
    ]
    record = make_interception(monitor, bhw, submit=False, people=people)
    login(client, monitor)
    client.get(reverse("interception:detail", args=[record.pk]))  # warm the session
    few = make_interception(monitor, bhw, submit=False, people=people[:1])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("interception:detail", args=[few.pk]))
    with django_assert_max_num_queries(len(one)):
        page = client.get(reverse("interception:detail", args=[record.pk])).content.decode()
    assert "Jhapa" in page


def test_the_edit_form_shows_the_stored_values_as_typed_and_saving_changes_nothing(client, monitor, bhw):
    record = make_interception(
        monitor,
        bhw,
        submit=False,
        people=[
            person(
                "Sita", phone=E164, nationality="NP", address_place="NP-M-bhaktapur-bhaktapur-municipality"
            )
        ],
    )
    login(client, monitor)
    page = client.get(reverse("interception:edit", args=[record.pk])).content.decode()
    assert f'value="{NATIONAL}"' in page  # the national format, as a monitor types it
    assert 'value="Bhaktapur Municipality, Bhaktapur"' in page
    assert '<option value="NP" selected>Nepal</option>' in page
    before = Person.history.count()
    from interception import services

    data = services.data_from_instance(record)
    data.interceptees[0].phone = NATIONAL
    data.interceptees[0].nationality = "Nepal"
    data.interceptees[0].address_place = "Bhaktapur Municipality, Bhaktapur"
    services.interception_update(
        actor=monitor, interception=record, expected_version=record.version, data=data
    )
    assert Person.history.count() == before  # one number, one country, one place: no change recorded


def test_a_changed_home_place_is_in_the_history_by_name_and_masked_without_view_sensitive(monitor, bhw):
    from interception import selectors, services

    record = make_interception(
        monitor, bhw, submit=False, people=[person("Sita", address_place="Bhaktapur Municipality, Bhaktapur")]
    )
    data = services.data_from_instance(record)
    data.interceptees[0].address_place = "Godawari Municipality, Lalitpur"
    data.interceptees[0].phone = "9811111111"
    services.interception_update(
        actor=monitor, interception=record, expected_version=record.version, data=data
    )

    def changes(allowed):
        record.can_see_sensitive = allowed
        return {
            c["field"]: (c["old"], c["new"])
            for entry in selectors.history_of(record)
            for c in entry.get("changes", [])
            if "field" in c
        }

    seen = changes(True)
    assert seen["address place"] == ("Bhaktapur Municipality, Bhaktapur", "Godawari Municipality, Lalitpur")
    assert seen["phone"] == ("", E164)
    masked = changes(False)
    assert masked["address place"] == ("[restricted]", "[restricted]")
    assert masked["phone"] == ("", "[restricted]")
