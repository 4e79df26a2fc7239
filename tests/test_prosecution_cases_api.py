"""Legal cases in the API (docs/api.md "Prosecution")."""

from datetime import date

import pytest

from accounts.roles import Role
from audit.models import AccessEvent
from people.masking import MASK
from prosecution.models import LegalCase

from .factories import make_interception, member, person

pytestmark = pytest.mark.django_db
URL = "/api/v1/legal-cases/"


@pytest.fixture
def officer(bhw):
    return member(Role.LEGAL_OFFICER, station=bhw, username="lo_bhw")


@pytest.fixture
def interception(monitor, bhw):
    return make_interception(monitor, bhw, people=[person("Sita Tamang"), person("Ram", role="suspect")])


def open_body(interception, **extra):
    return {
        "station": "BHW",
        "interceptions": [interception.pk],
        "complaint_number": "FIR 9/2083",
        "complaint_filed_on": date.today().isoformat(),
        "police_station": "Bhairahawa police",
        **extra,
    }


def test_post_opens_a_filed_legal_case_once_per_key(api, officer, interception):
    client = api(officer)
    response = client.post(URL, open_body(interception), format="json", HTTP_IDEMPOTENCY_KEY="a1")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"].startswith("BHW-L-") and data["stage"] == data["status"] == "complaint_filed"
    assert (
        data["version"] == 1 and data["interceptions"] == [interception.pk] and len(data["victim_cases"]) == 1
    )
    assert data["completeness"]["total"] == 10 and "district" in data["completeness"]["missing_codes"]
    again = client.post(URL, open_body(interception), format="json", HTTP_IDEMPOTENCY_KEY="a1")
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert LegalCase.objects.count() == 1


def test_post_refuses_bad_input_and_those_who_may_not_open(api, officer, interception, monitor):
    assert (
        api(officer).post(URL, {"station": "BHW", "interceptions": ["x"]}, format="json").status_code == 400
    )
    assert api(officer).post(URL, {"station": "BRG"}, format="json").status_code == 400
    assert api(monitor).post(URL, open_body(interception), format="json").status_code == 403
    assert not LegalCase.objects.exists()


def test_stage_moves_and_an_illegal_move_is_409(api, officer, interception):
    client = api(officer)
    legal_case = client.post(URL, open_body(interception), format="json").json()
    url = f"{URL}{legal_case['id']}/stage/"
    response = client.post(url, {"stage": "investigation", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "investigation"
    response = client.post(url, {"stage": "verdict"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "illegal_transition"
    response = client.post(url, {"stage": "trial", "version": 1}, format="json")
    assert response.status_code == 409


def test_patch_changes_the_complaint_with_its_version(api, officer, interception):
    client = api(officer)
    legal_case = client.post(URL, open_body(interception), format="json").json()
    url = f"{URL}{legal_case['id']}/"
    assert client.patch(url, {"police_station": "X"}, format="json").status_code == 400
    response = client.patch(url, {"police_station": "Butwal police", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["police_station"] == "Butwal police"
    assert response.json()["version"] == 2
    assert client.patch(url, {"police_station": "Y", "version": 1}, format="json").status_code == 409
    assert client.patch(url, {"complaint_number": "", "version": 2}, format="json").status_code == 400


def test_a_director_reads_it_masked_and_may_not_change_it(api, officer, interception, nepal):
    legal_case = (
        api(officer).post(URL, open_body(interception, summary="Ram sold her."), format="json").json()
    )
    director = member(Role.COUNTRY_DIRECTOR, country=nepal)
    client = api(director)
    data = client.get(f"{URL}{legal_case['id']}/").json()
    assert data["summary"] == MASK
    assert client.patch(f"{URL}{legal_case['id']}/", {"version": 1}, format="json").status_code == 403
    assert (
        client.post(f"{URL}{legal_case['id']}/stage/", {"stage": "investigation"}, format="json").status_code
        == 403
    )


@pytest.mark.parametrize("who", ["monitor", "other_officer", "case_manager"])
def test_others_get_404(api, who, officer, interception, monitor, bhw, brg):
    legal_case = api(officer).post(URL, open_body(interception), format="json").json()
    user = {
        "monitor": monitor,
        "other_officer": member(Role.LEGAL_OFFICER, station=brg),
        "case_manager": member(Role.CASE_MANAGER, station=bhw),
    }[who]
    client = api(user)
    for suffix in ("", "timeline/"):
        assert client.get(f"{URL}{legal_case['id']}/{suffix}").status_code == 404
    assert client.get(URL).json()["results"] == []


def test_the_list_is_logged_and_its_queries_bounded(api, officer, bhw, django_assert_max_num_queries):
    client = api(officer)
    ids = [client.post(URL, {"station": "BHW"}, format="json").json()["id"] for _ in range(4)]
    client.get(URL)
    with django_assert_max_num_queries(12):
        data = client.get(URL).json()
    assert [r["id"] for r in data["results"]] == sorted(ids, reverse=True)
    event = AccessEvent.objects.filter(action="legal_case.list").latest("id")
    assert sorted(event.details["ids"]) == sorted(ids)
    assert client.get(URL, {"stage": "closed"}).json()["results"] == []
    assert client.get(URL, {"stage": "nonsense"}).status_code == 400


def test_the_timeline_names_the_stages_without_names(api, officer, interception):
    client = api(officer)
    legal_case = client.post(URL, open_body(interception), format="json").json()
    client.post(f"{URL}{legal_case['id']}/stage/", {"stage": "investigation"}, format="json")
    items = client.get(f"{URL}{legal_case['id']}/timeline/").json()["results"]
    assert [i["kind"] for i in items][:2] == ["stage", "victim"] or items[0]["kind"] == "stage"
    assert items[0]["codes"] == {"from": "complaint_filed", "to": "investigation"}
    assert "Sita" not in str(items)
