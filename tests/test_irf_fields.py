"""The whole interception record (issue 8): destination, purpose, companions, documents, suspects' role and
description, journey, route, how it started, monitors present and photos per person — in the service, the
API, the HTML form, the record page, history, exports and masking."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from exports import services as export_services
from interception import services
from interception.models import (
    Attachment,
    Companion,
    IdentityDocument,
    Interceptee,
    Interception,
    InterceptionMonitor,
    RouteStop,
)
from interception.selectors import access_interception, history_of
from people.models import Place

from .factories import login, make_interception, member, person

pytestmark = pytest.mark.django_db

URL = "/api/v1/interceptions/"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
SECRETS = [
    "Informant Hari at the tea shop",
    "Tall man, red jacket, scar",
    "PA1234567",
    "Wants to earn for family",
]


@pytest.fixture
def colleague(bhw):
    return member(Role.MONITOR, station=bhw, username="mon2_bhw")


@pytest.fixture(autouse=True)
def kathmandu(db):
    """Kathmandu district (loaded by people's data migration; made again when a transactional test
    emptied the table)."""
    place, _ = Place.objects.get_or_create(
        code="NP-D-kathmandu", defaults={"country": "NP", "kind": "district", "name": "Kathmandu"}
    )
    return place


def api_body(**extra):
    return {
        "station": "BHW",
        "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "place": "Belahiya checkpoint",
        "place_country": "NP",
        "certainty": 4,
        "reason": "Travelling with a man met last week.",
        "status": "submitted",
        "how_started": "tip_off",
        "how_started_notes": SECRETS[0],
        "transport": "bus",
        "journey_start_text": "Kathmandu",
        "journey_start_country": "NP",
        "route": [
            {"place": None, "text": "Gorakhpur", "country": "IN"},
            {"place": None, "text": "Delhi", "country": "IN"},
        ],
        "monitors": ["mon_bhw", "mon2_bhw"],
        "interceptees": [
            {
                "name": "Sita Tamang",
                "gender": "female",
                "age": 19,
                "role": "potential_victim",
                "destination_text": "Delhi",
                "destination_country": "IN",
                "travel_purpose": "job",
                "travel_purpose_notes": SECRETS[3],
                "companions": [{"person": 1, "relationship": "broker"}],
                "documents": [
                    {"kind": "passport", "whose": "own", "looks_genuine": "no", "number": SECRETS[2]},
                    {"kind": "citizenship", "whose": "another", "looks_genuine": "not_sure"},
                ],
            },
            {
                "name": "Ram Bahadur",
                "gender": "male",
                "age": 35,
                "role": "suspect",
                "suspect_role": "broker",
                "suspect_description": SECRETS[1],
                "destination_text": "Delhi",
                "destination_country": "IN",
                "companions": [{"person": 0, "relationship": "stranger"}],
            },
        ],
        **extra,
    }


def test_api_create_with_every_new_field_reads_back(api, monitor, colleague, kathmandu):
    response = api(monitor).post(URL, api_body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    record = Interception.objects.get(pk=data["id"])
    assert record.journey_start_place == kathmandu  # the typed text resolved to Nepal's place
    assert data["journey_start_place"] == "NP-D-kathmandu" and data["journey_start_country"] == "NP"
    assert data["transport"] == "bus" and data["how_started"] == "tip_off"
    assert data["how_started_notes"] == SECRETS[0]
    assert data["route"] == [
        {"place": None, "text": "Gorakhpur", "country": "IN"},
        {"place": None, "text": "Delhi", "country": "IN"},
    ]
    assert sorted(data["monitors"]) == ["mon2_bhw", "mon_bhw"]
    sita, ram = data["interceptees"]
    assert sita["destination_text"] == "Delhi" and sita["destination_country"] == "IN"
    assert sita["travel_purpose"] == "job" and sita["travel_purpose_notes"] == SECRETS[3]
    assert sita["companions"] == [{"person": 1, "relationship": "broker"}]
    assert ram["companions"] == [{"person": 0, "relationship": "stranger"}]
    assert sita["documents"][0] == {
        "kind": "passport",
        "whose": "own",
        "looks_genuine": "no",
        "number": SECRETS[2],
    }
    assert ram["suspect_role"] == "broker" and ram["suspect_description"] == SECRETS[1]
    # GET gives the same, and a PATCH that changes nothing else keeps it all.
    again = api(monitor).get(f"{URL}{record.pk}/").json()
    assert again["interceptees"] == data["interceptees"] and again["route"] == data["route"]
    patched = (
        api(monitor).patch(f"{URL}{record.pk}/", {"version": 1, "transport": "jeep"}, format="json").json()
    )
    assert patched["transport"] == "jeep" and patched["interceptees"][0]["companions"] == sita["companions"]
    assert patched["interceptees"][0]["documents"] == sita["documents"] and patched["route"] == data["route"]


@pytest.mark.parametrize(
    "change, key",
    [
        ({"monitors": ["nobody_here"]}, "monitors"),
        ({"monitors": ["mon_brg"]}, "monitors"),
        ({"route": [{"place": "NP-X-nowhere", "text": "", "country": ""}]}, "route"),
        ({"journey_start_country": "XX"}, "journey_start_country"),
    ],
)
def test_bad_record_fields_are_a_400_on_the_field(api, monitor, other_monitor, change, key):
    response = api(monitor).post(URL, api_body(**change), format="json")
    assert response.status_code == 400 and key in response.json()["error"]["fields"], response.json()
    assert not Interception.objects.exists()


def test_person_problems_are_keyed_by_person_and_field(monitor, bhw):
    people = [
        person("Sita", companions=[services.CompanionData(person=5, relationship="friend")]),
        person("Gita", documents=[services.DocumentData(kind="passport", looks_genuine="maybe")]),
        person("Ram", role="suspect", destination_place="NP-X-nowhere"),
    ]
    with pytest.raises(ValidationError) as caught:
        make_interception(monitor, bhw, people=people)
    errors = caught.value.message_dict
    assert {
        "interceptees.0.companions",
        "interceptees.1.documents",
        "interceptees.2.destination_place",
    } <= set(errors)


def test_editor_who_is_not_listed_does_not_become_a_monitor(monitor, manager, bhw):
    record = make_interception(monitor, bhw)
    assert [u.username for u in record.monitors.all()] == ["mon_bhw"]  # default: the creator
    data = services.data_from_instance(record)
    data.place = "Bus park"
    data.monitors = None  # the edit does not touch the list
    services.interception_update(actor=manager, interception=record, expected_version=1, data=data)
    assert [u.username for u in record.monitors.all()] == ["mon_bhw"]
    data = services.data_from_instance(Interception.objects.get(pk=record.pk))
    services.interception_update(actor=manager, interception=record, expected_version=2, data=data)
    assert [u.username for u in record.monitors.all()] == ["mon_bhw"]
    # the manager edited: the history says so
    assert record.history.filter(history_user=manager).exists()


def test_attachment_for_another_records_person_is_refused(api, client, monitor, bhw):
    mine = make_interception(monitor, bhw)
    other = make_interception(monitor, bhw, people=[person("Someone Else")])
    stranger = other.interceptees.get()
    with pytest.raises(ValidationError) as caught:
        services.attachment_add(
            actor=monitor,
            interception=mine,
            uploaded_file=SimpleUploadedFile("p.jpg", JPEG),
            interceptee=stranger.pk,
        )
    assert "interceptee" in caught.value.message_dict
    response = api(monitor).post(
        f"{URL}{mine.pk}/attachments/",
        {"file": SimpleUploadedFile("p.jpg", JPEG), "interceptee": stranger.pk},
        format="multipart",
    )
    assert response.status_code == 400 and "interceptee" in response.json()["error"]["fields"]
    assert not Attachment.objects.exists()
    own = mine.interceptees.get()
    response = api(monitor).post(
        f"{URL}{mine.pk}/attachments/",
        {"file": SimpleUploadedFile("p.jpg", JPEG), "interceptee": own.pk},
        format="multipart",
    )
    assert response.status_code == 201
    photo = Attachment.objects.get()
    assert photo.interceptee == own and response.json()["attachments"][0]["interceptee"] == own.pk
    assert response.json()["interceptees"][0]["photos"] == [photo.pk]
    # the HTML upload takes the person too
    login(client, monitor)
    client.post(
        reverse("interception:attachment-upload", args=[mine.pk]),
        {"file": SimpleUploadedFile("q.jpg", JPEG), "interceptee": str(own.pk)},
    )
    assert Attachment.objects.filter(interceptee=own).count() == 2
    html = client.get(reverse("interception:detail", args=[mine.pk])).content.decode()
    assert html.count('class="person-photo"') == 2


def form_payload(bhw, **extra):
    data = {
        "station": str(bhw.pk),
        "occurred_at": (timezone.now() - timedelta(hours=2))
        .astimezone(bhw.tzinfo)
        .strftime("%Y-%m-%dT%H:%M"),
        "place": "Belahiya checkpoint",
        "certainty": "4",
        "reason": "Met online.",
        "outcome": "",
        "idempotency_key": "irf-form-key",
        "how_started": "observation",
        "how_started_notes": SECRETS[0],
        "transport": "jeep",
        "journey_start_text": "Kathmandu",
        "journey_start_country": "NP",
        "monitors": ["mon_bhw", "mon2_bhw"],
        "route-0-text": "Sunauli",
        "route-0-country": "IN",
        "route-1-text": "Mumbai",
        "route-1-country": "IN",
        "companions-0-person": "1",
        "companions-0-relationship": "employer",
        "companions-0-other": "2",
        "documents-0-person": "1",
        "documents-0-kind": "passport",
        "documents-0-whose": "another",
        "documents-0-looks_genuine": "no",
        "documents-0-number": SECRETS[2],
        "people-TOTAL_FORMS": "2",
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "1000",
        "people-0-full_name": "Sita Tamang",
        "people-0-role": "potential_victim",
        "people-0-gender": "female",
        "people-0-destination_text": "Mumbai",
        "people-0-destination_country": "IN",
        "people-0-travel_purpose": "job",
        "people-0-travel_purpose_notes": SECRETS[3],
        "people-1-full_name": "Ram Bahadur",
        "people-1-role": "suspect",
        "people-1-gender": "male",
        "people-1-suspect_role": "recruiter",
        "people-1-suspect_description": SECRETS[1],
        "submit": "1",
    }
    data.update(extra)
    return data


def test_html_form_records_every_new_field_and_the_page_shows_them(client, monitor, colleague, bhw):
    login(client, monitor)
    page = client.get(reverse("interception:create")).content.decode()
    names = ["how_started", "transport", "journey_start_text", "route-0-text", "companions-0-person"]
    for name in [
        *names,
        "documents-0-kind",
        "people-__prefix__-destination_text",
        "people-__prefix__-travel_purpose",
        "people-__prefix__-suspect_description",
        "monitors",
    ]:
        assert f'name="{name}"' in page, name
    response = client.post(reverse("interception:create"), form_payload(bhw))
    assert response.status_code == 302, response.content.decode()[:3000]
    record = Interception.objects.get()
    assert record.how_started == "observation" and record.transport == "jeep"
    assert record.journey_start_place.code == "NP-D-kathmandu"
    assert [(s.text, str(s.country)) for s in record.route.all()] == [("Sunauli", "IN"), ("Mumbai", "IN")]
    assert sorted(u.username for u in record.monitors.all()) == ["mon2_bhw", "mon_bhw"]
    sita, ram = record.interceptees.order_by("id")
    assert sita.travel_purpose == "job" and str(sita.destination_country) == "IN"
    assert ram.suspect_role == "recruiter" and ram.suspect_description == SECRETS[1]
    companion = Companion.objects.get()
    assert (companion.from_interceptee, companion.to_interceptee, companion.relationship) == (
        sita,
        ram,
        "employer",
    )
    document = IdentityDocument.objects.get()
    assert (document.interceptee, document.kind, document.whose, document.looks_genuine) == (
        sita,
        "passport",
        "another",
        "no",
    )
    html = client.get(reverse("interception:detail", args=[record.pk])).content.decode()
    expected = ["Monitor&#x27;s observation", "Jeep", "Kathmandu", "Sunauli", "Mumbai", "Job", "Recruiter"]
    for text in [*expected, "Employer: Ram Bahadur", "Passport", *SECRETS]:
        assert text in html, text
    # The edit form shows what was saved.
    edit = client.get(reverse("interception:edit", args=[record.pk])).content.decode()
    assert 'value="Sunauli"' in edit and SECRETS[2] in edit and 'value="Mumbai"' in edit


def test_masked_without_view_sensitive_in_page_api_history_and_export(client, api, monitor, colleague, nepal):
    data = api(monitor).post(URL, api_body(), format="json").json()
    record = Interception.objects.get(pk=data["id"])
    services.attachment_add(
        actor=monitor,
        interception=record,
        uploaded_file=SimpleUploadedFile("face.jpg", JPEG),
        interceptee=record.interceptees.order_by("id").first().pk,
    )
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    login(client, director)
    html = client.get(reverse("interception:detail", args=[record.pk])).content.decode()
    for secret in SECRETS:
        assert secret not in html
    assert "person-photo" not in html
    assert "Tip-off" in html and "Bus" in html and "Broker" in html  # categories are not sensitive
    read = api(director).get(f"{URL}{record.pk}/").json()
    assert read["how_started_notes"] == "[restricted]"
    sita, ram = read["interceptees"]
    assert sita["travel_purpose_notes"] == "[restricted]" and sita["documents"][0]["number"] == "[restricted]"
    assert sita["photos"] == [] and sita["travel_purpose"] == "job"
    assert ram["suspect_description"] == "[restricted]" and ram["suspect_role"] == "broker"
    history = str(history_of(access_interception(director, record.pk)))
    for secret in SECRETS:
        assert secret not in history
    for kind in ("persons", "interceptions"):
        job = export_services.export_request(
            actor=director, kind=kind, fmt="csv", deidentified=False, filters={}
        )
        export_services.export_run(job_id=job.pk)
        text = b"".join(client.get(reverse("exports:download", args=[job.pk])).streaming_content).decode(
            "utf-8-sig"
        )
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows and not any(secret in text for secret in SECRETS)
        if kind == "persons":
            assert {r["travel_purpose"] for r in rows} == {"job", ""} and "destination_country" in rows[0]
        else:
            assert rows[0]["transport"] == "bus" and "Gorakhpur" in rows[0]["route"]


def test_export_with_view_sensitive_carries_the_narratives(client, api, monitor, colleague, manager):
    api(monitor).post(URL, api_body(), format="json")
    job = export_services.export_request(
        actor=manager, kind="persons", fmt="csv", deidentified=False, filters={}
    )
    export_services.export_run(job_id=job.pk)
    login(client, manager)
    text = b"".join(client.get(reverse("exports:download", args=[job.pk])).streaming_content).decode(
        "utf-8-sig"
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["suspect_description"] for r in rows} == {SECRETS[1], ""}
    assert SECRETS[2] in {r["document_numbers"] for r in rows}
    assert "passport:own:no citizenship:another:not_sure" in {r["documents"] for r in rows}


def test_history_rows_exist_and_show_on_the_page(client, api, monitor, colleague):
    data = api(monitor).post(URL, api_body(), format="json").json()
    record = Interception.objects.get(pk=data["id"])
    assert Companion.history.filter(interception_id=record.pk).count() == 2
    assert IdentityDocument.history.count() == 2
    assert RouteStop.history.filter(interception_id=record.pk).count() == 2
    assert Interceptee.history.filter(interception_id=record.pk, travel_purpose="job").exists()
    # an edit: a document removed, the route shortened, a companion changed
    body = api_body()
    body["version"] = 1
    body["route"] = body["route"][:1]
    body["interceptees"][0]["documents"] = body["interceptees"][0]["documents"][:1]
    body["interceptees"][0]["companions"] = [{"person": 1, "relationship": "partner"}]
    body["interceptees"][0]["id"] = data["interceptees"][0]["id"]
    body["interceptees"][1]["id"] = data["interceptees"][1]["id"]
    body.pop("station")
    response = api(monitor).patch(f"{URL}{record.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    assert IdentityDocument.history.filter(history_type="-").count() == 1
    assert RouteStop.history.filter(history_type="-").count() == 1
    assert Companion.history.filter(history_type="~", relationship="partner").count() == 1
    login(client, monitor)
    html = client.get(reverse("interception:detail", args=[record.pk])).content.decode()
    assert "removed</" in html or "removed" in html
    assert "route stop 2" in html and "document citizenship certificate" in html and "companion" in html


def test_the_new_form_ticks_the_person_recording_as_present(client, monitor, manager, bhw, catalogue):
    login(client, monitor)
    html = client.get(reverse("interception:create")).content.decode()
    boxes = re.findall(r'<input[^>]*name="monitors"[^>]*>', html)
    ticked = [b for b in boxes if "checked" in b]
    assert len(boxes) >= 2 and len(ticked) == 1 and 'value="mon_bhw"' in ticked[0]


def test_a_change_of_the_monitors_present_is_in_the_history_with_its_author(client, monitor, manager, bhw):
    record = make_interception(monitor, bhw)
    data = services.data_from_instance(record)
    data.monitors = ["mgr_bhw"]
    services.interception_update(actor=manager, interception=record, expected_version=1, data=data)
    assert [u.username for u in record.monitors.all()] == ["mgr_bhw"]
    rows = InterceptionMonitor.history.filter(interception_id=record.pk).order_by("history_id")
    assert [(r.history_type, r.user.username, r.history_user.username) for r in rows] == [
        ("+", "mon_bhw", "mon_bhw"),  # the creator, listed by default when the record was made
        ("-", "mon_bhw", "mgr_bhw"),
        ("+", "mgr_bhw", "mgr_bhw"),
    ]
    login(client, monitor)
    history = client.get(reverse("interception:detail", args=[record.pk])).content.decode()
    history = history[history.index('id="history"') :]
    assert "monitors present" in history and "added mgr_bhw" in history and "removed mon_bhw" in history
