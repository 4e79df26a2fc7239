"""Case files in the network of people: the recruiter named in a victim interview is linked to the case's
person, "recruited by", citing the case (docs/people.md "Network", cases/people_links.py)."""

from datetime import date

import pytest

from accounts.roles import Role
from cases.models import Interview, VictimCase
from people import services as people_services
from people.models import Person

from .factories import make_interception, member, person

pytestmark = pytest.mark.django_db

API = "/api/v1/people/{}/network/"


@pytest.fixture
def case_manager(bhw):
    return member(Role.CASE_MANAGER, station=bhw, username="cm_bhw")


@pytest.fixture
def recruited(monitor, bhw, case_manager, catalogue):
    """A case opened by a submitted interception, whose interview names a recruiter (a new appearance on
    the case file, of a new identity)."""
    make_interception(monitor, bhw, people=[person("Sita Tamang", gender="female", age=17)])
    case = VictimCase.objects.select_related("person").get()
    recruiter = Person(
        full_name="Hari Broker",
        gender="male",
        source="case",
        record_id=case.pk,
        station=bhw,
        created_by=case_manager,
        recorded_on=date.today(),
    )
    people_services.new_identities([recruiter])
    recruiter.save()
    Interview.objects.create(
        case=case,
        conducted_on=date.today(),
        conducted_by=case_manager,
        created_by=case_manager,
        recruiter=recruiter,
    )
    return case, recruiter


def recruited_edges(result):
    return [e for e in result["edges"] if e["kind"] == "recruited_by"]


def test_the_network_shows_the_recruiter_to_a_case_manager(case_manager, recruited, api):
    case, recruiter = recruited
    response = api(case_manager).get(API.format(case.person.identity_id), {"depth": 1})
    assert response.status_code == 200, response.json()
    body = response.json()
    edges = recruited_edges(body)
    assert len(edges) == 1
    edge = edges[0]
    assert {edge["source"], edge["target"]} == {case.person.identity_id, recruiter.identity_id}
    assert (edge["record_type"], edge["record_id"], edge["record_number"]) == ("case", case.pk, case.number)
    assert edge["record_url"] == f"/cases/{case.pk}/" and edge["kind_label"] == "Recruited by"
    nodes = {n["id"]: n for n in body["nodes"]}
    assert nodes[recruiter.identity_id]["names"] == ["Hari Broker"]
    assert "Recruiter (victim interview)" in nodes[recruiter.identity_id]["roles"]
    # from the recruiter's side as well
    edges = recruited_edges(api(case_manager).get(API.format(recruiter.identity_id)).json())
    assert [e["record_id"] for e in edges] == [case.pk]


def test_the_network_hides_the_recruiter_from_a_monitor(monitor, recruited, api):
    case, recruiter = recruited
    # the monitor sees the victim (her appearance on the interception), never the case file's link
    response = api(monitor).get(API.format(case.person.identity_id), {"depth": 3})
    assert response.status_code == 200
    body = response.json()
    assert recruited_edges(body) == []
    assert recruiter.identity_id not in {n["id"] for n in body["nodes"]}
    assert "Hari" not in response.content.decode()
    # nor the recruiter himself
    assert api(monitor).get(API.format(recruiter.identity_id)).status_code == 404


def test_another_station_sees_no_link(brg, recruited, api):
    other = member(Role.CASE_MANAGER, station=brg, username="cm_brg")
    case, recruiter = recruited
    assert api(other).get(API.format(recruiter.identity_id)).status_code == 404
    assert api(other).get(API.format(case.person.identity_id)).status_code == 404


def test_a_director_sees_the_link_masked(nepal, recruited, api):
    """A director sees case files masked: the edge and its case, the recruiter's name "[restricted]"."""
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    case, recruiter = recruited
    body = api(director).get(API.format(case.person.identity_id)).json()
    assert [e["record_id"] for e in recruited_edges(body)] == [case.pk]
    nodes = {n["id"]: n for n in body["nodes"]}
    assert nodes[recruiter.identity_id]["names"] == ["[restricted]"]
