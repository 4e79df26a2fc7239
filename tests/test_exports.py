import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.roles import Role
from audit.models import AccessEvent
from exports import services
from exports.models import ExportJob
from interception.models import Interception
from people.models import Person

from .factories import login, make_interception, member, person

pytestmark = pytest.mark.django_db

API = "/api/v1/exports/"


@pytest.fixture
def records(monitor, bhw, brg, other_monitor, catalogue):
    made = [
        make_interception(
            monitor,
            bhw,
            flags=["V01"] if n % 2 else [],
            people=[
                person(
                    f"Victim {n} सीता",
                    gender="female",
                    age=15 + n,
                    phone=f"+97798000000{n:02d}",
                    address=f"Ward {n}, Butwal",
                ),
                person(f"Suspect {n}", role="suspect", phone=f"+97798111111{n:02d}", address="Bhairahawa"),
            ],
            reason=f"Narrative {n}",
            occurred_at=timezone.now() - timedelta(days=n),
        )
        for n in range(6)
    ]
    make_interception(other_monitor, brg, people=[person("Elsewhere Person", phone="+9779822222222")])
    return made


def run(job):
    services.export_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def read_csv(client, job):
    response = client.get(reverse("exports:download", args=[job.pk]))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def list_numbers(client, **filters):
    import re

    html = client.get(reverse("interception:list"), filters).content.decode()
    return set(re.findall(r"[A-Z]{3}-\d{4}-\d{5}", html))


