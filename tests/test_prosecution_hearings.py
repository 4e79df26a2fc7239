"""Hearings and comments of a legal case (docs/prosecution.md "Hearings, reminders and the timeline"): a
hearing's next date plans the next hearing; outcomes are versioned and sensitive; the upcoming-hearings page
lists the hearings of the legal cases one sees, by week; comments are deleted softly and audited without
their text."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from audit.models import AccessEvent
from people.masking import MASK
from prosecution.models import Comment, Court, CourtCase, Hearing, LegalCase
from prosecution.services.hearings import comment_add, hearing_add

from .factories import login, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def people_(bhw, brg):
    return {
        "lo": member(Role.LEGAL_OFFICER, station=bhw, username="lo_bhw"),
        "lo2": member(Role.LEGAL_OFFICER, station=bhw, username="lo2_bhw"),
        "manager": member(Role.STATION_MANAGER, station=bhw, username="sm_bhw"),
        "director": member(Role.COUNTRY_DIRECTOR, station=bhw, username="cd_bhw"),
        "monitor": member(Role.MONITOR, station=bhw, username="mon2_bhw"),
        "other_lo": member(Role.LEGAL_OFFICER, station=brg, username="lo_brg"),
    }


def new_case(station, actor, n=1, stage="complaint_filed"):
    return LegalCase.objects.create(
        number=f"{station.code}-L-2026-{n:05d}",
        station=station,
        stage=stage,
        opened_on=date(2026, 11, 1),
        created_by=actor,
    )


@pytest.fixture
def legal_case(bhw, people_):
    case = new_case(bhw, people_["lo"])
    court = Court.objects.create(country=bhw.country, name="Test District Court")
    case.court_case = CourtCase.objects.create(
        legal_case=case, court=court, number="T-1", created_by=people_["lo"]
    )
    return case


def api(user):
    client = APIClient()
    login(client, user)
    return client


def page(user):
    client = Client()
    login(client, user)
    return client


def hearings_url(legal_case):
    return reverse("api:legal-case-hearings", kwargs={"pk": legal_case.pk})


def test_a_hearing_with_a_next_date_plans_the_next_hearing(legal_case, people_):
    client = api(people_["lo"])
    data = {
        "held_on": "2026-12-10",
        "purpose": "Bail hearing",
        "court_case": legal_case.court_case.pk,
        "next_on": "2027-01-05",
    }
    response = client.post(hearings_url(legal_case), data, format="json", HTTP_IDEMPOTENCY_KEY="h-1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["court"] == legal_case.court_case.court_id and body["court_case_number"] == "T-1"
    assert body["version"] == 1
    # a retry with the same key: the first hearing, nothing new
    again = client.post(hearings_url(legal_case), data, format="json", HTTP_IDEMPOTENCY_KEY="h-1")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    dates = list(Hearing.objects.filter(legal_case=legal_case).values_list("held_on", "purpose"))
    assert dates == [(date(2026, 12, 10), "Bail hearing"), (date(2027, 1, 5), "Bail hearing")]
    listed = client.get(hearings_url(legal_case)).json()["results"]
    assert [h["held_on"] for h in listed] == ["2026-12-10", "2027-01-05"]
    event = AccessEvent.objects.get(action="legal_case.hearing_add")
    assert event.details["hearing"] == body["id"] and event.details["next_hearing"] is not None


def test_recording_the_outcome_is_versioned_sensitive_and_plans_the_next(legal_case, people_):
    hearing, _ = hearing_add(
        actor=people_["lo"], legal_case=legal_case, held_on=date(2026, 12, 1), purpose="Evidence"
    )
    url = reverse("api:legal-case-hearing", kwargs={"pk": legal_case.pk, "hearing_pk": hearing.pk})
    client = api(people_["lo"])
    response = client.patch(
        url, {"outcome": "Witness Sita heard", "next_on": "2026-12-20", "version": 1}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2 and response.json()["outcome"] == "Witness Sita heard"
    assert Hearing.objects.filter(legal_case=legal_case, held_on=date(2026, 12, 20)).exists()
    stale = client.patch(url, {"outcome": "Other", "version": 1}, format="json")
    assert stale.status_code == 409
    bad = client.patch(url, {"next_on": "2026-11-01", "version": 2}, format="json")
    assert bad.status_code == 400
    hearing.refresh_from_db()
    assert hearing.outcome == "Witness Sita heard" and hearing.next_on == date(2026, 12, 20)
    director = api(people_["director"])
    assert director.get(url).json()["outcome"] == MASK
    assert director.patch(url, {"outcome": "x", "version": 2}, format="json").status_code == 403
    event = AccessEvent.objects.get(action="legal_case.hearing_change")
    assert "Sita" not in str(event.details)


def test_a_closed_legal_case_takes_no_hearings(bhw, people_):
    closed = new_case(bhw, people_["lo"], n=7, stage="closed")
    response = api(people_["lo"]).post(
        hearings_url(closed), {"held_on": "2026-12-10", "purpose": "Bail"}, format="json"
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "illegal_transition"
    assert not Hearing.objects.exists()


def test_a_court_case_of_another_legal_case_is_refused(bhw, legal_case, people_):
    other = new_case(bhw, people_["lo"], n=2)
    response = api(people_["lo"]).post(
        hearings_url(other),
        {"held_on": "2026-12-10", "purpose": "Bail", "court_case": legal_case.court_case.pk},
        format="json",
    )
    assert response.status_code == 400 and "court_case" in str(response.json())


def test_the_hearing_pages_add_and_edit(legal_case, people_):
    client = page(people_["lo"])
    new = reverse("prosecution:hearing-new", args=[legal_case.pk])
    assert client.get(new).status_code == 200
    response = client.post(
        new, {"held_on": "2026-12-10", "purpose": "Bail", "court_case": legal_case.court_case.pk}
    )
    assert response.status_code == 302, response.content
    hearing = Hearing.objects.get()
    edit = reverse("prosecution:hearing-edit", args=[legal_case.pk, hearing.pk])
    response = client.post(
        edit,
        {"held_on": "2026-12-10", "purpose": "Bail", "outcome": "Bail refused", "version": 1},
    )
    assert response.status_code == 302
    hearing.refresh_from_db()
    assert hearing.outcome == "Bail refused"
    for who in ("director", "monitor", "other_lo"):
        assert page(people_[who]).get(edit).status_code == 404


def test_upcoming_hearings_by_week_in_ones_scope(
    bhw, brg, people_, legal_case, django_assert_max_num_queries
):
    today = timezone.localdate()
    other_case = new_case(brg, people_["other_lo"], n=1)
    for days in (0, 1, 9, 20):
        Hearing.objects.create(
            legal_case=legal_case,
            court_case=legal_case.court_case,
            court=legal_case.court_case.court,
            held_on=today + timedelta(days=days),
            purpose=f"Purpose {days}",
            created_by=people_["lo"],
        )
    Hearing.objects.create(
        legal_case=legal_case, held_on=today - timedelta(days=1), purpose="Past", created_by=people_["lo"]
    )
    Hearing.objects.create(
        legal_case=other_case,
        held_on=today + timedelta(days=2),
        purpose="Elsewhere",
        created_by=people_["lo"],
    )
    client = page(people_["lo"])
    url = reverse("prosecution:hearings")
    client.get(url)  # warm the session and the access profile
    with django_assert_max_num_queries(12):
        response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Purpose 0" in html and "Purpose 20" in html and "Past" not in html and "Elsewhere" not in html
    assert html.index("Purpose 0") < html.index("Purpose 9") < html.index("Purpose 20")
    weeks = {
        (today + timedelta(days=d) - timedelta(days=(today + timedelta(days=d)).weekday()))
        for d in (0, 1, 9, 20)
    }
    assert html.count('class="card week"') == len(weeks)
    event = AccessEvent.objects.filter(action="legal_case.hearings", actor=people_["lo"]).last()
    assert event.details["ids"] == [legal_case.pk]
    # the number of rows does not change the number of queries
    for days in range(30, 40):
        Hearing.objects.create(
            legal_case=legal_case,
            held_on=today + timedelta(days=days),
            purpose="More",
            created_by=people_["lo"],
        )
    with django_assert_max_num_queries(12):
        client.get(url)
    # the API: the same scope
    rows = api(people_["other_lo"]).get(reverse("api:hearings")).json()["results"]
    assert [r["purpose"] for r in rows] == ["Elsewhere"] and rows[0]["legal_case_number"] == other_case.number
    assert api(people_["monitor"]).get(reverse("api:hearings")).json()["results"] == []
    assert api(people_["lo"]).get(reverse("api:hearings"), {"since": "x"}).status_code == 400


# --- comments ---------------------------------------------------------------------------------------------


def comments_url(legal_case):
    return reverse("api:legal-case-comments", kwargs={"pk": legal_case.pk})


def test_comments_are_deleted_softly_and_audited_without_their_text(legal_case, people_):
    client = api(people_["lo"])
    response = client.post(comments_url(legal_case), {"text": "Ram's lawyer asked for time."}, format="json")
    assert response.status_code == 201, response.content
    cid = response.json()["id"]
    url = reverse("api:legal-case-comment", kwargs={"pk": legal_case.pk, "comment_pk": cid})
    # a colleague who is not its author may not delete it, unless they may delete at the station
    assert api(people_["director"]).delete(url).status_code == 403
    assert api(people_["manager"]).delete(url).status_code == 403
    assert api(people_["director"]).get(url).json()["text"] == MASK
    assert client.delete(url).status_code == 204
    assert client.delete(url).status_code == 409
    comment = Comment.objects.get(pk=cid)
    assert comment.deleted_by == people_["lo"] and comment.text == "Ram's lawyer asked for time."
    body = client.get(url).json()
    assert body["deleted"] is True and body["text"] == "" and body["deleted_by"] == "lo_bhw"
    events = AccessEvent.objects.filter(action__in=["legal_case.comment", "legal_case.comment_delete"])
    assert events.count() == 2 and all("lawyer" not in str(e.details) for e in events)


def test_the_page_shows_who_deleted_a_comment_and_not_its_text(legal_case, people_):
    comment, _ = comment_add(actor=people_["lo"], legal_case=legal_case, text="Secret strategy")
    kept, _ = comment_add(actor=people_["lo"], legal_case=legal_case, text="Visible note")
    delete = reverse("prosecution:comment-delete", args=[legal_case.pk, comment.pk])
    # not its author: only a legal officer (who may delete at the station), not the manager nor the director
    assert page(people_["manager"]).get(delete).status_code == 404
    assert page(people_["director"]).get(delete).status_code == 404
    colleague = page(people_["lo2"])
    assert colleague.get(delete).status_code == 200
    assert colleague.post(delete).status_code == 302
    assert colleague.post(delete).status_code == 302  # again: a message, nothing changes
    html = page(people_["lo"]).get(reverse("prosecution:detail", args=[legal_case.pk])).content.decode()
    assert 'id="comments"' in html  # the legal case page includes the comments
    assert "Secret strategy" not in html and "Visible note" in html
    assert f"Comment deleted by lo2_bhw on {timezone.localdate().isoformat()}" in html
    # the partial itself
    from django.template.loader import render_to_string

    from prosecution import selectors

    legal_case.can_see_sensitive = True
    text = render_to_string(
        "prosecution/_comments.html",
        {
            "legal_case": legal_case,
            "rights": {"change": True, "delete": False},
            "comments": list(selectors.comments_of(legal_case)),
            "user": people_["lo"],
        },
    )
    assert "Secret strategy" not in text and "Visible note" in text
    assert f"Comment deleted by lo2_bhw on {timezone.localdate().isoformat()}" in text
    assert kept.pk and Comment.objects.filter(deleted_at__isnull=False).count() == 1


def test_outsiders_get_404(legal_case, people_):
    for who in ("monitor", "other_lo"):
        assert api(people_[who]).get(hearings_url(legal_case)).status_code == 404
        assert api(people_[who]).get(comments_url(legal_case)).status_code == 404
        assert (
            page(people_[who]).get(reverse("prosecution:hearing-new", args=[legal_case.pk])).status_code
            == 404
        )
