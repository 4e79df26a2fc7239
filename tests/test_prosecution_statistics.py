"""The prosecution funnel (docs/prosecution.md "Statistics: the prosecution funnel"): counted per suspect
over the legal cases the reader may see, small counts withheld from readers without `view_sensitive`, CSV
downloads of each table, the API, and a fixed number of queries."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from audit.models import AccessEvent
from people.models import Identity, Person
from prosecution import models as pm

from .factories import login, member

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 1)


@pytest.fixture
def catalogue(nepal):
    trafficking, _ = pm.Statute.objects.update_or_create(
        country=nepal, code="TEST-TRAFFICKING", defaults={"title": "Selling a person", "is_trafficking": True}
    )
    fraud, _ = pm.Statute.objects.update_or_create(
        country=nepal, code="TEST-FRAUD", defaults={"title": "Fraud", "is_trafficking": False}
    )
    court, _ = pm.Court.objects.get_or_create(country=nepal, name="Rupandehi District Court")
    return {"trafficking": trafficking, "fraud": fraud, "court": court}


@pytest.fixture
def officer(bhw):
    return member(Role.LEGAL_OFFICER, station=bhw, username="officer")


@pytest.fixture
def director(nepal):
    return member(Role.COUNTRY_DIRECTOR, country=nepal, username="director")


_numbers = iter(range(1, 10_000))


def legal_case(station, actor, *, complaint=True, opened_on=TODAY):
    n = next(_numbers)
    return pm.LegalCase.objects.create(
        number=f"{station.code}-L-2026-{n:05d}",
        station=station,
        stage="complaint_filed" if complaint else "open",
        complaint_filed_on=opened_on if complaint else None,
        opened_on=opened_on,
        created_by=actor,
    )


def suspect(case, actor, *, identity=None, role="", arrest="not_arrested"):
    identity = identity or Identity.objects.create()
    person = Person.objects.create(
        identity=identity,
        source="legal_case",
        record_id=case.pk,
        station=case.station,
        full_name="Ram Bahadur",
        created_by=actor,
    )
    return pm.Suspect.objects.create(
        legal_case=case, person=person, role=role, arrest_status=arrest, created_by=actor
    )


def charge(s, statute, court, actor, **verdict):
    court_case, _ = pm.CourtCase.objects.get_or_create(
        legal_case=s.legal_case,
        court=court,
        defaults={"number": f"CR-{s.legal_case_id}", "created_by": actor},
    )
    return pm.Charge.objects.create(
        legal_case=s.legal_case,
        suspect=s,
        court_case=court_case,
        statute=statute,
        created_by=actor,
        **verdict,
    )


def stats(user, **params):
    client = login(APIClient(), user)
    response = client.get(reverse("api:statistics-prosecution"), params)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_funnel_moves_from_charged_to_convicted_of_a_lesser_charge_only(bhw, officer, catalogue):
    case = legal_case(bhw, officer)
    ram = suspect(case, officer, role="recruiter", arrest="in_custody")
    suspect(case, officer)  # identified, not arrested, not charged
    the_charge = charge(ram, catalogue["trafficking"], catalogue["court"], officer)

    before = stats(officer)
    assert before["funnel"] == {
        "suspects": 2,
        "complaints": 2,
        "arrested": 1,
        "charged": 1,
        "convicted_trafficking": 0,
        "convicted_lesser_only": 0,
        "acquitted": 0,
        "pending": 1,
    }
    assert before["small_counts_withheld"] is False  # the officer holds view_sensitive at BHW

    # convicted of fraud against the trafficking charge, two years in prison
    pm.Charge.objects.filter(pk=the_charge.pk).update(
        verdict="convicted",
        convicted_under=catalogue["fraud"],
        verdict_on=TODAY + timedelta(days=90),
        imprisonment_total_days=730,
        fine_amount=5000,
        fine_currency="NPR",
    )
    after = stats(officer)
    assert after["funnel"]["pending"] == 0 and after["funnel"]["convicted_trafficking"] == 0
    assert after["funnel"]["convicted_lesser_only"] == 1 and after["convicted_lesser_only"] == 1
    assert after["median_days_complaint_to_verdict"] == 90
    bands = {row["band"]: row for row in after["sentences"]}
    assert bands["1_5y"]["convicted"] == 1 and bands["1_5y"]["fined"] == 1 and bands["none"]["convicted"] == 0
    assert after["fines"] == [{"currency": "NPR", "fined": 1, "median_amount": "5000.00"}]
    recruiter = next(r for r in after["by_role"] if r["role"] == "recruiter")
    assert recruiter["charged"] == 1 and recruiter["convicted"] == 1 and recruiter["conviction_rate"] == 1.0
    assert recruiter["convicted_trafficking"] == 0

    # convicted under the trafficking statute charged (no `convicted_under`): convicted of trafficking
    pm.Charge.objects.filter(pk=the_charge.pk).update(convicted_under=None)
    assert stats(officer)["funnel"]["convicted_trafficking"] == 1


def test_acquitted_when_every_charge_is_acquitted_dismissed_or_withdrawn(bhw, officer, catalogue):
    case = legal_case(bhw, officer, complaint=False)
    ram = suspect(case, officer)
    charge(ram, catalogue["trafficking"], catalogue["court"], officer, verdict="acquitted")
    charge(ram, catalogue["fraud"], catalogue["court"], officer, verdict="withdrawn")
    funnel = stats(officer)["funnel"]
    assert funnel["complaints"] == 0 and funnel["charged"] == 1 and funnel["acquitted"] == 1
    assert funnel["pending"] == 0


def test_recidivism_counts_a_suspect_convicted_in_an_earlier_legal_case(bhw, officer, catalogue):
    identity = Identity.objects.create()
    earlier = legal_case(bhw, officer, opened_on=TODAY - timedelta(days=800))
    first = suspect(earlier, officer, identity=identity)
    charge(
        first,
        catalogue["trafficking"],
        catalogue["court"],
        officer,
        verdict="convicted",
        verdict_on=TODAY - timedelta(days=400),
    )
    later = legal_case(bhw, officer)
    suspect(later, officer, identity=identity)
    suspect(later, officer)
    # three suspects; one (in the later case) was convicted before: 1/3
    assert stats(officer)["recidivism_rate"] == pytest.approx(0.333)
    assert stats(officer, since=TODAY.isoformat())["recidivism_rate"] == 0.5


def test_another_stations_cases_are_not_counted(bhw, brg, officer, catalogue):
    suspect(legal_case(bhw, officer), officer)
    other_officer = member(Role.LEGAL_OFFICER, station=brg, username="brg_officer")
    for _ in range(3):
        suspect(legal_case(brg, other_officer), other_officer)
    assert stats(officer)["funnel"]["suspects"] == 1
    assert stats(other_officer)["funnel"]["suspects"] == 3
    # a station outside one's reach is not a choice: 400
    client = login(APIClient(), officer)
    response = client.get(reverse("api:statistics-prosecution"), {"station": "BRG"})
    assert response.status_code == 400 and "station" in response.json()["error"]["fields"]


def test_a_director_sees_small_counts_as_less_than_11_and_no_rates(bhw, officer, director, catalogue):
    for _ in range(12):
        case = legal_case(bhw, officer)
        s = suspect(case, officer, role="transporter")
        charge(
            s, catalogue["trafficking"], catalogue["court"], officer, verdict="convicted", verdict_on=TODAY
        )
    suspect(legal_case(bhw, officer), officer, role="recruiter", arrest="arrested")

    answer = stats(director)
    assert answer["small_counts_withheld"] is True
    assert answer["funnel"]["suspects"] == 13 and answer["funnel"]["charged"] == 12
    assert answer["funnel"]["arrested"] is None and answer["funnel_display"]["arrested"] == "<11"
    assert answer["funnel"]["pending"] is None and answer["funnel_display"]["pending"] == "<11"
    assert answer["recidivism_rate"] is None  # 0 recidivists: below 11
    recruiter = next(r for r in answer["by_role"] if r["role"] == "recruiter")
    assert recruiter["suspects"] is None and recruiter["conviction_rate"] is None
    transporter = next(r for r in answer["by_role"] if r["role"] == "transporter")
    assert transporter["convicted"] == 12 and transporter["conviction_rate"] == 1.0
    assert answer["median_days_complaint_to_verdict"] == 0

    page = login(Client(), director).get(reverse("prosecution:statistics"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "&lt;11" in text and "Ram Bahadur" not in text and "Convicted of a lesser charge only" in text
    # the officer (view_sensitive at the station) sees exact counts
    exact = stats(officer)
    assert exact["funnel"]["arrested"] == 1 and exact["small_counts_withheld"] is False


def test_each_table_downloads_as_csv_and_each_read_is_logged(bhw, officer, catalogue):
    s = suspect(legal_case(bhw, officer), officer, role="recruiter", arrest="on_bail")
    charge(
        s,
        catalogue["trafficking"],
        catalogue["court"],
        officer,
        verdict="convicted",
        verdict_on=TODAY,
        imprisonment_total_days=3650,
    )
    client = login(Client(), officer)
    before = AccessEvent.objects.filter(action="legal_case.statistics").count()
    rows = {}
    for table in ("funnel", "sentences", "roles"):
        response = client.get(reverse("prosecution:statistics-csv", args=[table]), {"country": "NP"})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        rows[table] = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["convicted_trafficking", "Convicted of trafficking", "1"] in rows["funnel"]
    assert ["10y_plus", "10 years or more", "1", "0"] in rows["sentences"]
    assert rows["roles"][1][:5] == ["recruiter", "Recruiter", "1", "1", "1"]
    assert "Ram" not in "".join(str(r) for r in rows.values())
    events = AccessEvent.objects.filter(action="legal_case.statistics").order_by("id")[before:]
    assert [e.details["table"] for e in events] == ["funnel", "sentences", "roles"]
    assert events[0].details["filters"] == {"country": "NP"}
    assert client.get(reverse("prosecution:statistics-csv", args=["people"])).status_code == 404
    bad = client.get(reverse("prosecution:statistics-csv", args=["funnel"]), {"since": "yesterday"})
    assert bad.status_code == 400


def test_the_api_answers_the_funnel_keys_at_the_top_level_and_400_for_bad_filters(bhw, officer):
    answer = stats(officer, country="NP", since="2026-01-01", until="2026-12-31")
    for key in (
        "suspects",
        "complaints",
        "arrested",
        "charged",
        "convicted_trafficking",
        "convicted_lesser_only",
        "acquitted",
        "pending",
    ):
        assert key in answer["funnel"] and answer[key] == answer["funnel"][key]
    assert {"median_days_complaint_to_verdict", "sentences", "recidivism_rate", "by_role"} <= set(answer)
    client = login(APIClient(), officer)
    url = reverse("api:statistics-prosecution")
    assert client.get(url, {"since": "2026-02-01", "until": "2026-01-01"}).status_code == 400
    assert client.get(url, {"country": "XX"}).status_code == 400
    assert client.get(url, {"since": "soon"}).status_code == 400


def test_who_reaches_the_statistics(bhw, officer, monitor):
    case_manager = member(Role.CASE_MANAGER, station=bhw, username="cm")
    for user in (monitor, case_manager):
        assert login(Client(), user).get(reverse("prosecution:statistics")).status_code == 404
        assert login(APIClient(), user).get(reverse("api:statistics-prosecution")).status_code == 403
    assert Client().get(reverse("prosecution:statistics")).status_code == 302
    assert APIClient().get(reverse("api:statistics-prosecution")).status_code == 401
    assert login(Client(), officer).get(reverse("prosecution:statistics")).status_code == 200


@pytest.mark.parametrize("cases", [1, 15])
def test_the_statistics_take_a_fixed_number_of_queries(
    bhw, officer, catalogue, cases, django_assert_max_num_queries
):
    for i in range(cases):
        s = suspect(legal_case(bhw, officer), officer, role=["recruiter", "transporter", ""][i % 3])
        charge(
            s, catalogue["trafficking"], catalogue["court"], officer, verdict="convicted", verdict_on=TODAY
        )
        pm.Appeal.objects.create(
            charge=s.charges.get(),
            filed_on=TODAY,
            outcome="sentence_reduced",
            decided_on=TODAY,
            imprisonment_total_days=100,
            created_by=officer,
        )
    client = login(APIClient(), officer)
    url = reverse("api:statistics-prosecution")
    client.get(url)  # the session and the access profile
    with django_assert_max_num_queries(16):
        answer = client.get(url).json()
    assert answer["funnel"]["convicted_trafficking"] == cases
    bands = {row["band"]: row["convicted"] for row in answer["sentences"]}
    assert bands["under_1y"] == cases  # the sentence reduced on appeal
