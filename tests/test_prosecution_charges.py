"""Court cases, charges, verdicts, sentences and appeals (docs/prosecution.md "Court cases, charges,
verdicts, sentences, appeals") and the statute catalogue (its API)."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from people.masking import MASK
from prosecution.models import Court, LegalCase, Statute
from prosecution.services.charges import total_days
from prosecution.services.suspects import suspect_add

from .factories import login, member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def statutes(db):
    """The statute catalogue and courts (migration 0002 loads them; a transactional test's flush empties the
    tables)."""
    from accounts.models import Country
    from prosecution.models import Court, Statute
    from prosecution.statutes import seed

    seed(Country, Statute, Court)


COURT = "Rupandehi District Court"


@pytest.fixture
def users(bhw, brg, monitor):
    return {
        "monitor": monitor,
        "lo": member(Role.LEGAL_OFFICER, station=bhw, username="lo_bhw"),
        "director": member(Role.COUNTRY_DIRECTOR, station=bhw, username="cd_bhw"),
        "other_lo": member(Role.LEGAL_OFFICER, station=brg, username="lo_brg"),
    }


def _legal_case(station, user, number):
    return LegalCase.objects.create(
        number=number, station=station, stage="trial", opened_on=date(2026, 11, 1), created_by=user
    )


@pytest.fixture
def legal_case(bhw, users):
    return _legal_case(bhw, users["lo"], "BHW-L-2026-00001")


def api(user):
    client = APIClient()
    login(client, user)
    return client


def url(name, legal_case, **kwargs):
    return reverse(f"api:{name}", kwargs={"pk": legal_case.pk, **kwargs})


def test_the_statute_catalogue_lists_each_countrys_offences_marked_trafficking_or_lesser(users, nepal):
    client = api(users["monitor"])
    rows = {r["code"]: r for r in client.get(reverse("api:statutes"), {"country": "NP"}).json()["results"]}
    assert rows["HTTCA-15-1-A"]["is_trafficking"] is True
    assert rows["FEA-43"]["is_trafficking"] is False
    assert {"MCC-214", "MCC-173", "MCC-249", "FEA-44"} <= set(rows)
    assert set(rows["HTTCA-15-1-A"]) == {"code", "title", "act", "section", "is_trafficking"}
    india = {r["code"] for r in client.get(reverse("api:statutes"), {"country": "IN"}).json()["results"]}
    assert {"IPC-370", "IPC-370A", "BNS-143", "BNS-144", "ITPA-5", "ITPA-6", "IPC-363"} <= india
    Statute.objects.filter(code="FEA-44").update(active=False)
    rows = client.get(reverse("api:statutes"), {"country": "NP"}).json()["results"]
    assert "FEA-44" not in {r["code"] for r in rows}
    assert APIClient().get(reverse("api:statutes"), {"country": "NP"}).status_code == 401


def test_a_court_case_number_is_unique_per_court(bhw, users, legal_case):
    client = api(users["lo"])
    response = client.post(url("legal-case-court-cases", legal_case), {"court": COURT, "number": "083-CR-7"})
    assert response.status_code == 201, response.content
    assert response.json()["id"]
    other = _legal_case(bhw, users["lo"], "BHW-L-2026-00002")
    again = client.post(url("legal-case-court-cases", other), {"court": COURT, "number": "083-CR-7"})
    assert again.status_code == 400
    assert "This court already has a case with this number" in again.content.decode()
    elsewhere = Court.objects.get(name="Kathmandu District Court")
    response = client.post(
        url("legal-case-court-cases", other), {"court": str(elsewhere.pk), "number": "083-CR-7"}
    )
    assert response.status_code == 201
    unknown = client.post(
        url("legal-case-court-cases", other), {"court": "Supreme Court of India", "number": "1"}
    )
    assert unknown.status_code == 400


def test_total_days_rule():
    assert total_days(2, 3, 10) == 2 * 365 + 3 * 30 + 10
    assert total_days(None, None, None) is None
    assert total_days(None, 6, None) == 180


def test_a_trafficking_charge_convicted_under_a_lesser_statute(users, legal_case):
    lo = users["lo"]
    client = api(lo)
    suspect = suspect_add(actor=lo, legal_case=legal_case, name="Ram Bahadur", arrest_status="arrested")
    court_case = client.post(
        url("legal-case-court-cases", legal_case), {"court": COURT, "number": "083-CR-9"}
    )
    charge = client.post(
        url("legal-case-charges", legal_case),
        {"suspect": suspect.pk, "court_case": court_case.json()["id"], "charge": "HTTCA-15-1-A"},
        format="json",
    )
    assert charge.status_code == 201, charge.content
    body = charge.json()
    assert body["charge"]["is_trafficking"] is True and body["verdict"] == "pending"
    duplicate = client.post(
        url("legal-case-charges", legal_case),
        {"suspect": suspect.pk, "court_case": court_case.json()["id"], "charge": "HTTCA-15-1-A"},
        format="json",
    )
    assert duplicate.status_code == 400
    detail = url("legal-case-charge", legal_case, charge_pk=body["id"])
    verdict = {
        "verdict": "convicted",
        "verdict_on": "2026-11-20",
        "convicted_under": "FEA-43",
        "sentence": {"years": 2, "months": 3, "days": 10, "fine_amount": "50000.00", "fine_currency": "NPR"},
        "version": body["version"],
    }
    response = client.patch(detail, verdict, format="json")
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["imprisonment_total_days"] == 830
    assert out["convicted_under"]["code"] == "FEA-43" and out["lesser_conviction"] is True
    assert out["sentence"]["fine_amount"] == "50000.00"
    # the same version again is stale: 409, nothing changed
    assert client.patch(detail, {**verdict, "convicted_under": "MCC-249"}, format="json").status_code == 409
    # a sentence only goes with a conviction
    acquitted = {"verdict": "acquitted", "sentence": {"years": 1}, "version": out["version"]}
    assert client.patch(detail, acquitted, format="json").status_code == 400
    # the legal case page's partial says it plainly
    page = login(Client(), lo).get(
        reverse("prosecution:charge-verdict", kwargs={"pk": legal_case.pk, "charge_pk": body["id"]})
    )
    assert page.status_code == 200
    from django.template.loader import render_to_string

    from prosecution import selectors

    html = render_to_string(
        "prosecution/_charges.html",
        {
            "legal_case": legal_case,
            "rights": {"change": True},
            "charges": list(selectors.charges_of(legal_case)),
        },
    )
    assert "Convicted of a lesser charge, not of trafficking" in html
    assert "830 days in all" in html
    # an appeal reduces the sentence
    appeal = client.post(
        url("legal-case-appeals", legal_case, charge_pk=body["id"]),
        {"filed_on": "2026-11-25", "outcome": "sentence_reduced", "sentence": {"years": 1}},
        format="json",
    )
    assert appeal.status_code == 201, appeal.content
    assert appeal.json()["imprisonment_total_days"] == 365


def test_charges_are_masked_for_a_director_and_hidden_from_outsiders(
    users, legal_case, django_assert_max_num_queries
):
    lo = users["lo"]
    client = api(lo)
    court_case = client.post(
        url("legal-case-court-cases", legal_case), {"court": COURT, "number": "083-CR-1"}
    )
    for name in ["Ram Bahadur", "Hari Thapa", "Gita Rai"]:
        suspect = suspect_add(actor=lo, legal_case=legal_case, name=name)
        for code in ["HTTCA-15-1-A", "FEA-43"]:
            client.post(
                url("legal-case-charges", legal_case),
                {"suspect": suspect.pk, "court_case": court_case.json()["id"], "charge": code},
                format="json",
            )
    director = api(users["director"])
    # a constant number of queries whatever the number of charges (sign-in, access, log, one list + appeals)
    with django_assert_max_num_queries(13):
        response = director.get(url("legal-case-charges", legal_case))
    rows = response.json()["results"]
    assert len(rows) == 6 and {r["suspect_name"] for r in rows} == {MASK}
    assert (
        director.post(url("legal-case-court-cases", legal_case), {"court": COURT, "number": "2"}).status_code
        == 403
    )
    for outsider in (users["other_lo"], users["monitor"]):
        assert api(outsider).get(url("legal-case-charges", legal_case)).status_code == 404
        page = reverse("prosecution:charge-new", kwargs={"pk": legal_case.pk})
        assert login(Client(), outsider).get(page).status_code == 404
