"""Issue 7 item 9 (interception side): every response that shows a record's personal data writes a view
event naming that record and its station, through the one selector that fetches and checks it. Driven over
HTTP: pages with a logged-in session and real CSRF tokens, the API with a token."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AccessEvent
from core import events
from interception import services, views
from interception.models import Interception

from .factories import interception_form, login, make_interception, member, person

pytestmark = pytest.mark.django_db

URL = "/api/v1/interceptions/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def session(user) -> Client:
    return login(Client(enforce_csrf_checks=True), user)


def csrf_token(client, url) -> str:
    page = client.get(url)
    assert page.status_code == 200
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def views_of(record, **filters):
    return AccessEvent.objects.filter(
        action="interception.view", object_type="interception", object_id=str(record.pk), **filters
    )


def api_body(**extra):
    return {
        "station": "BHW",
        "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "place": "Belahiya checkpoint",
        "certainty": 4,
        "reason": "Travelling with a man she met online.",
        "status": "submitted",
        "interceptees": [{"name": "Sita Tamang", "gender": "female", "age": 16, "role": "potential_victim"}],
        **extra,
    }


@pytest.fixture
def record(monitor, bhw):
    return make_interception(monitor, bhw, people=[person("Sita Tamang", phone="+9779800000001")])


def test_detail_page_logs_a_view_naming_the_record_and_its_station(record, monitor):
    response = session(monitor).get(reverse("interception:detail", args=[record.pk]))
    assert response.status_code == 200 and "Sita Tamang" in response.content.decode()
    event = views_of(record).get()
    assert event.actor == monitor and event.station == record.station
    assert event.details["purpose"] == "view" and event.details["sensitive"] is True


def test_edit_page_logs_a_view_of_the_record(record, monitor):
    response = session(monitor).get(reverse("interception:edit", args=[record.pk]))
    assert response.status_code == 200 and "Sita Tamang" in response.content.decode()
    event = views_of(record).get()
    assert event.actor == monitor and event.station == record.station and event.details["purpose"] == "edit"


def test_form_replay_redirect_is_checked_and_logged(monitor, bhw):
    client = session(monitor)
    url = reverse("interception:create")
    payload = interception_form(
        bhw,
        when=timezone.now() - timedelta(hours=1),
        csrfmiddlewaretoken=csrf_token(client, url),
        certainty="4",
        reason="Girl travelling with a man she met on Facebook.",
        idempotency_key="replay-me",
        submit="1",
    )
    first = client.post(url, payload)
    again = client.post(url, payload)  # the same form sent again on a bad connection
    assert first.status_code == 302 and again["Location"] == first["Location"]
    record = Interception.objects.get()
    assert views_of(record, details__purpose="replay", actor=monitor).count() == 1


def test_api_create_and_idempotent_replay_each_log_a_view(api, monitor):
    client, body = api(monitor), api_body()
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    again = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert first.status_code == 201 and again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    pk = first.json()["id"]
    purposes = sorted(
        AccessEvent.objects.filter(
            action="interception.view", object_type="interception", object_id=str(pk), actor=monitor
        ).values_list("details__purpose", flat=True)
    )
    assert purposes == ["create", "replay"]


def test_api_patch_response_logs_a_view(api, record, monitor):
    response = api(monitor).patch(f"{URL}{record.pk}/", {"place": "Bus park", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["interceptees"][0]["name"] == "Sita Tamang"
    assert views_of(record, details__purpose="change", actor=monitor, station=record.station).count() == 1


def test_api_upload_response_logs_a_view(api, record, monitor):
    response = api(monitor).post(
        f"{URL}{record.pk}/attachments/", {"file": SimpleUploadedFile("p.png", PNG)}, format="multipart"
    )
    assert response.status_code == 201 and response.json()["interceptees"][0]["name"] == "Sita Tamang"
    assert views_of(record, details__purpose="upload", actor=monitor).count() == 1


def test_api_detail_logs_a_view(api, record, monitor):
    assert api(monitor).get(f"{URL}{record.pk}/").status_code == 200
    assert views_of(record, details__purpose="view", actor=monitor).count() == 1


def test_api_list_page_logs_one_event_naming_every_record_on_it_and_their_stations(api, monitor, bhw, brg):
    monitor_brg = member(Role.MONITOR, station=brg, username="m_brg")
    director = member(Role.COUNTRY_DIRECTOR, country=bhw.country, username="director")
    at_bhw = [make_interception(monitor, bhw) for _ in range(2)]
    at_brg = make_interception(monitor_brg, brg)
    response = api(director).get(URL)
    assert response.status_code == 200 and len(response.json()["results"]) == 3
    event = AccessEvent.objects.get(action="interception.list", actor=director)
    assert event.object_type == "interception"
    assert event.details["ids"] == sorted(r.pk for r in [*at_bhw, at_brg])
    assert event.details["stations"] == ["BHW", "BRG"]
    assert event.details["api"] is True and event.details["count"] == 3
    # the per-record question "who read this record?" finds the list read
    assert AccessEvent.objects.filter(object_type="interception", details__ids__contains=[at_brg.pk]).exists()


def test_list_page_logs_the_ids_of_the_rows_it_shows(monitor, bhw, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    records = [make_interception(monitor, bhw) for _ in range(3)]  # newest first: page 2 holds the oldest
    response = session(monitor).get(reverse("interception:list"), {"page": 2})
    assert response.status_code == 200 and records[0].number in response.content.decode()
    event = AccessEvent.objects.get(action="interception.list", actor=monitor)
    assert event.object_type == "interception" and event.details["ids"] == [records[0].pk]
    assert event.details["stations"] == ["BHW"] and event.details["page"] == 2 and event.details["count"] == 3


def test_attachment_download_is_logged_with_its_interception_and_station(api, record, monitor):
    attachment = services.attachment_add(
        actor=monitor, interception=record, uploaded_file=SimpleUploadedFile("p.png", PNG)
    )
    response = session(monitor).get(reverse("interception:attachment", args=[record.pk, attachment.pk]))
    assert response.status_code == 200
    event = AccessEvent.objects.get(action="attachment.download")
    assert event.object_type == "attachment" and event.object_id == str(attachment.pk)
    assert event.station == record.station
    assert event.details["interception_id"] == record.pk and event.details["interception"] == record.number


def test_a_denied_attempt_names_the_record_its_type_and_station_and_publishes_an_event(
    api, record, other_monitor
):
    published = []

    def handler(**ids):
        published.append(ids)

    events.subscribe("access.denied", handler)
    try:
        assert session(other_monitor).get(reverse("interception:detail", args=[record.pk])).status_code == 404
        assert api(other_monitor).get(f"{URL}{record.pk}/").status_code == 404
    finally:
        events.unsubscribe("access.denied", handler)
    denied = AccessEvent.objects.filter(action="access.denied", actor=other_monitor)
    assert denied.count() == 2
    for event in denied:
        assert (event.object_type, event.object_id, event.station) == (
            "interception",
            str(record.pk),
            record.station,
        )
    assert published == [{"user_id": other_monitor.pk}] * 2
    assert not views_of(record).exists()


def test_a_record_that_does_not_exist_writes_no_denied_event(api, monitor):
    assert api(monitor).get(f"{URL}987654/").status_code == 404
    assert not AccessEvent.objects.filter(action="access.denied").exists()
