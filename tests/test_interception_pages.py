import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from interception.models import Attachment, Interception
from people.models import Person

from .factories import login, make_interception, person

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def form_payload(station, flags=(), people=(), **extra):
    data = {
        "station": station.pk,
        "occurred_at": (timezone.now().astimezone(station.tzinfo) - timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "place": "Belahiya checkpoint",
        "certainty": "4",
        "reason": "Girl travelling with a man she met on Facebook.",
        "outcome": "shelter",
        "red_flags": [f.code for f in flags],
        "idempotency_key": "form-key-1",
        "people-TOTAL_FORMS": str(len(people)),
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "1000",
    }
    for i, (name, role) in enumerate(people):
        data.update({f"people-{i}-full_name": name, f"people-{i}-role": role, f"people-{i}-gender": "female"})
    data.update(extra)
    return data


def test_anonymous_is_sent_to_login(client, monitor, bhw):
    interception = make_interception(monitor, bhw)
    for url in [reverse("interception:list"), reverse("interception:detail", args=[interception.pk])]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_monitor_records_an_interception_through_the_form(client, monitor, bhw, flags):
    login(client, monitor)
    page = client.get(reverse("interception:create"))
    assert page.status_code == 200 and b'data-points="' in page.content
    payload = form_payload(
        bhw,
        flags,
        [("Sita Tamang", "potential_victim"), ("गीता थापा", "potential_victim"), ("Ram", "suspect")],
        submit="1",
    )
    response = client.post(reverse("interception:create"), payload)
    interception = Interception.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "interception:detail", args=[interception.pk]
    )
    assert interception.status == "submitted"
    assert interception.red_flag_score == sum(f.points for f in flags)
    assert interception.interceptees.filter(role="potential_victim").count() == 2
    detail = client.get(response["Location"])
    assert "गीता थापा" in detail.content.decode()
    assert f'id="score">{interception.red_flag_score}<' in detail.content.decode()


def test_double_post_of_the_same_form_creates_one_record(client, monitor, bhw):
    login(client, monitor)
    payload = form_payload(bhw, people=[("Sita", "potential_victim")], submit="1")
    first = client.post(reverse("interception:create"), payload)
    second = client.post(reverse("interception:create"), payload)
    assert first["Location"] == second["Location"]
    assert Interception.objects.count() == 1 and Person.objects.filter(source="interception").count() == 1


def test_invalid_form_keeps_what_was_typed_and_saves_nothing(client, monitor, bhw):
    login(client, monitor)
    payload = form_payload(bhw, people=[("Sita Tamang", "suspect")], submit="1", reason="", place="Bus park")
    response = client.post(reverse("interception:create"), payload)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Describe why you intercepted" in html and "Add at least one potential victim" in html
    assert 'value="Bus park"' in html and 'value="Sita Tamang"' in html
    assert not Interception.objects.exists() and not Person.objects.exists()


def test_stale_edit_is_refused_with_a_message(client, monitor, manager, bhw):
    interception = make_interception(monitor, bhw)
    login(client, manager)
    edit_url = reverse("interception:edit", args=[interception.pk])
    row = interception.interceptees.get()
    payload = form_payload(
        bhw,
        version="1",
        **{
            "people-TOTAL_FORMS": "1",
            "people-INITIAL_FORMS": "1",
            "people-0-id": str(row.pk),
            "people-0-full_name": "Sita Tamang",
            "people-0-role": "potential_victim",
            "people-0-gender": "female",
        },
    )
    payload["place"] = "First editor's place"
    assert client.post(edit_url, {**payload, "submit": "1"}).status_code == 302
    payload["place"] = "Second editor's place"
    response = client.post(edit_url, {**payload, "submit": "1"})
    assert response.status_code == 200
    assert "Someone else saved this record" in response.content.decode()
    interception.refresh_from_db()
    assert interception.place == "First editor's place" and interception.version == 2


