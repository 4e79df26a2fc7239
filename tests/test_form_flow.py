"""The form survives the field (server side): autosave drafts, saving twice, errors in one round, date
bounds, station time, "My drafts", and the session's keep-alive."""

import re
import time
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import SESSION_LAST_SEEN
from accounts.roles import Role
from interception.models import Interception

from .factories import csrf_from, login, make_interception, member

pytestmark = pytest.mark.django_db

AUTOSAVE_NEW = "interception:autosave-new"


def when(station, hours=1):
    return (timezone.now().astimezone(station.tzinfo) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def post_data(station, *, key="page-key-1", people=(), **extra):
    data = {
        "station": str(station.pk),
        "occurred_at": when(station),
        "place": "",
        "certainty": "",
        "reason": "",
        "outcome": "",
        "idempotency_key": key,
        "people-TOTAL_FORMS": str(len(people)),
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "1000",
    }
    for i, values in enumerate(people):
        data.update({f"people-{i}-role": "potential_victim", f"people-{i}-gender": "female"})
        data.update({f"people-{i}-{k}": v for k, v in values.items()})
    data.update(extra)
    return data


@pytest.fixture
def client_for():
    def make(user):
        return login(Client(), user)

    return make


def test_autosave_creates_one_draft_then_updates_it(client_for, monitor, bhw):
    client = client_for(monitor)
    first = client.post(reverse(AUTOSAVE_NEW), post_data(bhw, place="Belahiya"))
    assert first.status_code == 200, first.content
    draft = first.json()
    record = Interception.objects.get()
    assert draft["saved"] and draft["id"] == record.pk and draft["version"] == 1
    assert record.status == "draft" and record.place == "Belahiya" and not record.interceptees.exists()
    assert draft["edit_url"] == reverse("interception:edit", args=[record.pk])
    assert draft["number"] == record.number

    later = client.post(
        draft["autosave_url"],
        post_data(bhw, place="Belahiya checkpoint", version="1", people=[{"full_name": "Sita Tamang"}]),
    )
    assert later.status_code == 200, later.content
    answer = later.json()
    record.refresh_from_db()
    assert Interception.objects.count() == 1
    assert record.place == "Belahiya checkpoint" and record.version == 2 and record.status == "draft"
    row = record.interceptees.get()
    assert answer["people"] == [{"index": 0, "id": row.pk}]  # for a photo of that person


def test_two_autosaves_with_the_same_key_never_make_two_records(client_for, monitor, bhw):
    client = client_for(monitor)
    data = post_data(bhw, place="Belahiya", autosave_token="t1")
    assert client.post(reverse(AUTOSAVE_NEW), data).status_code == 200
    # The answer was lost: the page sends the same save again (same token), with more typed since.
    again = client.post(reverse(AUTOSAVE_NEW), {**data, "reason": "Met online"})
    assert again.status_code == 200, again.content
    record = Interception.objects.get()
    assert record.reason == "Met online" and record.version == 2
    # Another page (another token) that does not know the version is refused, not duplicated.
    other = client.post(reverse(AUTOSAVE_NEW), {**data, "autosave_token": "t2", "reason": "Other"})
    assert other.status_code == 409 and other.json()["reason"] == "stale"
    assert Interception.objects.count() == 1
    assert Interception.objects.get().reason == "Met online"


def test_autosave_never_submits_and_stops_on_a_submitted_record(client_for, monitor, bhw):
    client = client_for(monitor)
    data = post_data(
        bhw, place="Belahiya", certainty="4", reason="r", submit="1", people=[{"full_name": "Sita"}]
    )
    client.post(reverse(AUTOSAVE_NEW), data)
    record = Interception.objects.get()
    assert record.status == "draft"
    record.status = "submitted"
    record.save(update_fields=["status"])
    response = client.post(reverse("interception:autosave", args=[record.pk]), {**data, "version": "1"})
    assert response.status_code == 409 and response.json()["reason"] == "submitted"


def test_autosave_saves_the_rest_and_reports_a_field_that_does_not_parse(client_for, monitor, bhw):
    client = client_for(monitor)
    data = post_data(bhw, place="Bus park", certainty="sure", people=[{"full_name": "Sita", "age": "abc"}])
    response = client.post(reverse(AUTOSAVE_NEW), data)
    assert response.status_code == 200, response.content
    answer = response.json()
    record = Interception.objects.get()
    assert record.place == "Bus park" and record.certainty is None
    assert record.interceptees.get().person.full_name == "Sita"
    targets = {e["target"] for e in answer["errors"]}
    assert {"id_certainty", "id_people-0-age"} <= targets

    # On the saved draft, a field that does not parse keeps what was saved before.
    client.post(
        answer["autosave_url"],
        post_data(bhw, place="Bus park", certainty="3", version="1", autosave_token="a"),
    )
    record.refresh_from_db()
    assert record.certainty == 3
    client.post(
        answer["autosave_url"],
        post_data(bhw, place="Bus park 2", certainty="x", version=str(record.version), autosave_token="b"),
    )
    record.refresh_from_db()
    assert record.place == "Bus park 2" and record.certainty == 3


def test_back_then_save_answers_with_the_record_already_saved(client_for, monitor, bhw):
    client = client_for(monitor)
    url = reverse("interception:create")
    full = post_data(
        bhw,
        key="back-key",
        place="Belahiya",
        certainty="4",
        reason="Met online",
        people=[{"full_name": "Sita"}],
    )
    first = client.post(url, {**full, "submit": "1"})
    record = Interception.objects.get()
    assert first.status_code == 302 and record.status == "submitted"
    # Back, the same form again: the record already saved.
    again = client.post(url, {**full, "submit": "1"})
    assert again.status_code == 302 and again["Location"] == reverse("interception:detail", args=[record.pk])
    # Back, changed, saved with the old key and no version: the saved record's form, never a second one.
    changed = client.post(url, {**full, "place": "Bus park", "submit": "1"})
    assert changed.status_code == 200
    html = changed.content.decode()
    assert "already used" in html and record.number in html
    assert f'action="{reverse("interception:edit", args=[record.pk])}"' in html
    assert 'value="Bus park"' in html and f'name="version" value="{record.version}"' in html
    assert Interception.objects.count() == 1 and Interception.objects.get().place == "Belahiya"
    # The page knew the version (autosave kept it current): the post updates that record.
    updated = client.post(url, {**full, "place": "Bus park", "version": str(record.version), "submit": "1"})
    assert updated.status_code == 302
    assert Interception.objects.count() == 1 and Interception.objects.get().place == "Bus park"


def test_save_after_autosave_updates_the_draft(client_for, monitor, bhw):
    client = client_for(monitor)
    draft = client.post(reverse(AUTOSAVE_NEW), post_data(bhw, key="k2", place="Belahiya")).json()
    full = post_data(
        bhw, key="k2", place="Belahiya", certainty="4", reason="r", people=[{"full_name": "Sita"}], submit="1"
    )
    # form.js points the form at the draft's edit page with its version...
    response = client.post(draft["edit_url"], {**full, "version": str(draft["version"])})
    assert response.status_code == 302
    # ...and without JavaScript's update the create URL still finds the draft (same key, version known).
    record = Interception.objects.get()
    assert record.status == "submitted" and record.interceptees.count() == 1


def test_all_errors_come_back_in_one_round_with_a_summary(client_for, monitor, bhw):
    client = client_for(monitor)
    html = client.get(reverse("interception:create")).content.decode()
    data = post_data(
        bhw,
        csrfmiddlewaretoken=csrf_from(html),
        certainty="very",  # does not parse
        reason="",  # the service: needed to submit
        place="Belahiya",
        people=[{"full_name": "Ram", "role": "suspect", "age": "old"}],  # age does not parse; no victim
        submit="1",
    )
    response = client.post(reverse("interception:create"), data)
    assert response.status_code == 200 and not Interception.objects.exists()
    html = response.content.decode()
    summary = re.search(
        r'<div class="error banner error-summary" id="error-summary" role="alert".*?</div>', html, re.S
    )
    assert summary, "the summary is at the top"
    links = set(re.findall(r'href="#([^"]+)"', summary.group(0)))
    assert {"id_certainty", "id_reason", "id_people-0-age", "people-errors"} <= links
    for target in links:
        assert f'id="{target}"' in html, f"the summary links to #{target}, which is not on the page"
    assert "Describe why you intercepted" in html and "Add at least one potential victim" in html
    reason = re.search(r"<textarea[^>]*name=\"reason\"[^>]*>", html).group(0)
    assert 'aria-invalid="true"' in reason and 'aria-describedby="id_reason_error"' in reason
    age = re.search(r'<input[^>]*name="people-0-age"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in age and "id_people-0-age_error" in age


def test_per_person_service_errors_go_to_the_row_field(client_for, monitor, bhw, monkeypatch):
    from django.core.exceptions import ValidationError

    from interception import services

    def refuse(*, station, data, submit, **kwargs):
        raise ValidationError({"interceptees.1.phone": ["Not a phone number."]})

    monkeypatch.setattr(services, "_validate", refuse)
    client = client_for(monitor)
    people = [{"full_name": "Sita"}, {"full_name": "Gita", "phone": "98abc"}]
    response = client.post(reverse("interception:create"), post_data(bhw, place="Belahiya", people=people))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="#id_people-1-phone"' in html and 'id="id_people-1-phone_error"' in html
    phone = re.search(r'<input[^>]*name="people-1-phone"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in phone


def test_the_date_is_bounded(client_for, monitor, bhw):
    client = client_for(monitor)
    url = reverse("interception:create")
    old = client.post(url, post_data(bhw, place="Belahiya", occurred_at="1999-12-31T23:00"))
    assert "before 1 January 2000" in old.content.decode()
    tomorrow = (timezone.now().astimezone(bhw.tzinfo) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    future = client.post(url, post_data(bhw, place="Belahiya", occurred_at=tomorrow))
    assert "cannot be in the future" in future.content.decode()
    first_day = client.post(url, post_data(bhw, place="Belahiya", occurred_at="2000-01-01T00:10"))
    assert first_day.status_code == 302  # 1 January 2000 at the station is allowed
    assert not Interception.objects.filter(occurred_on__lt="2000-01-01").exists()


def test_a_new_form_defaults_to_now_in_station_time(client_for, monitor, bhw):
    html = client_for(monitor).get(reverse("interception:create")).content.decode()
    value = re.search(r'name="occurred_at" value="([^"]+)"', html).group(1)
    shown = datetime.strptime(value, "%Y-%m-%dT%H:%M").replace(tzinfo=bhw.tzinfo)
    assert abs((shown - timezone.now()).total_seconds()) < 120  # Nepal's wall clock, not UTC's


def test_my_drafts_shows_only_my_unfinished_records(
    client_for, monitor, other_monitor, bhw, brg, django_assert_max_num_queries
):
    mine = [make_interception(monitor, bhw, submit=False, place=f"Draft {n}") for n in range(3)]
    make_interception(monitor, bhw, submit=True, place="Submitted one")
    colleague = member(Role.MONITOR, station=bhw, username="mon_bhw_2")
    make_interception(colleague, bhw, submit=False, place="Colleague's draft")
    make_interception(other_monitor, brg, submit=False, place="Other station's draft")
    client = client_for(monitor)
    client.get(reverse("interception:drafts"))  # warm up (session, ContentTypes)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("interception:drafts"))
    html = response.content.decode()
    assert response.status_code == 200
    for draft in mine:
        assert draft.number in html
    assert "Submitted one" not in html and "Colleague" not in html and "Other station" not in html
    assert html.index(mine[2].number) < html.index(mine[0].number)  # last saved first
    assert f'href="{reverse("interception:drafts")}"' in html  # in the nav for those who may record

    for _ in range(5):
        make_interception(monitor, bhw, submit=False)
    with django_assert_max_num_queries(16):  # as many queries for 8 drafts as for 3
        assert client.get(reverse("interception:drafts")).content.decode().count("/edit/") >= 8


def test_keep_alive_refreshes_the_sessions_last_seen_and_a_background_save_does_not(client_for, monitor):
    client = client_for(monitor)
    session = client.session
    session[SESSION_LAST_SEEN] = time.time() - 300
    session.save()
    response = client.post(reverse("keep-alive"))
    assert response.status_code == 200 and response.json()["idle_timeout"] > 0
    assert time.time() - client.session[SESSION_LAST_SEEN] < 5

    session = client.session
    session[SESSION_LAST_SEEN] = time.time() - 300
    session.save()
    client.post(reverse("keep-alive"), HTTP_X_BACKGROUND_REQUEST="1")
    assert time.time() - client.session[SESSION_LAST_SEEN] > 290


def test_the_idle_timeout_and_keep_alive_url_are_on_every_page(client_for, monitor, settings):
    settings.SESSION_IDLE_TIMEOUT = 123
    html = client_for(monitor).get(reverse("interception:list")).content.decode()
    assert 'data-idle-timeout="123"' in html and reverse("keep-alive") in html
    assert "Stay signed in" in html and "js/session.js" in html
    assert "js/form.js" not in html  # only on the form page
