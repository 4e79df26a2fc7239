"""Suspects and arrests of a legal case (docs/prosecution.md "Suspects and arrests"): a suspect picked from
the interception is a new appearance of the same identity; an arrest is verified by a second user with
evidence; masking for a country director; outsiders get 404."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from audit.models import AccessEvent
from people.masking import MASK
from people.models import Person, Source
from prosecution.models import LegalCase, Suspect
from prosecution.services.suspects import arrest_record, arrest_verify, suspect_add

from .factories import login, make_interception, member, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def statutes(db):
    """The statute catalogue and courts (migration 0002 loads them; a transactional test's flush empties the
    tables)."""
    from accounts.models import Country
    from prosecution.models import Court, Statute
    from prosecution.statutes import seed

    seed(Country, Statute, Court)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def people_(bhw, brg, monitor):
    return {
        "monitor": monitor,
        "lo": member(Role.LEGAL_OFFICER, station=bhw, username="lo_bhw"),
        "manager": member(Role.STATION_MANAGER, station=bhw, username="sm_bhw"),
        "director": member(Role.COUNTRY_DIRECTOR, station=bhw, username="cd_bhw"),
        "other_lo": member(Role.LEGAL_OFFICER, station=brg, username="lo_brg"),
    }


@pytest.fixture
def legal_case(bhw, people_):
    interception = make_interception(
        people_["monitor"], bhw, people=[person("Sita Tamang", age=17), person("Ram Bahadur", role="suspect")]
    )
    case = LegalCase.objects.create(
        number="BHW-L-2026-00001",
        station=bhw,
        stage="complaint_filed",
        opened_on=date(2026, 11, 1),
        created_by=people_["lo"],
    )
    case.interceptions.add(interception)
    case.ram = interception.interceptees.get(person__full_name="Ram Bahadur").person
    return case


def api(user):
    client = APIClient()
    login(client, user)
    return client


def suspects_url(legal_case):
    return reverse("api:legal-case-suspects", kwargs={"pk": legal_case.pk})


def test_a_suspect_picked_from_the_interception_is_a_new_appearance_of_the_same_identity(legal_case, people_):
    ram = legal_case.ram
    response = api(people_["lo"]).post(
        suspects_url(legal_case), {"person": ram.pk, "arrest_status": "arrested"}, format="json"
    )
    assert response.status_code == 201, response.content
    suspect = Suspect.objects.get(pk=response.json()["id"])
    assert suspect.person.pk != ram.pk
    assert suspect.person.identity_id == ram.identity_id
    assert (suspect.person.source, suspect.person.record_id) == (Source.LEGAL_CASE, legal_case.pk)
    assert suspect.person.full_name == "Ram Bahadur"
    assert suspect.picked_from_id == ram.pk
    assert suspect.arrest_status == "arrested" and suspect.arrest_recorded_by == people_["lo"]
    assert response.json()["name"] == "Ram Bahadur"
    assert AccessEvent.objects.filter(action="legal_case.suspect_add", object_id=str(legal_case.pk)).exists()
    # the same identity once per legal case, picked or named by identity
    again = api(people_["lo"]).post(suspects_url(legal_case), {"identity": ram.identity_id}, format="json")
    assert again.status_code == 400
    assert Suspect.objects.filter(legal_case=legal_case).count() == 1


def test_a_new_person_gets_a_new_identity_and_the_page_offers_the_interceptions_suspects(legal_case, people_):
    client = login(Client(), people_["lo"])
    url = reverse("prosecution:suspect-new", kwargs={"pk": legal_case.pk})
    page = client.get(url)
    assert page.status_code == 200
    assert "Ram Bahadur" in page.content.decode()
    response = client.post(
        url, {"name": "Hari Thapa", "gender": "male", "age": "40", "arrest_status": "not_arrested"}
    )
    assert response.status_code == 302
    hari = Suspect.objects.get(legal_case=legal_case, person__full_name="Hari Thapa").person
    assert Person.objects.filter(identity_id=hari.identity_id).count() == 1
    empty = client.post(url, {"arrest_status": "not_arrested"})
    assert empty.status_code == 200 and "Give the suspect" in empty.content.decode()


def test_an_arrest_is_verified_by_a_second_user_with_evidence(legal_case, people_):
    lo, manager = people_["lo"], people_["manager"]
    suspect = suspect_add(actor=lo, legal_case=legal_case, person=legal_case.ram.pk)
    suspect = arrest_record(
        actor=lo,
        suspect=suspect,
        arrest_status="in_custody",
        arrested_on=date(2026, 11, 2),
        arrest_source="Police letter",
        expected_version=suspect.version,
    )
    # the recorder may not verify their own arrest
    with pytest.raises(PermissionDenied, match="second person"):
        arrest_verify(actor=lo, suspect=suspect, evidence=SimpleUploadedFile("e.png", PNG))
    url = reverse("api:legal-case-verify-arrest", kwargs={"pk": legal_case.pk, "suspect_pk": suspect.pk})
    assert (
        api(lo).post(url, {"evidence": SimpleUploadedFile("e.png", PNG)}, format="multipart").status_code
        == 403
    )
    # evidence is required, and must be a PDF, JPEG or PNG
    with pytest.raises(ValidationError):
        arrest_verify(actor=manager, suspect=suspect, evidence=None)
    bad = api(manager).post(url, {"evidence": SimpleUploadedFile("e.txt", b"hello")}, format="multipart")
    assert bad.status_code == 400
    ok = api(manager).post(url, {"evidence": SimpleUploadedFile("e.png", PNG)}, format="multipart")
    assert ok.status_code == 200, ok.content
    assert ok.json()["arrest_verified_by"] == manager.username
    # the evidence: an audited attachment for who may read names; 404 for a director (masked)
    evidence = reverse("prosecution:arrest-evidence", kwargs={"pk": legal_case.pk, "suspect_pk": suspect.pk})
    download = login(Client(), lo).get(evidence)
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")
    assert AccessEvent.objects.filter(
        actor=lo, action="legal_case.view", details__purpose="arrest_evidence"
    ).exists()
    assert login(Client(), people_["director"]).get(evidence).status_code == 404
    # a new arrest status clears the verification
    suspect.refresh_from_db()
    changed = arrest_record(
        actor=lo, suspect=suspect, arrest_status="on_bail", expected_version=suspect.version
    )
    assert changed.arrest_verified_by is None and not changed.arrest_evidence


def test_a_verify_page_refuses_the_recorder_plainly(legal_case, people_):
    lo = people_["lo"]
    suspect = suspect_add(actor=lo, legal_case=legal_case, person=legal_case.ram.pk, arrest_status="arrested")
    url = reverse("prosecution:verify-arrest", kwargs={"pk": legal_case.pk, "suspect_pk": suspect.pk})
    response = login(Client(), lo).post(url, {"evidence": SimpleUploadedFile("e.png", PNG)})
    assert response.status_code == 200
    assert "second person" in response.content.decode()
    suspect.refresh_from_db()
    assert suspect.arrest_verified_by is None


def test_a_director_sees_suspects_masked_and_outsiders_get_404(
    legal_case, people_, django_assert_max_num_queries
):
    for name in ["Hari Thapa", "Shyam Karki", "Gita Rai"]:
        suspect_add(actor=people_["lo"], legal_case=legal_case, name=name, arrest_status="arrested")
    director = api(people_["director"])
    with django_assert_max_num_queries(12):
        response = director.get(suspects_url(legal_case))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 3
    assert {r["name"] for r in rows} == {MASK}
    assert all(r["identity"] is None for r in rows)
    assert director.post(suspects_url(legal_case), {"name": "X"}, format="json").status_code == 403
    for outsider in (people_["other_lo"], people_["monitor"]):
        assert api(outsider).get(suspects_url(legal_case)).status_code == 404
        page = reverse("prosecution:suspect-new", kwargs={"pk": legal_case.pk})
        assert login(Client(), outsider).get(page).status_code == 404
