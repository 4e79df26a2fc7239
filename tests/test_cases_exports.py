"""The `cases` export kind, and research consent in every de-identified export (docs/exports.md "Case
files", "Research consent")."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.roles import Role
from audit.models import AccessEvent
from cases.models import Consent, FollowUp, Interview, Service, VictimCase
from exports import services
from exports.models import ExportJob
from exports.rows import pseudonym
from people.masking import MASK

from .factories import login, make_interception, member, person

pytestmark = pytest.mark.django_db

API = "/api/v1/exports/"


@pytest.fixture
def case_manager(bhw):
    return member(Role.CASE_MANAGER, station=bhw, username="cm_bhw")


@pytest.fixture
def files(monitor, other_monitor, bhw, brg, catalogue):
    """Two interceptions at BHW (three potential victims, a suspect), one at BRG: each submission opened a
    case per potential victim."""
    first = make_interception(
        monitor,
        bhw,
        people=[
            person(
                "Sita Withdrew", gender="female", age=16, phone="+9779800000001", address="Ward 1, Butwal"
            ),
            person("Gita Stays", gender="female", age=23, phone="+9779800000002", address="Ward 2, Butwal"),
            person("Ram Suspect", role="suspect", phone="+9779811111111"),
        ],
    )
    second = make_interception(
        monitor,
        bhw,
        people=[person("Maya Plain", gender="female", age=30, phone="+9779800000003", address="Ward 3")],
        occurred_at=timezone.now() - timedelta(days=1),
    )
    third = make_interception(
        other_monitor, brg, people=[person("Brg Victim", gender="female", age=19, phone="+9779822222222")]
    )
    cases = {c.person.full_name: c for c in VictimCase.objects.select_related("person")}
    assert set(cases) == {"Sita Withdrew", "Gita Stays", "Maya Plain", "Brg Victim"}
    return {"interceptions": (first, second, third), "cases": cases}


def consent(case, scope, decision, recorder, *, days_ago=0):
    return Consent.objects.create(
        case=case,
        scope=scope,
        decision=decision,
        decided_on=date.today() - timedelta(days=days_ago),
        method="verbal",
        recorded_by=recorder,
    )


def withdraw_research(case, recorder):
    """Research use given, then withdrawn: the withdrawal (the latest row) is in force."""
    consent(case, "research", "given", recorder, days_ago=3)
    consent(case, "research", "withdrawn", recorder)


def run(job):
    services.export_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def export(user, kind, *, deidentified=False, fmt="csv", **filters):
    return run(
        services.export_request(actor=user, kind=kind, fmt=fmt, deidentified=deidentified, filters=filters)
    )


def download(client, job) -> bytes:
    response = client.get(reverse("exports:download", args=[job.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def read_csv(client, job) -> list[dict]:
    return list(csv.DictReader(io.StringIO(download(client, job).decode("utf-8-sig"))))


# --- acceptance: research consent --------------------------------------------------------------------


def test_a_person_who_withdrew_research_consent_is_left_out_of_de_identified_exports_only(
    client, manager, files
):
    sita, gita = files["cases"]["Sita Withdrew"], files["cases"]["Gita Stays"]
    withdraw_research(sita, manager)
    consent(gita, "research", "given", manager)
    # a later "given" on another case of someone else changes nothing for Sita
    login(client, manager)

    # de-identified cases: Sita's case is not there, Gita's is
    rows = read_csv(client, export(manager, "cases", deidentified=True))
    records = {r["record"] for r in rows}
    assert pseudonym("case", sita.pk) not in records
    assert pseudonym("case", gita.pk) in records and len(rows) == 2  # Gita and Maya (BHW)
    assert {r["consent_research"] for r in rows} == {"given", ""}

    # de-identified people: her row on the interception is gone, the others stay
    sita_appearance, gita_appearance = sita.opened_for, gita.opened_for
    rows = read_csv(client, export(manager, "persons", deidentified=True))
    people = {r["person"] for r in rows}
    assert pseudonym("person", sita_appearance.pk) not in people
    assert pseudonym("person", gita_appearance.pk) in people
    assert len(rows) == 3  # Gita, the suspect, Maya

    # de-identified interceptions: she is not counted among the potential victims
    first = files["interceptions"][0]
    rows = read_csv(client, export(manager, "interceptions", deidentified=True))
    counts = {r["record"]: r["potential_victims"] for r in rows}
    assert counts[pseudonym("interception", first.pk)] == "1"

    # identified exports keep everyone: the consent is about research use
    rows = read_csv(client, export(manager, "cases"))
    assert {r["name"] for r in rows} == {"Sita Withdrew", "Gita Stays", "Maya Plain"}
    assert {r["number"]: r["consent_research"] for r in rows}[sita.number] == "withdrawn"
    rows = read_csv(client, export(manager, "persons"))
    assert "Sita Withdrew" in {r["name"] for r in rows}
    rows = read_csv(client, export(manager, "interceptions"))
    assert {r["number"]: r["potential_victims"] for r in rows}[first.number] == "2"


def test_research_given_again_after_a_refusal_puts_her_back(client, manager, files):
    sita = files["cases"]["Sita Withdrew"]
    consent(sita, "research", "refused", manager, days_ago=2)
    login(client, manager)
    assert pseudonym("case", sita.pk) not in {
        r["record"] for r in read_csv(client, export(manager, "cases", deidentified=True))
    }
    consent(sita, "research", "given", manager)
    assert pseudonym("case", sita.pk) in {
        r["record"] for r in read_csv(client, export(manager, "cases", deidentified=True))
    }


def test_the_refusal_follows_her_identity_to_her_other_appearances(client, manager, files, monitor, bhw):
    """The same woman intercepted again (an appearance of the same identity, on another interception) is
    left out of the de-identified people file there too."""
    sita = files["cases"]["Sita Withdrew"]
    withdraw_research(sita, manager)
    later = make_interception(monitor, bhw, people=[person("Sita Again", gender="female", age=16)])
    again = later.interceptees.get().person
    from people.models import Person

    # a reviewer merged the two identities: every appearance of the new one moves to hers
    Person.objects.filter(identity_id=again.identity_id).update(identity_id=sita.person.identity_id)
    login(client, manager)
    people = {r["person"] for r in read_csv(client, export(manager, "persons", deidentified=True))}
    assert pseudonym("person", again.pk) not in people
    # her new case (opened by the second interception) is left out of de-identified cases as well
    records = {r["record"] for r in read_csv(client, export(manager, "cases", deidentified=True))}
    new_case = VictimCase.objects.get(opened_for=again)
    assert pseudonym("case", new_case.pk) not in records


# --- what the file holds ---------------------------------------------------------------------------


def test_the_cases_file_columns(client, manager, case_manager, files):
    sita = files["cases"]["Sita Withdrew"]
    VictimCase.objects.filter(pk=sita.pk).update(
        assigned_to=case_manager, status="active", risk="high", interception_outcome="high_risk_prevented"
    )
    consent(sita, "services", "given", case_manager)
    consent(sita, "information_sharing", "given", case_manager, days_ago=2)
    consent(sita, "information_sharing", "withdrawn", case_manager)
    Interview.objects.create(
        case=sita,
        conducted_on=date.today() - timedelta(days=5),
        conducted_by=case_manager,
        created_by=case_manager,
        acts=["recruitment"],
        means=[],
        purposes=["forced_labour"],
        meets_definition=False,
        narrative="OLD NARRATIVE",
    )
    Interview.objects.create(
        case=sita,
        conducted_on=date.today() - timedelta(days=1),
        conducted_by=case_manager,
        created_by=case_manager,
        acts=["recruitment", "transportation"],
        means=["deception"],
        purposes=["sexual_exploitation"],
        meets_definition=True,
        alarm_score=12,
        willing_to_testify="yes",
        narrative="SECRET NARRATIVE",
        promised="A job in a hotel",
    )
    for kind in ("shelter", "medical"):
        Service.objects.create(
            case=sita, kind=kind, provider="Shelter home", started_on=date.today(), created_by=case_manager
        )
    FollowUp.objects.create(
        case=sita,
        due_on=date.today() - timedelta(days=1),
        method="phone",
        done_on=date.today(),
        situation="safe",
        created_by=case_manager,
    )
    FollowUp.objects.create(case=sita, due_on=date.today(), method="visit", created_by=case_manager)

    login(client, case_manager)
    job = export(case_manager, "cases")
    raw = download(client, job).decode("utf-8-sig")
    assert "NARRATIVE" not in raw and "hotel" not in raw  # never a narrative
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(raw))}
    assert set(rows) == {c.number for c in files["cases"].values() if c.station.code == "BHW"}
    row = rows[sita.number]
    assert row["station"] == "BHW" and row["status"] == "active" and row["source"] == "interception"
    assert row["interception_number"] == files["interceptions"][0].number
    assert row["assigned_to"] == "cm_bhw" and row["risk"] == "high"
    assert row["interception_outcome"] == "high_risk_prevented"
    assert (row["gender"], row["age"], row["name"]) == ("female", "16", "Sita Withdrew")
    assert row["phone"] == "'+9779800000001"  # E.164, kept as text (the formula guard)
    assert (row["consent_services"], row["consent_information_sharing"], row["consent_photo"]) == (
        "given",
        "withdrawn",
        "",
    )
    # the latest interview
    assert row["interview_meets_definition"] == "True"
    assert row["interview_acts"] == "recruitment transportation"
    assert (row["interview_means"], row["interview_purposes"]) == ("deception", "sexual_exploitation")
    assert (row["interview_alarm_score"], row["interview_willing_to_testify"]) == ("12", "yes")
    assert (row["services"], row["follow_ups_done"]) == ("2", "1")
    # a case without an interview has blank interview cells
    other = rows[files["cases"]["Maya Plain"].number]
    assert other["interview_meets_definition"] == "" and other["services"] == "0"

    # de-identified: no names, numbers or phones; months and age bands
    job = export(case_manager, "cases", deidentified=True)
    raw = download(client, job).decode("utf-8-sig")
    for secret in ("Sita", "Gita", "Maya", "+977", sita.number, files["interceptions"][0].number, "cm_bhw"):
        assert secret not in raw
    row = {r["record"]: r for r in csv.DictReader(io.StringIO(raw))}[pseudonym("case", sita.pk)]
    assert row["person"] == pseudonym("person", sita.person_id)
    assert row["interception"] == pseudonym("interception", files["interceptions"][0].pk)
    assert row["month"] == sita.opened_on.strftime("%Y-%m") and row["age_band"] == "14-17"
    assert row["interview_acts"] == "recruitment transportation"


def test_masking_per_station_for_a_director(client, nepal, bhw, brg, files):
    """A director (export, no view_sensitive) gets no name columns; a director who is also a case manager
    at BRG sees the names of BRG's cases and "[restricted]" for the others."""
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    login(client, director)
    raw = download(client, export(director, "cases")).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(raw)))
    assert len(rows) == 4 and not {"name", "phone", "address"} & rows[0].keys()
    assert "Sita" not in raw and "+977" not in raw and "Brg Victim" not in raw

    from accounts.models import Membership

    Membership.objects.create(user=director, role=Role.CASE_MANAGER, station=brg)
    job = export(director, "cases")
    assert job.sensitive_stations == ["BRG"] and sorted(job.stations) == ["BHW", "BRG"]
    names = {r["station"] + ":" + r["name"] for r in read_csv(client, job)}
    assert names == {"BRG:Brg Victim", f"BHW:{MASK}"}
    phones = {r["phone"] for r in read_csv(client, job) if r["station"] == "BHW"}
    assert phones == {MASK}


