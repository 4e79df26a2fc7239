"""Person search, the identity page and API, the person filter of the interception list (docs/people.md)."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from audit.models import AccessEvent
from interception.services import interception_share
from people.models import Identity, Person
from people.selectors import query_digest

from .factories import login, make_interception, member, person

pytestmark = pytest.mark.django_db

NOBODY = "Kumari Thapaliya"  # a name recorded nowhere


def appearance(interception):
    return interception.interceptees.select_related("person").first().person


@pytest.fixture
def records(monitor, bhw):
    """Two records at BHW: the victim in Devanagari on one, in a Latin spelling on the other."""
    devanagari = make_interception(monitor, bhw, people=[person("सीता तामाङ", gender="female", age=17)])
    latin = make_interception(
        monitor, bhw, people=[person("Seeta Tamaang", gender="female", age=18, phone="+9779800000001")]
    )
    return {"devanagari": devanagari, "latin": latin}


def page(user, url, **params):
    return login(Client(), user).get(url, params)


def api(user, url, **params):
    return login(APIClient(), user).get(url, params)


def test_devanagari_and_romanised_spellings_find_each_other_on_the_page_and_in_the_api(monitor, records):
    dev, latin = appearance(records["devanagari"]), appearance(records["latin"])
    found = page(monitor, reverse("people:search"), q="Sita Tamang")
    assert found.status_code == 200
    text = found.content.decode()
    assert "सीता तामाङ" in text and "Seeta Tamaang" in text
    assert reverse("people:identity", args=[dev.identity_id]) in text

    body = api(monitor, reverse("api:people"), q="सीता तामाङ").json()
    ids = [r["id"] for r in body["results"]]
    assert {dev.identity_id, latin.identity_id} <= set(ids)
    assert body["count"] == len(body["results"])
    row = next(r for r in body["results"] if r["id"] == latin.identity_id)
    assert row["names"] == ["Seeta Tamaang"] and row["appearances"] == 1 and row["last_station"] == "BHW"


def test_a_phone_in_another_format_finds_the_person(monitor, records):
    latin = appearance(records["latin"])
    for typed in ("9800000001", "+977 980-0000001", "980 000 0001"):
        body = api(monitor, reverse("api:people"), q=typed).json()
        assert [r["id"] for r in body["results"]] == [latin.identity_id], typed


def test_another_stations_user_finds_nothing_and_cannot_tell_the_person_exists(other_monitor, records):
    latin = appearance(records["latin"])
    hidden = api(other_monitor, reverse("api:people"), q="Seeta Tamaang")
    nowhere = api(other_monitor, reverse("api:people"), q=NOBODY)
    assert hidden.status_code == nowhere.status_code == 200
    assert hidden.json() == nowhere.json() == {"count": 0, "results": []}
    by_phone = api(other_monitor, reverse("api:people"), q="9800000001")
    assert by_phone.json() == {"count": 0, "results": []}

    hidden_page = page(other_monitor, reverse("people:search"), q="Seeta Tamaang").content.decode()
    assert "No one found." in hidden_page and "Seeta" not in hidden_page.split('id="search-results"')[1]

    missing = Identity.objects.order_by("-pk").first().pk + 1000
    assert page(other_monitor, reverse("people:identity", args=[latin.identity_id])).status_code == 404
    assert page(other_monitor, reverse("people:identity", args=[missing])).status_code == 404
    existing = api(other_monitor, reverse("api:person", args=[latin.identity_id]))
    absent = api(other_monitor, reverse("api:person", args=[missing]))
    assert existing.status_code == absent.status_code == 404
    assert existing.json() == absent.json()
    assert page(other_monitor, "/people/99999999999999999999/").status_code == 404
    # the attempt on a person who exists is logged as denied; nothing names their records
    denied = AccessEvent.objects.filter(actor=other_monitor, action="access.denied", object_type="identity")
    assert denied.filter(object_id=str(latin.identity_id)).exists()
    assert not AccessEvent.objects.filter(
        actor=other_monitor, details__interceptions__contains=[latin.record_id]
    )


def test_a_user_who_may_not_read_names_may_not_search(bhw, records):
    director = member(Role.COUNTRY_DIRECTOR, country=bhw.country, username="director")
    latin = appearance(records["latin"])
    assert page(director, reverse("people:search"), q="Seeta").status_code == 404
    refused = api(director, reverse("api:people"), q="Seeta")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "You may not search people: it needs access to names."
    assert page(director, reverse("people:identity", args=[latin.identity_id])).status_code == 404
    assert api(director, reverse("api:person", args=[latin.identity_id])).status_code == 404
    assert "People</a>" not in page(director, reverse("interception:list")).content.decode()


def test_a_record_shared_without_view_sensitive_shows_the_person_masked(manager, other_monitor, records):
    latin = appearance(records["latin"])
    interception_share(actor=manager, interception=records["latin"], level="view", user=other_monitor)
    # the name is hidden from them: searching it finds nothing
    assert api(other_monitor, reverse("api:people"), q="Seeta Tamaang").json()["count"] == 0
    shown = page(other_monitor, reverse("people:identity", args=[latin.identity_id]))
    assert shown.status_code == 200
    text = shown.content.decode()
    assert "[restricted]" in text and "Seeta" not in text and "980" not in text
    assert records["latin"].number in text  # the record they may see
    body = api(other_monitor, reverse("api:person", args=[latin.identity_id])).json()
    assert body["names"] == ["[restricted]"] and body["phones"] == []
    assert body["appearances"][0]["name"] == "[restricted]"
    assert body["appearances"][0]["phone"] == "[restricted]"
    assert body["appearances"][0]["age"] == 18  # not sensitive


def test_the_search_is_logged_with_hits_and_a_keyed_hash_never_the_query(monitor, records):
    api(monitor, reverse("api:people"), q="  Seeta TAMAANG ")
    event = AccessEvent.objects.filter(actor=monitor, action="person.search").latest("id")
    assert event.details["hits"] >= 1
    assert event.details["query_hash"] == query_digest("seeta tamaang")
    assert len(event.details["query_hash"]) == 64
    assert records["latin"].pk in event.details["interceptions"]
    assert "seeta" not in json.dumps(event.details, ensure_ascii=False).casefold()
    assert "tamaang" not in json.dumps(event.details, ensure_ascii=False).casefold()
    # a search that finds nothing is logged too
    api(monitor, reverse("api:people"), q=NOBODY)
    empty = AccessEvent.objects.filter(actor=monitor, action="person.search").latest("id")
    assert empty.details["hits"] == 0 and empty.details["interceptions"] == []


def test_the_identity_page_lists_only_the_appearances_the_user_may_see(monitor, other_monitor, brg, records):
    victim = appearance(records["latin"])
    elsewhere = make_interception(
        other_monitor, brg, people=[person("Gita Rai", gender="female", age=25, phone="+9779811111111")]
    )
    # merged into the same identity (as a confirmed match would)
    Person.objects.filter(pk=appearance(elsewhere).pk).update(identity=victim.identity)

    shown = page(monitor, reverse("people:identity", args=[victim.identity_id]))
    text = shown.content.decode()
    assert "Seeta Tamaang" in text and records["latin"].number in text
    assert "Gita Rai" not in text and elsewhere.number not in text and "981" not in text
    assert "1 appearance" in text
    body = api(monitor, reverse("api:person", args=[victim.identity_id])).json()
    assert [a["id"] for a in body["appearances"]] == [victim.pk]
    assert body["names"] == ["Seeta Tamaang"] and body["phones"] == ["+9779800000001"]
    assert body["birth_year"] == victim.recorded_on.year - 18
    assert body["appearances"][0]["record_number"] == records["latin"].number
    assert body["appearances"][0]["role"] == "potential_victim"
    event = AccessEvent.objects.filter(actor=monitor, action="person.view").latest("id")
    assert event.details["interceptions"] == [records["latin"].pk] and event.details["appearances"] == 1
    # the search counts the visible appearances only
    results = api(monitor, reverse("api:people"), q="Seeta Tamaang").json()["results"]
    row = next(r for r in results if r["id"] == victim.identity_id)
    assert row["appearances"] == 1 and row["names"] == ["Seeta Tamaang"]
    # the other station's user sees their own appearance only
    theirs = api(other_monitor, reverse("api:person", args=[victim.identity_id])).json()
    assert theirs["names"] == ["Gita Rai"] and len(theirs["appearances"]) == 1


def test_a_merged_away_identity_leads_to_the_survivor(monitor, records):
    survivor, merged = appearance(records["latin"]), appearance(records["devanagari"])
    old = merged.identity_id
    Person.objects.filter(pk=merged.pk).update(identity=survivor.identity)
    Identity.objects.filter(pk=old).update(merged_into=survivor.identity)
    moved = page(monitor, reverse("people:identity", args=[old]))
    assert moved.status_code == 302 and moved["Location"] == reverse(
        "people:identity", args=[survivor.identity_id]
    )
    assert api(monitor, reverse("api:person", args=[old])).status_code == 404


def test_a_query_shorter_than_two_characters_is_refused(monitor, records):
    shown = page(monitor, reverse("people:search"), q="S").content.decode()
    assert "Type at least 2 characters of a name or phone." in shown
    refused = api(monitor, reverse("api:people"), q=" S ")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["q"] == ["Type at least 2 characters of a name or phone."]
    assert not AccessEvent.objects.filter(action="person.search").exists()


def test_search_and_identity_query_counts_do_not_grow_with_results(
    monitor, bhw, records, django_assert_max_num_queries
):
    for i in range(6):
        make_interception(monitor, bhw, people=[person(f"Sita Tamang {'ab'[i % 2]}", age=20 + i)])
    client, api_client = login(Client(), monitor), login(APIClient(), monitor)
    # session, user, MFA device, access profile, the nav (2); `find` (people/search.py: up to 7 with its
    # threshold settings); the visible appearances of every hit (1); the read logged (5 with savepoints)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("people:search"), {"q": "Sita Tamang"})
    assert response.content.decode().count('href="/people/') >= 7
    with django_assert_max_num_queries(18):
        body = api_client.get(reverse("api:people"), {"q": "Sita Tamang"}).json()
    assert body["count"] >= 7
    victim = appearance(records["latin"])
    # the visible appearances (1), their records' labels (1), the read logged
    with django_assert_max_num_queries(13):
        assert client.get(reverse("people:identity", args=[victim.identity_id])).status_code == 200
    with django_assert_max_num_queries(11):
        assert api_client.get(reverse("api:person", args=[victim.identity_id])).status_code == 200


def test_the_interception_list_filters_by_person_and_logs_a_hash(
    monitor, bhw, records, django_assert_max_num_queries
):
    other = make_interception(monitor, bhw, people=[person("Ram Bahadur")])
    client = login(Client(), monitor)
    client.get(reverse("interception:list"))  # the station picker's choices, cached
    # the list's own queries, plus `find` (up to 7 with its threshold settings)
    with django_assert_max_num_queries(26):
        listed = client.get(reverse("interception:list"), {"person": "Sita Tamang"}).content.decode()
    assert records["devanagari"].number in listed and records["latin"].number in listed
    assert other.number not in listed
    assert "Person (name or phone)" in listed
    event = AccessEvent.objects.filter(actor=monitor, action="interception.list").latest("id")
    assert event.details["filters"] == {"person_query_hash": query_digest("Sita Tamang")}
    assert "sita" not in json.dumps(event.details).casefold()

    rows = api(monitor, reverse("api:interception-list"), person="सीता तामाङ").json()["results"]
    assert {r["id"] for r in rows} == {records["devanagari"].pk, records["latin"].pk}
    by_phone = api(monitor, reverse("api:interception-list"), person="980-0000001").json()["results"]
    assert [r["id"] for r in by_phone] == [records["latin"].pk]


def test_the_person_filter_is_for_those_who_may_search(bhw, other_monitor, records):
    director = member(Role.COUNTRY_DIRECTOR, country=bhw.country, username="director")
    listed = page(director, reverse("interception:list")).content.decode()
    assert "Person (name or phone)" not in listed
    refused = api(director, reverse("api:interception-list"), person="Sita Tamang")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["person"] == [
        "You may not search people: it needs access to names."
    ]
    # another station's user: the filter finds none of the records they cannot see
    rows = api(other_monitor, reverse("api:interception-list"), person="Seeta Tamaang").json()["results"]
    assert rows == []
