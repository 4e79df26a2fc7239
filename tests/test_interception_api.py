from datetime import timedelta

import pytest
from django.utils import timezone

from interception.models import Attachment, Interception
from people.models import Person

from .factories import make_interception, person

pytestmark = pytest.mark.django_db

URL = "/api/v1/interceptions/"


def body(station="BHW", flags=(), **extra):
    return {
        "station": station,
        "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "place": "Belahiya checkpoint",
        "red_flags": [f.code for f in flags],
        "certainty": 4,
        "reason": "Minor travelling without guardian; companion met online.",
        "status": "submitted",
        "interceptees": [
            {"name": "Sita Tamang", "gender": "female", "age": 16, "phone": "", "role": "potential_victim"},
            {"name": "सीता तामाङ", "gender": "female", "age": 19, "role": "potential_victim"},
            {
                "name": "Ram Bahadur",
                "gender": "male",
                "age": 35,
                "phone": "+9779812345678",
                "role": "suspect",
            },
        ],
        **extra,
    }


def test_anonymous_gets_401(api, monitor, bhw):
    interception = make_interception(monitor, bhw)
    client = api()
    for url in [URL, f"{URL}{interception.pk}/", "/api/v1/red-flags/"]:
        assert client.get(url).status_code == 401
    response = client.post(URL, body(), format="json")
    assert response.status_code == 401 and response.json()["error"]["status"] == 401
    assert Interception.objects.count() == 1


def test_create_computes_score_and_returns_the_record(api, monitor, flags):
    response = api(monitor).post(URL, body(flags=flags, red_flag_score=999, number="FAKE"), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["red_flag_score"] == sum(f.points for f in flags)
    assert data["number"].startswith("BHW-") and data["version"] == 1 and data["station"] == "BHW"
    assert sorted(data["red_flags"]) == sorted(f.code for f in flags)
    assert [p["role"] for p in data["interceptees"]] == ["potential_victim", "potential_victim", "suspect"]
    assert data["interceptees"][1]["name"] == "सीता तामाङ"
    assert {"id", "occurred_at", "place", "certainty", "reason", "status"} <= data.keys()


def test_repeated_idempotency_key_returns_the_first_record(api, monitor):
    client = api(monitor)
    payload = body()
    first = client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    again = client.post(
        URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="abc-123"
    )  # the same request, retried
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["place"] == "Belahiya checkpoint"
    assert again["Idempotent-Replayed"] == "true"
    assert Interception.objects.count() == 1 and Person.objects.filter(source="interception").count() == 3


def test_stale_patch_answers_409_and_writes_nothing(api, monitor, manager, bhw):
    interception = make_interception(monitor, bhw)
    first = api(manager).patch(f"{URL}{interception.pk}/", {"place": "Bus park", "version": 1}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = api(monitor).patch(
        f"{URL}{interception.pk}/", {"place": "Elsewhere", "version": 1}, format="json"
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_version" and stale.json()["error"]["current_version"] == 2
    interception.refresh_from_db()
    assert interception.place == "Bus park" and interception.version == 2
    assert interception.interceptees.count() == 1  # people kept when the patch does not name them


def test_patch_without_version_is_refused(api, monitor, bhw):
    interception = make_interception(monitor, bhw)
    response = api(monitor).patch(f"{URL}{interception.pk}/", {"place": "x"}, format="json")
    assert response.status_code == 400 and "version" in response.json()["error"]["fields"]


def test_patch_recomputes_score(api, monitor, bhw, flags):
    interception = make_interception(monitor, bhw)
    response = api(monitor).patch(
        f"{URL}{interception.pk}/", {"red_flags": [flags[0].code], "version": 1}, format="json"
    )
    assert response.json()["red_flag_score"] == flags[0].points


def test_other_station_gets_404(api, monitor, other_monitor, bhw):
    interception = make_interception(monitor, bhw)
    client = api(other_monitor)
    assert client.get(f"{URL}{interception.pk}/").status_code == 404
    assert (
        client.patch(f"{URL}{interception.pk}/", {"place": "x", "version": 1}, format="json").status_code
        == 404
    )
    assert client.get(URL).json()["results"] == []
    not_found = client.get(f"{URL}999999/")
    assert not_found.status_code == 404 and not_found.json() == client.get(f"{URL}{interception.pk}/").json()
    # and cannot record at a station that is not theirs
    response = client.post(URL, body(station="BHW"), format="json")
    assert response.status_code == 400 and "station" in response.json()["error"]["fields"]
    interception.refresh_from_db()
    assert interception.version == 1


def test_invalid_input_answers_400_with_fields_and_writes_nothing(api, monitor):
    bad = body(certainty=9, red_flags=["NOPE"])
    bad["interceptees"][0]["age"] = 130  # certainty and age are the service's rules: reported together
    response = api(monitor).post(URL, bad, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and {"certainty", "interceptees.0.age"} <= error["fields"].keys()
    response = api(monitor).post(URL, body(red_flags=["NOPE"], reason=""), format="json")
    assert (
        response.status_code == 400 and {"red_flags", "reason"} <= response.json()["error"]["fields"].keys()
    )
    assert not Interception.objects.exists() and not Person.objects.exists()


@pytest.mark.parametrize("count", [2, 20])
def test_list_query_count_does_not_grow(api, monitor, bhw, count, django_assert_max_num_queries):
    for _ in range(count):
        make_interception(monitor, bhw, people=[person("A"), person("B", role="suspect")], flags=["V01"])
    client = api(monitor)
    with django_assert_max_num_queries(10):  # a summary a row: people counts, no prefetches
        response = client.get(URL)
    assert len(response.json()["results"]) == count


def test_list_filters(api, monitor, bhw):
    make_interception(monitor, bhw, submit=False)
    high = make_interception(monitor, bhw, flags=["V01", "E01"])
    client = api(monitor)
    assert [r["number"] for r in client.get(URL, {"status": "submitted"}).json()["results"]] == [high.number]
    assert client.get(URL, {"min_score": "many"}).status_code == 400


def test_red_flags_catalogue(api, monitor):
    data = api(monitor).get("/api/v1/red-flags/").json()
    assert len(data) >= 40 and {"code", "group", "text", "points"} <= data[0].keys()


def test_attachment_upload_and_download_are_scoped(api, monitor, other_monitor, bhw):
    from django.core.files.uploadedfile import SimpleUploadedFile

    interception = make_interception(monitor, bhw)
    pdf = b"%PDF-1.4 test document"
    response = api(monitor).post(
        f"{URL}{interception.pk}/attachments/",
        {"file": SimpleUploadedFile("statement.pdf", pdf)},
        format="multipart",
    )
    assert response.status_code == 201
    url = response.json()["attachments"][0]["url"]
    download = api(monitor).get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == pdf
    assert api(other_monitor).get(url).status_code == 404
    assert api().get(url).status_code == 401
    assert Attachment.objects.count() == 1


def test_openapi_schema_needs_login(api, monitor):
    assert api().get("/api/schema/").status_code == 401
    assert api(monitor).get("/api/schema/").status_code == 200
