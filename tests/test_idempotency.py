"""Idempotency keys on interception create (API header `Idempotency-Key`, the form's hidden field) and the
API's defences against hostile bodies: nested JSON, too many people."""

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import IdempotencyRecord
from interception.models import Interception
from interception.services import MAX_PEOPLE
from people.models import Person

from .factories import csrf_from, interception_form, login

pytestmark = pytest.mark.django_db

URL = "/api/v1/interceptions/"


def body(**extra):
    return {
        "station": "BHW",
        "occurred_at": (timezone.now() - timedelta(hours=1)).replace(microsecond=0).isoformat(),
        "place": "Belahiya checkpoint",
        "certainty": 4,
        "reason": "Minor travelling without guardian; companion met online.",
        "status": "submitted",
        "interceptees": [{"name": "Sita Tamang", "gender": "female", "age": 16, "role": "potential_victim"}],
        **extra,
    }


def error(response) -> dict:
    return response.json()["error"]


# --- the same key --------------------------------------------------------------------------------------


def test_same_key_with_a_different_body_is_a_409_and_saves_nothing(api, monitor, bhw):
    client = api(monitor)
    payload = body()
    first = client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == 201
    other = client.post(URL, {**payload, "place": "Bus park"}, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert other.status_code == 409, other.content
    assert error(other)["code"] == "idempotency_conflict"
    assert "already used" in error(other)["message"] and "new" in error(other)["message"]
    assert Interception.objects.count() == 1 and Interception.objects.get().place == "Belahiya checkpoint"
    assert Person.objects.filter(source="interception").count() == 1


def test_same_key_and_same_content_replays_even_with_other_whitespace(api, monitor, bhw):
    client = api(monitor)
    payload = body()
    first = client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="retry-2")
    again = client.post(
        URL, {**payload, "place": "  Belahiya checkpoint "}, format="json", HTTP_IDEMPOTENCY_KEY="retry-2"
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert Interception.objects.count() == 1


def test_a_key_is_per_user_and_only_a_fingerprint_is_stored(api, monitor, manager, bhw):
    payload = body()
    assert api(monitor).post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    assert api(manager).post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    assert Interception.objects.count() == 2
    record = IdempotencyRecord.objects.get(user=monitor)
    assert record.object_type == "interception" and re.fullmatch(r"[0-9a-f]{64}", record.fingerprint)
    assert "Sita" not in str(IdempotencyRecord.objects.values_list())


# --- bad keys ------------------------------------------------------------------------------------------


def test_a_key_longer_than_64_characters_is_a_400_not_truncated(api, monitor, bhw):
    client = api(monitor)
    response = client.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 65)
    assert response.status_code == 400, response.content
    assert "64" in error(response)["fields"]["idempotency_key"][0]
    assert not Interception.objects.exists()
    assert client.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 64).status_code == 201
    assert IdempotencyRecord.objects.get().key == "k" * 64


@pytest.mark.parametrize("key", ["abc\x00def", "abc\tdef", "line\nbreak", "\x1b[31m", "zero\u200bwidth"])
def test_control_characters_in_the_key_are_a_400(api, monitor, bhw, key):
    response = api(monitor).post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400, response.content
    assert "control characters" in error(response)["fields"]["idempotency_key"][0]
    assert not Interception.objects.exists()


# --- hostile bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_a_400_not_a_500(api, monitor, bhw, depth):
    raw = json.dumps(body())[:-1] + ', "extra": ' + "[" * depth + "]" * depth + "}"
    response = api(monitor).post(URL, raw, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "nested" in error(response)["message"]
    assert not Interception.objects.exists()


def test_the_api_takes_json_bodies_and_refuses_form_encoded_ones_with_415(api, monitor, bhw):
    # The schema declares JSON bodies (multipart only for uploads); a form-encoded body is refused clearly
    # rather than parsed by rules the schema does not state ("0" is not false).
    response = api(monitor).post("/api/v1/interceptions/", {"station": "BHW"}, format="multipart")
    assert response.status_code == 415 and error(response)["code"] == "unsupported_media_type"
    response = api(monitor).post("/api/v1/interceptions/", {"station": "BHW"}, format="json")
    assert response.status_code == 400 and "place" in error(response)["fields"]
    assert not Interception.objects.exists()


def test_more_than_50_people_is_a_clear_400(api, monitor, bhw):
    people = [{"name": f"Person {i}", "role": "potential_victim"} for i in range(MAX_PEOPLE + 1)]
    response = api(monitor).post(URL, body(interceptees=people), format="json")
    assert response.status_code == 400, response.content[:300]
    assert "at most 50 people" in error(response)["fields"]["interceptees"][0]
    assert not Interception.objects.exists() and not Person.objects.exists()


# --- the form ------------------------------------------------------------------------------------------


WHEN = (timezone.now() - timedelta(hours=1)).replace(second=0, microsecond=0)  # as typed in the form


def form_post(client, bhw, key, place="Belahiya checkpoint"):
    html = client.get(reverse("interception:create")).content.decode()
    data = interception_form(
        bhw, when=WHEN, csrfmiddlewaretoken=csrf_from(html), idempotency_key=key, place=place, outcome=""
    )
    return client.post(reverse("interception:create"), data)


def test_the_form_shows_a_reused_key_and_a_too_long_key_as_errors(monitor, bhw):
    client = login(Client(enforce_csrf_checks=True), monitor)
    assert form_post(client, bhw, "form-key").status_code == 302
    again = form_post(client, bhw, "form-key")  # the same form posted twice: one record
    assert again.status_code == 302 and Interception.objects.count() == 1
    changed = form_post(client, bhw, "form-key", place="Bus park")  # back, edit, save with the old key
    assert changed.status_code == 200
    assert "already used" in changed.content.decode()
    too_long = form_post(client, bhw, "k" * 65)
    assert too_long.status_code == 200 and "at most 64 characters" in too_long.content.decode()
    assert Interception.objects.count() == 1