def test_api_request_answers_202_and_the_file_equals_the_list(
    client, manager, records, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        response = api(manager).post(
            API,
            {"kind": "interceptions", "format": "csv", "deidentified": False, "filters": {"min_score": "1"}},
            format="json",
        )
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "queued" and len(queued) == 1
    job = run(ExportJob.objects.get(pk=response.json()["id"]))
    status = api(manager).get(f"{API}{job.pk}/").json()
    assert status["status"] == "done" and status["progress"] == 100 and status["download_url"]
    login(client, manager)
    rows = read_csv(client, job)
    assert {r["number"] for r in rows} == list_numbers(client, min_score=1) != set()
    assert all(r["station"] == "BHW" for r in rows)
    download = api(manager).get(status["download_url"])
    assert download.status_code == 200
    assert AccessEvent.objects.filter(action="export.request", details__filters={"min_score": 1}).exists()
    downloads = AccessEvent.objects.filter(action="export.download", object_id=str(job.pk), actor=manager)
    assert [e.details["rows"] for e in downloads] == [len(rows), len(rows)]  # page and API download


def test_sensitive_columns_only_with_view_sensitive(client, manager, records, nepal):
    job = run(
        services.export_request(actor=manager, kind="persons", fmt="csv", deidentified=False, filters={})
    )
    login(client, manager)
    rows = read_csv(client, job)
    assert {"name", "phone", "address"} <= rows[0].keys()
    assert "Victim 0 सीता" in {r["name"] for r in rows}
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    job = run(
        services.export_request(actor=director, kind="persons", fmt="csv", deidentified=False, filters={})
    )
    login(client, director)
    rows = read_csv(client, job)
    assert not {"name", "phone", "address"} & rows[0].keys()
    body = "".join(",".join(r.values()) for r in rows)
    assert "Victim" not in body and "+977" not in body
    assert len(rows) == 7 * 2 - 1  # every person of every Nepal station the director may export


def test_deidentified_export_contains_no_name_phone_or_address(client, manager, records):
    job = run(
        services.export_request(actor=manager, kind="persons", fmt="csv", deidentified=True, filters={})
    )
    login(client, manager)
    response = client.get(reverse("exports:download", args=[job.pk]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    for name, phone, address in Person.objects.values_list("full_name", "phone", "address"):
        for value in (name, phone, address):
            assert not value or value not in text, value
    for number in Interception.objects.values_list("number", flat=True):
        assert number not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0].keys() == {
        "record",
        "person",
        "station",
        "month",
        "role",
        "gender",
        "age_band",
        "nationality",
        # the whole record: categories and countries only (docs/interceptions.md)
        "destination_country",
        "travel_purpose",
        "suspect_role",
        "documents",
    }
    assert all(len(r["month"]) == 7 and len(r["record"]) == 16 for r in rows)
    assert {r["age_band"] for r in rows if r["role"] == "potential_victim"} <= {"14-17", "18-24"}
    # pseudonyms are stable: the same record gets the same pseudonym in another export
    again = run(
        services.export_request(actor=manager, kind="persons", fmt="csv", deidentified=True, filters={})
    )
    assert sorted(r["person"] for r in rows) == sorted(r["person"] for r in read_csv(client, again))


def test_xlsx_export(client, manager, records):
    job = run(
        services.export_request(
            actor=manager, kind="interceptions", fmt="xlsx", deidentified=False, filters={"station": "BHW"}
        )
    )
    login(client, manager)
    response = client.get(reverse("exports:download", args=[job.pk]))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    values = list(book.active.values)
    assert values[0][:2] == ("id", "number") and len(values) == 1 + 6
    assert "Narrative 0" in {row[-2] for row in values[1:]}


def test_only_the_owner_sees_and_downloads_an_export(client, manager, records, api, nepal):
    job = run(
        services.export_request(
            actor=manager, kind="interceptions", fmt="csv", deidentified=False, filters={}
        )
    )
    other = member(Role.STATION_MANAGER, station=job.user.memberships.first().station, username="mgr2")
    assert api(other).get(f"{API}{job.pk}/").status_code == 404
    assert api(other).get(f"{API}{job.pk}/download/").status_code == 404
    login(client, other)
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404
    assert client.get(reverse("exports:detail", args=[job.pk])).status_code == 404
    assert api().get(f"{API}{job.pk}/").status_code == 401


def test_who_may_not_export_and_bad_input(client, monitor, manager, api):
    assert (
        api(monitor).post(API, {"kind": "interceptions", "format": "csv"}, format="json").status_code == 403
    )
    login(client, monitor)
    assert client.post(reverse("exports:list"), {"kind": "interceptions", "format": "csv"}).status_code == 404
    bad = api(manager).post(API, {"kind": "interceptions", "format": "pdf"}, format="json")
    assert bad.status_code == 400 and "format" in bad.json()["error"]["fields"]
    bad = api(manager).post(
        API, {"kind": "interceptions", "format": "csv", "filters": {"min_score": "x"}}, format="json"
    )
    assert bad.status_code == 400 and "filters" in bad.json()["error"]["fields"]
    assert not ExportJob.objects.exists()


def test_a_finished_export_is_not_redone(manager, records):
    job = run(
        services.export_request(
            actor=manager, kind="interceptions", fmt="csv", deidentified=False, filters={}
        )
    )
    first_file = job.file.name
    assert run(job).file.name == first_file and job.attempts == 1
    assert AccessEvent.objects.filter(action="export.complete", object_id=str(job.pk)).count() == 1


def test_files_are_purged_after_seven_days(manager, records):
    job = run(
        services.export_request(
            actor=manager, kind="interceptions", fmt="csv", deidentified=False, filters={}
        )
    )
    path = job.file.path
    assert services.exports_purge() == 0
    assert services.exports_purge(now=timezone.now() + timedelta(days=8)) == 1
    job.refresh_from_db()
    assert job.status == "expired" and not job.file
    import os

    assert not os.path.exists(path)


def test_export_button_on_the_list_carries_the_filters(
    client, manager, records, django_capture_on_commit_callbacks
):
    login(client, manager)
    html = client.get(
        reverse("interception:list"), {"status": "submitted", "min_score": "1"}
    ).content.decode()
    assert 'id="export-form"' in html and 'name="min_score" value="1"' in html
    response = client.post(
        reverse("exports:list"),
        {"kind": "interceptions", "format": "csv", "status": "submitted", "min_score": "1"},
    )
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("exports:detail", args=[job.pk])
    assert job.filters == {"status": "submitted", "min_score": 1}
    page = client.get(response["Location"]).content.decode()
    assert 'id="export-progress"' in page
