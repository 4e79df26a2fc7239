"""The network of people (people/network.py): links citing their records, scoped and masked."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from accounts.roles import Role
from audit.models import AccessEvent
from people import network as net
from people.masking import MASK
from people.models import LinkKind, Person
from people.services import person_link_create

from .factories import login, make_interception, member, person
from .test_browser import browser, log_in, page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def appearance(interception, name) -> Person:
    return interception.interceptees.get(person__full_name=name).person


@pytest.fixture
def world(bhw, brg, nepal):
    """BHW: Sita and Gita (victims) with Ram (suspect); Hari alone. BRG: Ram again (his appearance joined to
    the same identity, as after a merge) with Maya; Lila alone."""
    monitor_bhw = member(Role.MONITOR, station=bhw, username="mon_bhw")
    monitor_brg = member(Role.MONITOR, station=brg, username="mon_brg")
    one = make_interception(
        monitor_bhw,
        bhw,
        people=[person("Sita Tamang"), person("Gita Rai"), person("Ram Thapa", role="suspect")],
    )
    two = make_interception(monitor_brg, brg, people=[person("Ram T.", role="suspect"), person("Maya Lama")])
    hari = make_interception(monitor_bhw, bhw, people=[person("Hari Magar")])
    lila = make_interception(monitor_brg, brg, people=[person("Lila Gurung")])
    ram = appearance(one, "Ram Thapa")
    Person.objects.filter(pk=appearance(two, "Ram T.").pk).update(identity=ram.identity)
    both = member(Role.STATION_MANAGER, station=bhw, username="mgr_both")
    Membership.objects.create(user=both, role=Role.STATION_MANAGER, station=brg)
    return {
        "one": one,
        "two": two,
        "hari": hari,
        "lila": lila,
        "sita": appearance(one, "Sita Tamang"),
        "gita": appearance(one, "Gita Rai"),
        "ram": ram,
        "maya": appearance(two, "Maya Lama"),
        "manager": member(Role.STATION_MANAGER, station=bhw, username="mgr_bhw"),
        "both": both,
        "director": member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np"),
        "monitor_bhw": monitor_bhw,
        "monitor_brg": monitor_brg,
    }


def ids(data) -> dict[int, int]:
    return {n["id"]: n["hops"] for n in data["nodes"]}


def test_a_station_manager_sees_the_people_of_their_records_only(world):
    w = world
    data = net.network(w["manager"], w["sita"].identity_id, depth=3)
    assert ids(data) == {w["sita"].identity_id: 0, w["gita"].identity_id: 1, w["ram"].identity_id: 1}
    # Ram's appearance at BRG (with Maya) is not theirs to see: no node, no edge, not his name there
    assert w["maya"].identity_id not in ids(data)
    assert {e["record_id"] for e in data["edges"]} == {w["one"].pk}
    ram = next(n for n in data["nodes"] if n["id"] == w["ram"].identity_id)
    assert ram["names"] == ["Ram Thapa"]
    assert ram["roles"] == ["Suspect"]
    kinds = {frozenset((e["source"], e["target"])): e["kind"] for e in data["edges"]}
    assert kinds[frozenset((w["sita"].identity_id, w["gita"].identity_id))] == LinkKind.TRAVELLED_TOGETHER
    assert kinds[frozenset((w["sita"].identity_id, w["ram"].identity_id))] == LinkKind.SUSPECT_WITH_VICTIM
    assert all(e["record_number"] == w["one"].number for e in data["edges"])


def test_another_stations_user_gets_404_and_never_a_node_from_a_record_they_cannot_see(world):
    from django.http import Http404

    w = world
    with pytest.raises(Http404):
        net.network(w["monitor_brg"], w["sita"].identity_id)
    data = net.network(w["monitor_brg"], w["maya"].identity_id, depth=3)
    assert ids(data) == {w["maya"].identity_id: 0, w["ram"].identity_id: 1}
    ram = next(n for n in data["nodes"] if n["id"] == w["ram"].identity_id)
    assert ram["names"] == ["Ram T."]  # not the name recorded at BHW
    assert {e["record_id"] for e in data["edges"]} == {w["two"].pk}


def test_depth_and_masked_names_for_a_country_director(world):
    w = world
    one_hop = net.network(w["director"], w["sita"].identity_id, depth=1)
    assert set(ids(one_hop).values()) == {0, 1}
    assert w["maya"].identity_id not in ids(one_hop)
    two_hops = net.network(w["director"], w["sita"].identity_id, depth=2)
    assert ids(two_hops)[w["maya"].identity_id] == 2
    assert {e["record_id"] for e in two_hops["edges"]} == {w["one"].pk, w["two"].pk}
    assert all(n["names"] == [MASK] for n in two_hops["nodes"])
    assert "Sita" not in str(two_hops)
    event = AccessEvent.objects.filter(action="person.network", actor=w["director"]).latest("id")
    assert event.details["interceptions"] == sorted([w["one"].pk, w["two"].pk])
    assert event.object_id == str(w["sita"].identity_id)


def test_a_manual_link_is_seen_only_by_those_who_see_both_records(world):
    w = world
    sita, lila = w["sita"], appearance(w["lila"], "Lila Gurung")
    link = person_link_create(
        actor=w["both"], from_person=sita, to_person=lila, reason="Same village, same agent"
    )
    assert AccessEvent.objects.filter(action="person.link", object_id=str(link.pk)).exists()
    mine = net.network(w["both"], sita.identity_id, depth=1)
    manual = [e for e in mine["edges"] if e["kind"] == LinkKind.MANUAL]
    assert len(manual) == 1 and manual[0]["reason"] == "Same village, same agent"
    assert lila.identity_id in ids(mine)
    # the BHW manager does not see Lila's record, the BRG monitor not Sita's: neither sees the link
    assert lila.identity_id not in ids(net.network(w["manager"], sita.identity_id, depth=3))
    assert sita.identity_id not in ids(net.network(w["monitor_brg"], lila.identity_id, depth=3))
    # the director sees both records (not the names): the link, its reason masked
    theirs = net.network(w["director"], sita.identity_id, depth=1)
    assert [e["reason"] for e in theirs["edges"] if e["kind"] == LinkKind.MANUAL] == [MASK]


def test_the_link_service_refuses_what_it_must(world):
    w = world
    sita, hari = w["sita"], appearance(w["hari"], "Hari Magar")
    with pytest.raises(PermissionDenied):
        person_link_create(actor=w["monitor_bhw"], from_person=sita, to_person=hari, reason="x")
    with pytest.raises(ValidationError) as error:
        person_link_create(actor=w["manager"], from_person=sita, to_person=hari, reason="  ")
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:  # may link, but sees no names
        person_link_create(actor=w["director"], from_person=sita, to_person=hari, reason="x")
    assert "other" in error.value.message_dict
    person_link_create(actor=w["manager"], from_person=sita, to_person=hari, reason="Cousins")
    with pytest.raises(ValidationError) as error:
        person_link_create(actor=w["manager"], from_person=hari, to_person=sita, reason="Again")
    assert error.value.message_dict["other"] == ["These two people are already linked."]


def test_network_api_shape_depth_errors_and_query_count(world, api, django_assert_max_num_queries):
    w = world
    client = api(w["director"])
    url = reverse("api:person-network", kwargs={"pk": w["sita"].identity_id})
    # token, access profile, the root's check, 4 link sources (interceptions, case files, legal cases, by
    # hand) x 3 passes (depth 2 + the farthest links), the names, the access-log event (5 with its lock and
    # chain): whatever the number of people
    with django_assert_max_num_queries(21):
        response = client.get(url, {"depth": 2})
    assert response.status_code == 200
    body = response.json()
    assert {n["id"] for n in body["nodes"]} >= {w["sita"].identity_id, w["maya"].identity_id}
    assert set(body["nodes"][0]) >= {"id", "names", "hops"}
    assert set(body["edges"][0]) >= {"source", "target", "kind", "record_type", "record_id", "record_number"}
    bad = client.get(url, {"depth": 4})
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"].keys() == {"depth"}
    assert api(w["monitor_brg"]).get(url).status_code == 404


def test_link_api_creates_a_link_once(world, api):
    w = world
    hari = appearance(w["hari"], "Hari Magar")
    url = reverse("api:person-links", kwargs={"pk": w["sita"].identity_id})
    client = api(w["manager"])
    response = client.post(url, {"other": hari.identity_id, "reason": "Cousins"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["target"] == hari.identity_id
    again = client.post(url, {"other": hari.identity_id, "reason": "Cousins"}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["fields"]["other"] == ["These two people are already linked."]
    assert client.post(url, {"other": hari.identity_id}, format="json").status_code == 400
    assert api(w["monitor_bhw"]).post(url, {"other": 1, "reason": "x"}, format="json").status_code == 403
    # an identity the caller cannot see is not found
    lila = appearance(w["lila"], "Lila Gurung")
    url_lila = reverse("api:person-links", kwargs={"pk": lila.identity_id})
    assert client.post(url_lila, {"other": hari.identity_id, "reason": "x"}, format="json").status_code == 404
    edges = net.network(w["manager"], w["sita"].identity_id, depth=1)["edges"]
    assert any(e["kind"] == LinkKind.MANUAL and e["target"] == hari.identity_id for e in edges)


def test_the_page_has_the_graph_data_and_the_tables(world):
    w = world
    client = login(Client(), w["manager"])
    url = reverse("people:network", kwargs={"pk": w["sita"].identity_id})
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="network-data" type="application/json"' in html
    assert "js/network.js" in html and "cytoscape.min.js" in html
    assert "Gita Rai" in html and "Ram Thapa" in html and w["one"].number in html
    assert "Travelled together" in html and "Suspect with potential victim" in html
    assert 'action="' + reverse("people:link-create", kwargs={"pk": w["sita"].identity_id}) in html
    director = login(Client(), w["director"]).get(url, {"depth": 1}).content.decode()
    assert "Sita Tamang" not in director and "Gita Rai" not in director and MASK in director
    assert 'name="reason"' not in login(Client(), w["monitor_bhw"]).get(url).content.decode()
    assert login(Client(), w["monitor_brg"]).get(url).status_code == 404


def test_the_link_form_links_and_shows_errors(world):
    w = world
    hari = appearance(w["hari"], "Hari Magar")
    client = login(Client(), w["manager"])
    url = reverse("people:link-create", kwargs={"pk": w["sita"].identity_id})
    empty = client.post(url, {"other": hari.identity_id, "reason": ""})
    assert empty.status_code == 200 and "This field is required." in empty.content.decode()
    done = client.post(url, {"other": hari.identity_id, "reason": "Cousins"}, follow=True)
    assert "The two people are linked." in done.content.decode()
    assert "Hari Magar" in done.content.decode()
    assert login(Client(), w["monitor_bhw"]).post(url, {"other": 1, "reason": "x"}).status_code == 404


def test_links_among_the_farthest_people_and_the_node_cap(world):
    w = world
    one_hop = net.network(w["manager"], w["sita"].identity_id, depth=1)
    pairs = {frozenset((e["source"], e["target"])) for e in one_hop["edges"]}
    assert frozenset((w["gita"].identity_id, w["ram"].identity_id)) in pairs  # both one hop away
    capped = net.network(w["director"], w["sita"].identity_id, depth=2, max_nodes=2)
    assert capped["truncated"] and len(capped["nodes"]) == 2
    kept = {n["id"] for n in capped["nodes"]}
    assert all(e["source"] in kept and e["target"] in kept for e in capped["edges"])


def test_the_interception_source_is_one_query_per_hop(world, django_assert_num_queries):
    from interception.people_links import interception_links

    w = world
    # outside a request the reader's access profile is read each time (a request reads it once): + 1
    with django_assert_num_queries(2):
        edges = interception_links(w["manager"], {w["sita"].identity_id, w["ram"].identity_id})
    assert {(e["a"], e["b"]) for e in edges} >= {(w["sita"].identity_id, w["gita"].identity_id)}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_graph_is_drawn_in_a_browser(page, live_server, world):  # noqa: F811 (fixture)
    """cytoscape.js draws the network under the CSP (no inline script or style), at phone width."""
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    log_in(page, live_server.url, world["manager"])
    page.goto(f"{live_server.url}{reverse('people:network', kwargs={'pk': world['sita'].identity_id})}")
    page.wait_for_selector("#network-graph.network-graph-drawn canvas")
    assert page.locator("#network-graph").bounding_box()["height"] > 200
    assert page.locator("table.network-nodes tbody tr").count() == 3
    assert not problems, problems