def test_formula_cells_are_neutralised(client, manager, files):
    sita = files["cases"]["Sita Withdrew"]
    from people.models import Person

    Person.objects.filter(pk=sita.person_id).update(
        full_name='=HYPERLINK("http://evil.example","click")', address="@SUM(1+1)"
    )
    login(client, manager)
    rows = read_csv(client, export(manager, "cases"))
    row = {r["number"]: r for r in rows}[sita.number]
    assert row["name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["address"] == "'@SUM(1+1)"
    job = export(manager, "cases", fmt="xlsx")
    book = load_workbook(io.BytesIO(download(client, job)))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    cells = {sheet.cell(row=i, column=2).value: i for i in range(2, sheet.max_row + 1)}
    name = sheet.cell(row=cells[sita.number], column=header.index("name") + 1)
    assert name.value == '=HYPERLINK("http://evil.example","click")'
    assert name.data_type == "s" and name.quotePrefix  # text, never a formula


# --- through the API and the page ------------------------------------------------------------------


def test_cases_export_through_the_api_end_to_end(
    client, case_manager, files, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        response = api(case_manager).post(
            API,
            {"kind": "cases", "format": "csv", "filters": {"status": "new", "date_from": "2020-01-01"}},
            format="json",
        )
    assert response.status_code == 202, response.json()
    assert response.json()["kind"] == "cases" and len(queued) == 1
    job = run(ExportJob.objects.get(pk=response.json()["id"]))
    status = api(case_manager).get(f"{API}{job.pk}/").json()
    assert status["status"] == "done" and status["row_count"] == 3
    body = api(case_manager).get(status["download_url"])
    assert body.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(body.streaming_content).decode("utf-8-sig"))))
    bhw_cases = {c.number for c in files["cases"].values() if c.station.code == "BHW"}
    assert {r["number"] for r in rows} == bhw_cases  # never BRG's case
    assert job.filters == {"status": "new", "date_from": "2020-01-01"}
    assert job.stations == ["BHW"] and job.sensitive_stations == ["BHW"]
    events = AccessEvent.objects.filter(object_id=str(job.pk), actor=case_manager)
    assert {"export.request", "export.complete", "export.download"} <= set(
        events.values_list("action", flat=True)
    )
    # the filters narrow: nothing opened in the future, nothing closed
    for filters in ({"date_from": (date.today() + timedelta(days=2)).isoformat()}, {"status": "closed"}):
        response = api(case_manager).post(
            API, {"kind": "cases", "format": "csv", "filters": filters}, format="json"
        )
        assert run(ExportJob.objects.get(pk=response.json()["id"])).row_count == 0


