"""The `legal_cases` export kind: one row per charge (suspect × court case × statute), masked and
de-identified like the other kinds (docs/exports.md "Legal cases")."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Membership
from accounts.roles import Role
from exports import services
from exports.models import ExportJob
from exports.rows import pseudonym
from people.masking import MASK
from people.models import Person
from prosecution import models as pm

from .factories import login, make_interception, member, person

pytestmark = pytest.mark.django_db

API = "/api/v1/exports/"


@pytest.fixture
def legal_officer(bhw):
    return member(Role.LEGAL_OFFICER, station=bhw, username="lo_bhw")


def statute(country, code, *, trafficking):
    return pm.Statute.objects.get_or_create(
        country=country,
        code=code,
        defaults={"title": f"Offence {code}", "act": "Act", "is_trafficking": trafficking},
    )[0]


def open_legal_case(interception, officer, number, **fields):
    legal_case = pm.LegalCase.objects.create(
        number=number,
        station=interception.station,
        stage=fields.pop("stage", "trial"),
        complaint_number=fields.pop("complaint_number", "FIR 12/2083"),
        complaint_filed_on=fields.pop("complaint_filed_on", date(2026, 3, 4)),
        police_station="District police",
        opened_on=fields.pop("opened_on", date(2026, 3, 2)),
        created_by=officer,
    )
    legal_case.interceptions.add(interception)
    return legal_case


def defendant(legal_case, interception, name, officer, **fields):
    picked = interception.interceptees.get(person__full_name=name).person
    here = Person.objects.create(
        identity=picked.identity,
        source="legal_case",
        record_id=legal_case.pk,
        station=legal_case.station,
        full_name=name,
        gender="male",
        age=fields.pop("age", 41),
        created_by=officer,
        recorded_on=legal_case.opened_on,
    )
    return pm.Suspect.objects.create(
        legal_case=legal_case, person=here, picked_from=picked, created_by=officer, **fields
    )


@pytest.fixture
def prosecutions(monitor, other_monitor, bhw, brg, nepal, legal_officer, catalogue):
    """At BHW a legal case with two defendants and three charges in one court case (Ram convicted under a
    lesser statute on the trafficking charge, his fraud charge pending; Shyam acquitted); at BRG a legal
    case with one charge."""
    first = make_interception(
        monitor,
        bhw,
        people=[
            person("Sita Tamang", gender="female", age=17),
            person("Ram Dalal", role="suspect"),
            person("Shyam Dalal", role="suspect"),
        ],
    )
    second = make_interception(
        other_monitor, brg, people=[person("Brg Victim", gender="female"), person("Hari Brg", role="suspect")]
    )
    trafficking = statute(nepal, "HTTCA-15-1-A", trafficking=True)
    lesser = statute(nepal, "FEA-43", trafficking=False)
    fraud = statute(nepal, "MCC-249", trafficking=False)
    court = pm.Court.objects.get_or_create(country=nepal, name="Rupandehi District Court")[0]
    legal_case = open_legal_case(first, legal_officer, "BHW-L-2026-00001")
    court_case = pm.CourtCase.objects.create(
        legal_case=legal_case, court=court, number="083-CR-0001", created_by=legal_officer
    )
    ram = defendant(
        legal_case,
        first,
        "Ram Dalal",
        legal_officer,
        role="recruiter",
        arrest_status="in_custody",
        arrested_on=date(2026, 3, 5),
        arrest_verified_at=timezone.now(),
    )
    shyam = defendant(legal_case, first, "Shyam Dalal", legal_officer, age=23, role="transporter")
    convicted = pm.Charge.objects.create(
        legal_case=legal_case,
        suspect=ram,
        court_case=court_case,
        statute=trafficking,
        verdict="convicted",
        verdict_on=date(2026, 9, 20),
        convicted_under=lesser,
        imprisonment_years=2,
        imprisonment_months=6,
        imprisonment_days=0,
        imprisonment_total_days=910,
        fine_amount=Decimal("50000.00"),
        fine_currency="NPR",
        compensation_amount=Decimal("100000.00"),
        compensation_currency="NPR",
        created_by=legal_officer,
    )
    pending = pm.Charge.objects.create(
        legal_case=legal_case, suspect=ram, court_case=court_case, statute=fraud, created_by=legal_officer
    )
    acquitted = pm.Charge.objects.create(
        legal_case=legal_case,
        suspect=shyam,
        court_case=court_case,
        statute=trafficking,
        verdict="acquitted",
        verdict_on=date(2026, 9, 20),
        created_by=legal_officer,
    )
    brg_officer = member(Role.LEGAL_OFFICER, station=brg, username="lo_brg")
    brg_case = open_legal_case(second, brg_officer, "BRG-L-2026-00001", stage="complaint_filed")
    brg_court_case = pm.CourtCase.objects.create(
        legal_case=brg_case, court=court, number="083-CR-0099", created_by=brg_officer
    )
    hari = defendant(brg_case, second, "Hari Brg", brg_officer)
    brg_charge = pm.Charge.objects.create(
        legal_case=brg_case,
        suspect=hari,
        court_case=brg_court_case,
        statute=trafficking,
        created_by=brg_officer,
    )
    return {
        "legal_case": legal_case,
        "brg_case": brg_case,
        "ram": ram,
        "shyam": shyam,
        "convicted": convicted,
        "pending": pending,
        "acquitted": acquitted,
        "brg_charge": brg_charge,
    }


def run(job):
    services.export_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def export(user, *, deidentified=False, fmt="csv", **filters):
    return run(
        services.export_request(
            actor=user, kind="legal_cases", fmt=fmt, deidentified=deidentified, filters=filters
        )
    )


def download(client, job) -> bytes:
    response = client.get(reverse("exports:download", args=[job.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def read_csv(client, job) -> list[dict]:
    return list(csv.DictReader(io.StringIO(download(client, job).decode("utf-8-sig"))))


def test_one_row_per_charge_with_the_verdict_and_the_sentence(client, legal_officer, prosecutions):
    login(client, legal_officer)
    job = export(legal_officer)
    assert (job.status, job.row_count, job.stations, job.sensitive_stations) == ("done", 3, ["BHW"], ["BHW"])
    rows = {int(r["charge_id"]): r for r in read_csv(client, job)}
    p = prosecutions
    assert set(rows) == {p["convicted"].pk, p["pending"].pk, p["acquitted"].pk}  # never BRG's charge
    row = rows[p["convicted"].pk]
    assert (row["number"], row["station"], row["stage"]) == ("BHW-L-2026-00001", "BHW", "trial")
    assert (row["complaint_number"], row["complaint_filed_on"]) == ("FIR 12/2083", "2026-03-04")
    assert (row["court"], row["court_case_number"]) == ("Rupandehi District Court", "083-CR-0001")
    assert row["suspect_id"] == str(p["ram"].person_id) and row["suspect_name"] == "Ram Dalal"
    assert (row["suspect_gender"], row["suspect_age"], row["suspect_role"]) == ("male", "41", "recruiter")
    assert (row["arrest_status"], row["arrest_verified"]) == ("in_custody", "True")
    # a trafficking charge, convicted under a lesser statute
    assert (row["statute"], row["statute_kind"]) == ("HTTCA-15-1-A", "trafficking")
    assert (row["verdict"], row["verdict_on"]) == ("convicted", "2026-09-20")
    assert (row["convicted_under"], row["convicted_under_kind"]) == ("FEA-43", "lesser")
    assert row["imprisonment_total_days"] == "910"
    assert (row["fine_amount"], row["fine_currency"]) == ("50000.00", "NPR")
    assert (row["compensation_amount"], row["compensation_currency"]) == ("100000.00", "NPR")
    pending = rows[p["pending"].pk]
    assert (pending["statute"], pending["statute_kind"], pending["verdict"]) == (
        "MCC-249",
        "lesser",
        "pending",
    )
    assert pending["convicted_under"] == pending["verdict_on"] == pending["imprisonment_total_days"] == ""
    acquitted = rows[p["acquitted"].pk]
    assert (acquitted["suspect_name"], acquitted["verdict"]) == ("Shyam Dalal", "acquitted")
    assert acquitted["arrest_verified"] == "False"


def test_the_de_identified_file_has_no_names_or_numbers(client, legal_officer, prosecutions):
    login(client, legal_officer)
    job = export(legal_officer, deidentified=True)
    raw = download(client, job).decode("utf-8-sig")
    for secret in ("Ram", "Shyam", "Sita", "BHW-L-", "083-CR", "FIR", "2026-03-04", "2026-09-20"):
        assert secret not in raw, secret
    rows = list(csv.DictReader(io.StringIO(raw)))
    assert len(rows) == 3 and "charge_id" not in rows[0] and "suspect_name" not in rows[0]
    p = prosecutions
    assert {r["record"] for r in rows} == {pseudonym("legal_case", p["legal_case"].pk)}
    ram = [r for r in rows if r["suspect"] == pseudonym("person", p["ram"].person_id)]
    assert len(ram) == 2
    row = next(r for r in ram if r["verdict"] == "convicted")
    assert (row["opened_month"], row["complaint_month"], row["verdict_month"]) == (
        "2026-03",
        "2026-03",
        "2026-09",
    )
    assert (row["suspect_age_band"], row["convicted_under_kind"]) == ("35-49", "lesser")
    assert row["imprisonment_total_days"] == "910"
    shyam = next(r for r in rows if r["suspect"] == pseudonym("person", p["shyam"].person_id))
    assert shyam["suspect_age_band"] == "18-24"


def test_a_director_gets_no_names_and_mixed_rights_are_masked_per_station(client, nepal, brg, prosecutions):
    """A director (export, no view_sensitive) gets no name column; one who is also a legal officer at BRG
    sees BRG's suspects by name and "[restricted]" for BHW's."""
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    login(client, director)
    job = export(director)
    raw = download(client, job).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(raw)))
    assert len(rows) == 4 and "suspect_name" not in rows[0]
    assert "Ram" not in raw and "Hari" not in raw
    assert job.sensitive_stations == [] and sorted(job.stations) == ["BHW", "BRG"]

    Membership.objects.create(user=director, role=Role.LEGAL_OFFICER, station=brg)
    job = export(director)
    assert job.sensitive_stations == ["BRG"]
    names = {(r["station"], r["suspect_name"]) for r in read_csv(client, job)}
    assert names == {("BRG", "Hari Brg"), ("BHW", MASK)}


def test_who_may_export_legal_cases(client, monitor, manager, nepal, bhw, legal_officer, prosecutions, api):
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    for user, rows in ((legal_officer, 3), (manager, 3), (director, 4)):
        response = api(user).post(API, {"kind": "legal_cases", "format": "csv"}, format="json")
        assert response.status_code == 202, user.username
        assert run(ExportJob.objects.get(pk=response.json()["id"])).row_count == rows
        login(client, user)
        assert 'id="legal-case-export"' in client.get(reverse("exports:list")).content.decode()
    ExportJob.objects.all().delete()
    case_manager = member(Role.CASE_MANAGER, station=bhw, username="cm_bhw")
    for user in (monitor, case_manager):
        response = api(user).post(API, {"kind": "legal_cases", "format": "csv"}, format="json")
        assert response.status_code == 403, user.username
        login(client, user)
        response = client.post(reverse("exports:list"), {"kind": "legal_cases", "format": "csv"})
        assert response.status_code == 404
        assert 'id="legal-case-export"' not in client.get(reverse("exports:list")).content.decode()
    assert not ExportJob.objects.exists()


def test_the_exports_page_filters_legal_cases(client, legal_officer, prosecutions):
    login(client, legal_officer)
    html = client.get(reverse("exports:list")).content.decode()
    assert 'value="legal_cases"' in html and 'id="legal_stage"' in html
    response = client.post(
        reverse("exports:list"),
        {"kind": "legal_cases", "format": "xlsx", "station": "BHW", "stage": "trial", "deidentified": "on"},
    )
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("exports:detail", args=[job.pk])
    assert (job.kind, job.format, job.deidentified) == ("legal_cases", "xlsx", True)
    assert job.filters == {"station": "BHW", "stage": "trial"}
    assert run(job).row_count == 3
    assert export(legal_officer, stage="verdict").row_count == 0
    future = (date.today() + timedelta(days=2)).isoformat()
    assert export(legal_officer, date_from=future).row_count == 0


def test_bad_legal_case_filters_are_refused(legal_officer, prosecutions, api):
    for filters in (
        {"stage": "active"},
        {"status": "new"},
        {"date_from": "2026-02-01", "date_to": "2026-01-01"},
    ):
        response = api(legal_officer).post(
            API, {"kind": "legal_cases", "format": "csv", "filters": filters}, format="json"
        )
        assert response.status_code == 400 and "filters" in response.json()["error"]["fields"], filters
    assert not ExportJob.objects.exists()


def test_formula_cells_are_neutralised(client, legal_officer, prosecutions):
    Person.objects.filter(pk=prosecutions["ram"].person_id).update(
        full_name='=HYPERLINK("http://evil.example","click")'
    )
    login(client, legal_officer)
    names = {r["suspect_name"] for r in read_csv(client, export(legal_officer))}
    assert '\'=HYPERLINK("http://evil.example","click")' in names
    book = load_workbook(io.BytesIO(download(client, export(legal_officer, fmt="xlsx"))))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    column = header.index("suspect_name") + 1
    cells = [sheet.cell(row=i, column=column) for i in range(2, sheet.max_row + 1)]
    evil = next(c for c in cells if str(c.value).startswith("=HYPERLINK"))
    assert evil.data_type == "s" and evil.quotePrefix  # text, never a formula


def test_a_legal_case_export_runs_a_fixed_number_of_queries(
    legal_officer, prosecutions, django_assert_max_num_queries
):
    with CaptureQueriesContext(connection) as few:
        export(legal_officer)
    p = prosecutions
    court_case = p["convicted"].court_case
    for code in ("A-1", "A-2", "A-3"):
        pm.Charge.objects.create(
            legal_case=p["legal_case"],
            suspect=p["shyam"],
            court_case=court_case,
            statute=statute(court_case.court.country, code, trafficking=False),
            created_by=legal_officer,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        job = export(legal_officer)
    assert job.row_count == 3 + 3
