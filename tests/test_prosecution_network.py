"""Legal cases in the network of people: each defendant of a legal case is linked to each of its victims,
citing the legal case (docs/people.md "Network", prosecution/people_links.py)."""

from datetime import date

import pytest

from accounts.roles import Role
from cases.models import VictimCase
from people.models import Person
from prosecution import models as pm

from .factories import make_interception, member, person

pytestmark = pytest.mark.django_db

API = "/api/v1/people/{}/network/"


@pytest.fixture
def legal_officer(bhw):
    return member(Role.LEGAL_OFFICER, station=bhw, username="lo_bhw")


def defendant(legal_case, picked, officer, name):
    """The suspect's appearance on the legal case (an appearance of the picked person's identity)."""
    here = Person.objects.create(
        identity=picked.identity,
        source="legal_case",
        record_id=legal_case.pk,
        station=legal_case.station,
        full_name=name,
        gender="male",
        created_by=officer,
        recorded_on=date.today(),
    )
    return pm.Suspect.objects.create(
        legal_case=legal_case, person=here, picked_from=picked, created_by=officer
    )


@pytest.fixture
def prosecuted(monitor, bhw, legal_officer, catalogue):
    """A legal case from an interception with two potential victims and two suspects: both suspects are
    defendants, both victims' case files are in the legal case."""
    interception = make_interception(
        monitor,
        bhw,
        people=[
            person("Sita Tamang", gender="female", age=17),
            person("Gita Rai", gender="female", age=19),
            person("Ram Dalal", role="suspect"),
            person("Shyam Dalal", role="suspect"),
        ],
    )
    legal_case = pm.LegalCase.objects.create(
        number="BHW-L-2026-00001", station=bhw, opened_on=date.today(), created_by=legal_officer
    )
    legal_case.interceptions.add(interception)
    suspects = {}
    for name in ("Ram Dalal", "Shyam Dalal"):
        picked = interception.interceptees.get(person__full_name=name).person
        suspects[name] = defendant(legal_case, picked, legal_officer, name)
    cases = {c.person.full_name: c for c in VictimCase.objects.select_related("person")}
    for case in cases.values():
        pm.LegalCaseVictim.objects.create(legal_case=legal_case, victim_case=case, created_by=legal_officer)
    return legal_case, suspects, cases


def legal_edges(body):
    return [e for e in body["edges"] if e["record_type"] == "legal_case"]


def test_each_defendant_is_linked_to_each_victim_of_the_legal_case(legal_officer, prosecuted, api):
    legal_case, suspects, cases = prosecuted
    ram = suspects["Ram Dalal"].person.identity_id
    response = api(legal_officer).get(API.format(ram), {"depth": 1})
    assert response.status_code == 200, response.json()
    body = response.json()
    edges = [e for e in legal_edges(body) if ram in (e["source"], e["target"])]
    victims = {cases["Sita Tamang"].person.identity_id, cases["Gita Rai"].person.identity_id}
    assert {frozenset((e["source"], e["target"])) for e in edges} == {frozenset((ram, v)) for v in victims}
    edge = edges[0]
    assert (edge["record_id"], edge["record_number"]) == (legal_case.pk, "BHW-L-2026-00001")
    assert edge["record_url"] == f"/legal-cases/{legal_case.pk}/"
    assert edge["kind"] == "suspect_with_victim"
    nodes = {n["id"]: n for n in body["nodes"]}
    assert "Defendant (legal case)" in nodes[ram]["roles"]
    # from a victim's side: both defendants
    sita = cases["Sita Tamang"].person.identity_id
    edges = legal_edges(api(legal_officer).get(API.format(sita), {"depth": 1}).json())
    edges = [e for e in edges if sita in (e["source"], e["target"])]
    shyam = suspects["Shyam Dalal"].person.identity_id
    assert {e["source"] for e in edges} | {e["target"] for e in edges} == {sita, ram, shyam}
    assert len(edges) == 2
    # never a link between two defendants or two victims of the legal case
    for e in legal_edges(api(legal_officer).get(API.format(sita), {"depth": 2}).json()):
        assert len({e["source"], e["target"]} & victims) == 1


def test_no_link_without_victims_in_the_legal_case(legal_officer, prosecuted, api):
    legal_case, suspects, _ = prosecuted
    pm.LegalCaseVictim.objects.filter(legal_case=legal_case).delete()
    body = api(legal_officer).get(API.format(suspects["Ram Dalal"].person.identity_id)).json()
    assert legal_edges(body) == []


def test_a_monitor_and_a_case_manager_see_no_legal_case_link(monitor, bhw, prosecuted, api):
    """The monitor sees the people of her interception (its own links), never the legal case's; the case
    manager sees the victims' case files, not the legal case."""
    _, suspects, cases = prosecuted
    case_manager = member(Role.CASE_MANAGER, station=bhw, username="cm_bhw")
    sita = cases["Sita Tamang"].person.identity_id
    for user in (monitor, case_manager):
        response = api(user).get(API.format(sita), {"depth": 3})
        assert response.status_code == 200
        body = response.json()
        assert legal_edges(body) == []
        assert "BHW-L-2026" not in response.content.decode()


def test_another_station_sees_nothing(brg, prosecuted, api):
    other = member(Role.LEGAL_OFFICER, station=brg, username="lo_brg")
    _, suspects, cases = prosecuted
    assert api(other).get(API.format(suspects["Ram Dalal"].person.identity_id)).status_code == 404
    assert api(other).get(API.format(cases["Sita Tamang"].person.identity_id)).status_code == 404


def test_a_director_sees_the_link_masked(nepal, prosecuted, api):
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    legal_case, suspects, cases = prosecuted
    ram = suspects["Ram Dalal"].person.identity_id
    response = api(director).get(API.format(ram), {"depth": 1})
    body = response.json()
    assert {e["record_id"] for e in legal_edges(body)} == {legal_case.pk}
    assert "Sita Tamang" not in response.content.decode()
    assert "Ram Dalal" not in response.content.decode()