def test_bad_case_filters_are_refused(case_manager, files, api):
    for filters in (
        {"status": "submitted"},  # an interception status, not a case status
        {"min_score": "3"},  # an interception filter
        {"date_from": "2026-02-01", "date_to": "2026-01-01"},
    ):
        response = api(case_manager).post(
            API, {"kind": "cases", "format": "csv", "filters": filters}, format="json"
        )
        assert response.status_code == 400 and "filters" in response.json()["error"]["fields"], filters
    assert not ExportJob.objects.exists()


def test_who_may_not_export_cases(client, monitor, nepal, bhw, files, api):
    """A monitor, a legal officer (sees cases, no export) and an auditor cannot export case files: 403 in
    the API, 404 on the page, as for the other kinds; nothing is queued."""
    legal = member(Role.LEGAL_OFFICER, station=bhw, username="legal_bhw")
    auditor = member(Role.AUDITOR, country=nepal, username="auditor_np")
    for user in (monitor, legal, auditor):
        response = api(user).post(API, {"kind": "cases", "format": "csv"}, format="json")
        assert response.status_code == 403, user.username
        login(client, user)
        assert client.post(reverse("exports:list"), {"kind": "cases", "format": "csv"}).status_code == 404
        assert 'id="case-export"' not in client.get(reverse("exports:list")).content.decode()
    assert not ExportJob.objects.exists()


