"""Match review (issue 10): the queue, confirm (merge), reject, unmerge, the suggestions for one identity and
under a name on the form; who may do each, and what each leaves in the history and the access log."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from audit.models import AccessEvent
from people import matching, services
from people.models import Identity, MatchStatus, MatchSuggestion, MergeRecord, Person

from .factories import login, make_interception, member, person

pytestmark = pytest.mark.django_db


def appearance(interception) -> Person:
    return interception.interceptees.select_related("person").get().person


@pytest.fixture
def pair(monitor, bhw):
    """Two records at BHW of one girl, spelt two ways, with the same phone in two formats."""
    first = make_interception(
        monitor, bhw, people=[person("Sita Tamang", gender="female", age=17, phone="+9779800000001")]
    )
    second = make_interception(
        monitor, bhw, people=[person("Seeta Tamaang", gender="female", age=17, phone="9800000001")]
    )
    return appearance(first), appearance(second)


@pytest.fixture
def suggestion(pair):
    low, high = sorted(p.identity_id for p in pair)
    return MatchSuggestion.objects.create(
        identity_id=low, candidate_id=high, score=0.93, reasons={"name": 0.9}
    )


@pytest.fixture
def brg_manager(brg):
    return member(Role.STATION_MANAGER, station=brg, username="mgr_brg")


def state(*people):
    """What a merge changes: every identity's fields and each appearance's identity."""
    identities = Identity.objects.order_by("pk").values_list("pk", "gender", "birth_year", "merged_into")
    return list(identities), {p.pk: Person.objects.get(pk=p.pk).identity_id for p in people}


# --- merge and unmerge ---------------------------------------------------------------------------------


def test_merge_then_unmerge_restores_the_exact_previous_state_with_history(api, manager, pair, suggestion):
    sita, seeta = pair
    before = state(sita, seeta)
    # what the merge moves: her appearances (on the interception, and on the case file it opened)
    moved = sorted(Person.objects.filter(identity_id=seeta.identity_id).values_list("pk", flat=True))
    assert len(moved) == 2
    client = api(manager)

    merged = client.post(
        f"/api/v1/people/{sita.identity_id}/merge/", {"other": seeta.identity_id}, format="json"
    )
    assert merged.status_code == 200, merged.content
    assert merged.json() == {"id": sita.identity_id, "merged": [seeta.identity_id]}
    assert set(Person.objects.filter(pk__in=[sita.pk, seeta.pk]).values_list("identity_id", flat=True)) == {
        sita.identity_id
    }
    assert Identity.objects.get(pk=seeta.identity_id).merged_into_id == sita.identity_id
    suggestion.refresh_from_db()
    assert suggestion.status == MatchStatus.CONFIRMED and suggestion.decided_by == manager

    unmerged = client.post(
        f"/api/v1/people/{sita.identity_id}/unmerge/", {"appearance": seeta.pk}, format="json"
    )
    assert unmerged.status_code == 200, unmerged.content
    assert unmerged.json() == {"id": sita.identity_id, "appearance": seeta.pk, "identity": seeta.identity_id}
    assert state(sita, seeta) == before
    # both decisions are kept, in order, with what moved
    history = list(MergeRecord.objects.values_list("kind", "identity_id", "other_id", "appearances"))
    assert history == [
        ("merge", sita.identity_id, seeta.identity_id, moved),
        ("unmerge", sita.identity_id, seeta.identity_id, moved),
    ]
    # the appearance's own change history shows both moves
    assert list(
        Person.history.filter(id=seeta.pk).order_by("history_id").values_list("identity_id", flat=True)
    )[-2:] == [sita.identity_id, seeta.identity_id]
    # the pair is remembered as rejected, so it is not suggested again
    suggestion.refresh_from_db()
    assert suggestion.status == MatchStatus.REJECTED
    events = AccessEvent.objects.filter(action__in=["person.merge", "person.unmerge"], actor=manager)
    assert [e.action for e in events.order_by("id")] == ["person.merge", "person.unmerge"]
    interception_ids = sorted([sita.record_id, seeta.record_id])
    assert all(e.details["interceptions"] == interception_ids for e in events)
    assert not any("Sita" in str(e.details) for e in events)


def test_unmerge_of_an_appearance_that_was_never_merged_splits_it_off(manager, pair):
    sita, seeta = pair
    services.identity_merge(actor=manager, identity=sita.identity, other=seeta.identity)
    record = services.identity_unmerge(
        actor=manager, identity=sita.identity, appearance=Person.objects.get(pk=sita.pk)
    )
    # Sita's own appearance came from no merge: it gets a new identity; Seeta's stays where it was merged
    assert (
        Person.objects.get(pk=sita.pk).identity_id
        == record.other_id
        not in (sita.identity_id, seeta.identity_id)
    )
    assert Person.objects.get(pk=seeta.pk).identity_id == sita.identity_id


def test_merging_twice_or_with_itself_is_refused_with_a_clear_message(manager, pair):
    sita, seeta = pair
    with pytest.raises(ValidationError, match="themselves"):
        services.identity_merge(actor=manager, identity=sita.identity, other=sita.identity)
    services.identity_merge(actor=manager, identity=sita.identity, other=seeta.identity)
    with pytest.raises(ValidationError, match="merged into another already"):
        services.identity_merge(
            actor=manager, identity=sita.identity, other=Identity.objects.get(pk=seeta.identity_id)
        )


# --- the review pages --------------------------------------------------------------------------------


def test_a_reviewer_confirms_from_the_queue_and_a_decided_pair_cannot_be_decided_again(
    client, manager, pair, suggestion
):
    sita, seeta = pair
    login(client, manager)
    queue = client.get(reverse("people:matches"))
    assert queue.status_code == 200
    html = queue.content.decode()
    assert "Sita Tamang" in html and "Seeta Tamaang" in html
    assert reverse("people:match", args=[suggestion.pk]) in html
    page = client.get(reverse("people:match", args=[suggestion.pk]))
    assert page.status_code == 200 and "Confirm: same person (merge)" in page.content.decode()

    done = client.post(
        reverse("people:match-confirm", args=[suggestion.pk]), {"reason": "same phone"}, follow=True
    )
    assert "now belong to one person" in done.content.decode()
    assert Person.objects.get(pk=seeta.pk).identity_id == sita.identity_id
    assert MergeRecord.objects.get().reason == "same phone"
    # the queue is empty now; deciding again says so and changes nothing
    assert "No suggestions wait for review." in client.get(reverse("people:matches")).content.decode()
    again = client.post(reverse("people:match-reject", args=[suggestion.pk]), follow=True)
    assert "already decided" in again.content.decode()
    suggestion.refresh_from_db()
    assert suggestion.status == MatchStatus.CONFIRMED


def test_the_unmerge_button_posts_back_to_the_identity(client, manager, monitor, pair):
    sita, seeta = pair
    services.identity_merge(actor=manager, identity=sita.identity, other=seeta.identity)
    login(client, manager)
    # the identity page shows a reviewer one Unmerge button per appearance; a monitor none
    page = client.get(reverse("people:identity", args=[sita.identity_id])).content.decode()
    appearances = Person.objects.filter(identity_id=sita.identity_id).count()  # interceptions and case files
    assert appearances == 4 and page.count('class="inline unmerge-form"') == appearances
    assert f'name="appearance" value="{seeta.pk}"' in page
    monitor_client = Client()
    login(monitor_client, monitor)
    seen = monitor_client.get(reverse("people:identity", args=[sita.identity_id])).content.decode()
    assert "Seeta Tamaang" in seen and "unmerge-form" not in seen
    response = client.post(reverse("people:unmerge", args=[sita.identity_id]), {"appearance": seeta.pk})
    assert response.status_code == 302
    assert Person.objects.get(pk=seeta.pk).identity_id == seeta.identity_id
    bad = client.post(reverse("people:unmerge", args=[sita.identity_id]), {"appearance": "x"}, follow=True)
    assert "Choose an appearance of this person to unmerge." in bad.content.decode()


def test_the_queue_reads_in_a_fixed_number_of_queries_and_logs_the_records_it_shows(
    client, api, manager, monitor, bhw, django_assert_max_num_queries
):
    records = []
    for i in range(6):
        a = appearance(make_interception(monitor, bhw, people=[person(f"Maya Gurung{'a' * i}", age=20)]))
        b = appearance(make_interception(monitor, bhw, people=[person(f"Maaya Gurung{'a' * i}", age=20)]))
        low, high = sorted([a.identity_id, b.identity_id])
        MatchSuggestion.objects.create(identity_id=low, candidate_id=high, score=0.7 + i / 100)
        records += [a.record_id, b.record_id]
    login(client, manager)
    client.get(reverse("interception:list"))  # warm the session and the caches
    with django_assert_max_num_queries(15):  # one per kind of record shown (interceptions, case files)
        response = client.get(reverse("people:matches"))
    html = response.content.decode()
    assert html.count(reverse("people:match", args=[0]).replace("/0/", "/")) >= 6
    assert html.index("Maya Gurungaaaaa") < html.index("Maya Gurung <")  # best first
    event = AccessEvent.objects.filter(action="person.match_list", actor=manager).get()
    assert event.details["interceptions"] == sorted(records)
    assert event.details["count"] == 6
    # the API's queue too
    c = api(manager)
    c.get("/api/v1/interceptions/")
    with django_assert_max_num_queries(15):  # one per kind of record shown (interceptions, case files)
        listed = c.get("/api/v1/matches/").json()
    assert listed["count"] == 6 and [r["score"] for r in listed["results"]][:2] == [0.75, 0.74]


# --- who may review ------------------------------------------------------------------------------------


def test_a_user_without_the_match_right_gets_404_on_pages_and_403_in_the_api(
    client, api, monitor, pair, suggestion
):
    sita, seeta = pair
    login(client, monitor)
    assert client.get(reverse("people:matches")).status_code == 404
    assert client.get(reverse("people:match", args=[suggestion.pk])).status_code == 404
    assert client.post(reverse("people:match-confirm", args=[suggestion.pk])).status_code == 404
    assert (
        client.post(reverse("people:unmerge", args=[sita.identity_id]), {"appearance": sita.pk}).status_code
        == 404
    )
    assert "people/matches/" not in client.get(reverse("interception:list")).content.decode()
    c = api(monitor)
    assert c.get("/api/v1/matches/").status_code == 403
    merge = c.post(f"/api/v1/people/{sita.identity_id}/merge/", {"other": seeta.identity_id}, format="json")
    assert merge.status_code == 403
    assert c.post(f"/api/v1/matches/{suggestion.pk}/reject/", {}, format="json").status_code == 403
    with pytest.raises(ValidationError):
        services.identity_merge(actor=monitor, identity=sita.identity, other=seeta.identity)
    assert Person.objects.get(pk=seeta.pk).identity_id == seeta.identity_id


def test_another_stations_reviewer_cannot_see_count_or_decide_the_pair(
    client, api, brg_manager, pair, suggestion
):
    sita, seeta = pair
    login(client, brg_manager)
    queue = client.get(reverse("people:matches"))
    assert queue.status_code == 200
    assert (
        "Sita" not in queue.content.decode() and "No suggestions wait for review." in queue.content.decode()
    )
    assert client.get(reverse("people:match", args=[suggestion.pk])).status_code == 404
    assert client.post(reverse("people:match-confirm", args=[suggestion.pk])).status_code == 404
    assert client.post(reverse("people:match-reject", args=[suggestion.pk])).status_code == 404
    c = api(brg_manager)
    assert c.get("/api/v1/matches/").json() == {"results": [], "count": 0}
    assert (
        c.post(
            f"/api/v1/people/{sita.identity_id}/merge/", {"other": seeta.identity_id}, format="json"
        ).status_code
        == 404
    )
    assert c.post(f"/api/v1/matches/{suggestion.pk}/reject/", {}, format="json").status_code == 404
    assert c.get(f"/api/v1/people/{sita.identity_id}/matches/").status_code == 404
    with pytest.raises(ValidationError, match="may see"):
        services.match_reject(actor=brg_manager, suggestion=suggestion)
    suggestion.refresh_from_db()
    assert suggestion.status == MatchStatus.PENDING


def test_a_pair_with_one_side_at_another_station_is_not_in_the_queue(
    client, manager, monitor, other_monitor, bhw, brg
):
    here = appearance(make_interception(monitor, bhw, people=[person("Gita Rai", age=19)]))
    there = appearance(make_interception(other_monitor, brg, people=[person("Geeta Rai", age=19)]))
    low, high = sorted([here.identity_id, there.identity_id])
    hidden = MatchSuggestion.objects.create(identity_id=low, candidate_id=high, score=0.99)
    login(client, manager)
    html = client.get(reverse("people:matches")).content.decode()
    assert "Geeta" not in html and "Gita" not in html
    assert client.get(reverse("people:match", args=[hidden.pk])).status_code == 404


# --- rejection is remembered --------------------------------------------------------------------------


def test_a_rejected_pair_is_not_suggested_again(api, manager, pair, django_assert_max_num_queries):
    sita, seeta = pair
    assert matching.store_suggestions(seeta.pk) >= 1
    row = MatchSuggestion.objects.get()
    assert row.status == MatchStatus.PENDING
    c = api(manager)
    c.get("/api/v1/interceptions/")
    with django_assert_max_num_queries(23):  # matching reads candidates in a few steps
        listed = c.get(f"/api/v1/people/{sita.identity_id}/matches/")
    assert listed.status_code == 200
    assert [m["id"] for m in listed.json()] == [seeta.identity_id]
    assert listed.json()[0]["names"] == ["Seeta Tamaang"] and listed.json()[0]["score"] > 0

    queue = c.get("/api/v1/matches/").json()
    assert queue["count"] == 1 and queue["results"][0]["candidate"]["names"] == ["Seeta Tamaang"]
    rejected = c.post(f"/api/v1/matches/{row.pk}/reject/", {"reason": "different fathers"}, format="json")
    assert rejected.status_code == 200 and rejected.json() == {"id": row.pk, "status": "rejected"}

    matching.store_suggestions(seeta.pk)
    matching.store_suggestions(sita.pk)
    assert list(MatchSuggestion.objects.values_list("status", flat=True)) == [MatchStatus.REJECTED]
    assert c.get(f"/api/v1/people/{sita.identity_id}/matches/").json() == []
    assert c.get("/api/v1/matches/").json()["count"] == 0
    again = c.post(f"/api/v1/matches/{row.pk}/reject/", {}, format="json")
    assert (
        again.status_code == 400
        and "already decided" in again.json()["error"]["fields"]["non_field_errors"][0]
    )


def test_bad_merge_input_gets_the_api_error_shape_and_changes_nothing(api, manager, pair):
    sita, _seeta = pair
    c = api(manager)
    response = c.post(f"/api/v1/people/{sita.identity_id}/merge/", {"other": "x"}, format="json")
    assert response.status_code == 400 and "other" in response.json()["error"]["fields"]
    itself = c.post(f"/api/v1/people/{sita.identity_id}/merge/", {"other": sita.identity_id}, format="json")
    assert itself.status_code == 400
    assert not MergeRecord.objects.exists()


# --- suggestions on the form ---------------------------------------------------------------------------


def test_the_form_suggests_earlier_appearances_the_monitor_may_see_and_logs_no_typed_name(
    client, monitor, other_monitor, bhw, brg
):
    mine = appearance(make_interception(monitor, bhw, people=[person("Sita Tamang", age=17)]))
    make_interception(other_monitor, brg, people=[person("Sita Tamang", age=17, phone="9811111111")])
    login(client, monitor)
    url = reverse("people:suggest")
    response = client.get(
        url, {"people-0-full_name": "Seeta Tamang", "people-0-age": "17", "station": bhw.pk}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("Sita Tamang") == 1  # the record at BHW, not the one at Birgunj
    assert "BHW" in html and "BRG" not in html
    event = AccessEvent.objects.get(action="person.suggest", actor=monitor)
    assert event.details["interceptions"] == [mine.record_id]
    assert "Seeta" not in str(event.details) and "Sita" not in str(event.details)
    # the record being edited (or its autosaved draft) does not suggest its own people
    same_record = {"people-0-full_name": "Seeta Tamang", "station": bhw.pk, "record": mine.record_id}
    assert "Sita Tamang" not in client.get(url, same_record).content.decode()
    # two letters suggest nothing
    assert client.get(url, {"people-0-full_name": "Si"}).content.decode().strip() == ""


def test_the_form_suggestions_are_for_those_who_record_interceptions(client, bhw):
    director = member(Role.COUNTRY_DIRECTOR, country=bhw.country, username="dir")
    login(client, director)
    assert client.get(reverse("people:suggest"), {"full_name": "Sita Tamang"}).status_code == 404


def test_the_form_carries_the_suggestion_hook(client, monitor, catalogue):
    login(client, monitor)
    html = client.get(reverse("interception:create")).content.decode()
    assert f'data-suggest-url="{reverse("people:suggest")}"' in html
    assert "data-person-suggest" in html and "js/people-suggest.js" in html and "htmx.min.js" in html