def test_other_station_gets_404_on_page_edit_and_photo(client, monitor, other_monitor, bhw):
    interception = make_interception(monitor, bhw)
    login(client, monitor)
    client.post(
        reverse("interception:attachment-upload", args=[interception.pk]), {"file": _upload("photo.png", PNG)}
    )
    attachment = Attachment.objects.get()
    own = client.get(reverse("interception:attachment", args=[interception.pk, attachment.pk]))
    assert own.status_code == 200 and b"".join(own.streaming_content) == PNG
    client.logout()
    login(client, other_monitor)
    for url in [
        reverse("interception:detail", args=[interception.pk]),
        reverse("interception:edit", args=[interception.pk]),
        reverse("interception:attachment", args=[interception.pk, attachment.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            reverse("interception:attachment-upload", args=[interception.pk]), {"file": _upload("x.png", PNG)}
        ).status_code
        == 404
    )
    assert Attachment.objects.count() == 1
    assert interception.number not in client.get(reverse("interception:list")).content.decode()


def test_attachment_type_is_checked_and_stored_privately(client, monitor, bhw, private_media):
    interception = make_interception(monitor, bhw)
    login(client, monitor)
    client.post(
        reverse("interception:attachment-upload", args=[interception.pk]),
        {"file": _upload("evil.html", b"<script>alert(1)</script>")},
    )
    assert not Attachment.objects.exists()
    client.post(
        reverse("interception:attachment-upload", args=[interception.pk]), {"file": _upload("p.png", PNG)}
    )
    attachment = Attachment.objects.get()
    assert str(private_media) in attachment.file.path
    with pytest.raises(ValueError, match="not accessible via a URL"):
        attachment.file.url  # noqa: B018 - there is no public URL for private files


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_list_filters(client, monitor, bhw):
    old = make_interception(monitor, bhw, occurred_at=timezone.now() - timedelta(days=30), flags=[])
    high = make_interception(monitor, bhw, flags=["V01", "E01", "C01"])
    draft = make_interception(monitor, bhw, submit=False)
    login(client, monitor)

    def numbers(**params):
        html = client.get(reverse("interception:list"), params).content.decode()
        return set(re.findall(r"BHW-\d{4}-\d{5}", html))

    assert numbers() == {old.number, high.number, draft.number}
    assert numbers(status="draft") == {draft.number}
    assert numbers(min_score=high.red_flag_score) == {high.number}
    assert numbers(date_from=(timezone.now() - timedelta(days=2)).date().isoformat()) == {
        high.number,
        draft.number,
    }
    assert numbers(number=old.number[-5:]) == {old.number}
    assert numbers(station="BRG") == set()


@pytest.mark.parametrize("count", [3, 30])
def test_list_page_query_count_does_not_grow(client, monitor, bhw, count, django_assert_max_num_queries):
    for _ in range(count):
        make_interception(monitor, bhw, people=[person("A"), person("B", role="suspect")])
    login(client, monitor)
    # 20: + the page's ids before its rows (core/pagination.py), + the access profile read up front.
    with django_assert_max_num_queries(20):
        response = client.get(reverse("interception:list"))
    assert response.status_code == 200
    assert response.content.decode().count("/interceptions/") >= min(count, 25)


def test_running_total_markup_and_phone_width_meta(client, monitor):
    login(client, monitor)
    html = client.get(reverse("interception:create")).content.decode()
    assert 'name="viewport" content="width=device-width' in html
    assert 'id="running-score"' in html and 'id="person-template"' in html


def test_times_are_shown_in_the_station_local_time(client, monitor, bhw):
    import datetime as dt

    at = dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.UTC)  # 01:45 on 2 March in Kathmandu
    interception = make_interception(monitor, bhw, occurred_at=at)
    login(client, monitor)
    detail = client.get(reverse("interception:detail", args=[interception.pk])).content.decode()
    assert "2026-03-02 01:45" in detail and "UTC+0545" in detail
    listing = client.get(reverse("interception:list")).content.decode()
    assert "2026-03-02 01:45" in listing