def test_the_exports_page_offers_the_case_export(client, case_manager, files):
    login(client, case_manager)
    html = client.get(reverse("exports:list")).content.decode()
    assert 'id="case-export"' in html and 'value="cases"' in html and 'value="BHW"' in html
    assert 'value="BRG"' not in html  # only the stations where she may export cases
    response = client.post(
        reverse("exports:list"),
        {"kind": "cases", "format": "xlsx", "station": "BHW", "status": "new", "deidentified": "on"},
    )
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("exports:detail", args=[job.pk])
    assert (job.kind, job.format, job.deidentified) == ("cases", "xlsx", True)
    assert job.filters == {"station": "BHW", "status": "new"}
    # a bad filter: the page says so, nothing is queued
    response = client.post(
        reverse("exports:list"),
        {"kind": "cases", "format": "csv", "date_from": "2026-02-01", "date_to": "2026-01-01"},
    )
    assert response.status_code == 200 and ExportJob.objects.count() == 1
    assert "The start date is after the end date." in response.content.decode()


def test_a_case_export_closes_when_her_rights_go(client, case_manager, files):
    job = export(case_manager, "cases")
    login(client, case_manager)
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 200
    call_command("revoke_role", case_manager.username, Role.CASE_MANAGER, "bhw", stdout=io.StringIO())
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404


def test_a_case_export_runs_a_fixed_number_of_queries(
    manager, files, monitor, bhw, django_assert_max_num_queries
):
    job = services.export_request(actor=manager, kind="cases", fmt="csv", deidentified=True, filters={})
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        run(job)
    for n in range(4):
        make_interception(monitor, bhw, people=[person(f"More {n}", gender="female", age=20 + n)])
    job = services.export_request(actor=manager, kind="cases", fmt="csv", deidentified=True, filters={})
    with django_assert_max_num_queries(len(few.captured_queries)):
        job = run(job)
    assert job.row_count == 3 + 4
