"""Export files (issue 7, items 6 and 7): hostile text stays text in CSV and XLSX, a download re-checks the
owner's current rights, partial and leftover files go, files and folders are owner-only; `revoke_role`.

Downloads go through HTTP with a logged-in session (the request with the form's CSRF token); one test runs
the real Celery worker on the real Redis broker."""

import csv
import dataclasses
import io
import logging
import os
import re
import stat
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Membership
from accounts.roles import Role
from accounts.services import user_deactivate
from audit.models import AccessEvent
from config.celery import app
from exports import rows, services
from exports.cells import MAX_CELL_CHARS, REPLACEMENT
from exports.models import ExportJob
from interception.models import Interception, private_storage
from interception.services import attachment_add
from people.models import Person

from .factories import login, make_interception, member, person, wait_for

API = "/api/v1/exports/"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Names as a hostile monitor (or an import) could leave them; each must arrive as the same text.
HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "@SUM(1)",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "\tTab name",
    "\rReturn name",
    "=1+1\r\n=2+2",
]
LONG_REASON = "=" + "A" * 40_000  # longer than a spreadsheet cell holds


def in_xlsx(text: str) -> str:
    """XML has no bare carriage return: an XLSX cell holds line ends as newlines."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- helpers ---------------------------------------------------------------------------------------------


def session_client(user) -> Client:
    """A browser-like client: a logged-in session (past MFA) that must send the CSRF token."""
    return login(Client(enforce_csrf_checks=True), user)


def csrf_token(client) -> str:
    html = client.get(reverse("interception:list")).content.decode()
    assert 'id="export-form"' in html
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def request_export(client, kind: str, fmt: str, **filters) -> ExportJob:
    """Ask for an export as the interception list page's export button does."""
    data = {"kind": kind, "format": fmt, "csrfmiddlewaretoken": csrf_token(client), **filters}
    response = client.post(reverse("exports:list"), data)
    assert response.status_code == 302, response.content[:500]
    return ExportJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def ask(user, fmt: str = "csv") -> ExportJob:
    return services.export_request(actor=user, kind="persons", fmt=fmt, deidentified=False, filters={})


def run(job) -> ExportJob:
    services.export_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def download(client, job) -> bytes:
    response = client.get(reverse("exports:download", args=[job.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_cells(data: bytes):
    return list(load_workbook(io.BytesIO(data)).active.iter_rows())


def hostile_records(monitor, bhw):
    """Interceptions whose suspects bear the hostile names (written as stored data arrives: the forms
    trim names, an import or the admin may not)."""
    made = []
    for n, name in enumerate(HOSTILE):
        interception = make_interception(
            monitor, bhw, people=[person(f"Victim {n}"), person(f"Suspect {n}", role="suspect")]
        )
        Person.objects.filter(appearances__interception=interception, full_name=f"Suspect {n}").update(
            full_name=name, address="Esc\x1b[31mred\x7f"
        )
        made.append(interception)
    Interception.objects.filter(pk=made[0].pk).update(reason=LONG_REASON)
    return made


def modes(*paths) -> list[int]:
    return [stat.S_IMODE(os.stat(p).st_mode) for p in paths]


@contextmanager
def umask(mask):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


# --- item 6: cells are text ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_hostile_names_arrive_as_plain_text_in_a_downloaded_csv(manager, monitor, bhw):
    hostile_records(monitor, bhw)
    client = session_client(manager)
    job = run(request_export(client, "persons", "csv"))
    assert job.status == "done"
    cells = csv_cells(download(client, job))
    header, body = cells[0], cells[1:]
    names = [row[header.index("name")] for row in body]
    for name in HOSTILE:
        assert "'" + name in names, name  # OWASP: a leading apostrophe, then the text as it was
    assert {row[header.index("address")] for row in body if row[header.index("role")] == "suspect"} == {
        f"Esc{REPLACEMENT}[31mred{REPLACEMENT}"
    }
    for row in cells:
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell
    # The interception file: a 40,000-character narrative is cut to what a cell holds, as text.
    job = run(request_export(client, "interceptions", "csv"))
    cells = csv_cells(download(client, job))
    reason = cells[0].index("reason")
    (long,) = [row[reason] for row in cells[1:] if len(row[reason]) > 1000]
    assert long == "'" + LONG_REASON[: MAX_CELL_CHARS - 1] and len(long) == MAX_CELL_CHARS


@pytest.mark.django_db
def test_hostile_names_arrive_as_text_cells_never_formulas_in_a_downloaded_xlsx(manager, monitor, bhw):
    hostile_records(monitor, bhw)
    client = session_client(manager)
    job = run(request_export(client, "persons", "xlsx"))
    sheet = xlsx_cells(download(client, job))
    assert all(cell.data_type != "f" for row in sheet for cell in row)
    header = [cell.value for cell in sheet[0]]
    by_name = {row[header.index("name")].value: row[header.index("name")] for row in sheet[1:]}
    for name in HOSTILE:
        cell = by_name[in_xlsx(name)]  # the text as stored, marked as text (Excel's own quote prefix)
        assert cell.data_type == "s" and cell.quotePrefix, name
    assert not by_name["Victim 0"].quotePrefix
    job = run(request_export(client, "interceptions", "xlsx"))
    sheet = xlsx_cells(download(client, job))
    reason = [cell.value for cell in sheet[0]].index("reason")
    (long,) = [row[reason] for row in sheet[1:] if len(row[reason].value or "") > 1000]
    assert long.data_type == "s" and long.value == LONG_REASON[: MAX_CELL_CHARS - 1]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_text_no_database_could_hold_still_makes_a_file_that_opens(tmp_path, fmt):
    """NUL, escape, a lone surrogate, non-characters: replaced, and the file is still written and read."""
    row = ["\x00\x1b", "a\ud800b", "\ufffe\uffff", "x" * 40_000, "@SUM(1)", "tab\tinside\nlines", 7, None]
    path = tmp_path / f"out.{fmt}"
    writer = (services._XlsxWriter if fmt == "xlsx" else services._CsvWriter)(str(path))
    writer.append(["a", "b", "c", "d", "e", "f", "g", "h"])
    writer.append(row)
    writer.close()
    r = REPLACEMENT
    expected = [r * 2, f"a{r}b", r * 2, "x" * MAX_CELL_CHARS, "@SUM(1)", "tab\tinside\nlines"]
    if fmt == "csv":
        got = csv_cells(path.read_bytes())[1]
        assert got[:6] == expected[:4] + ["'@SUM(1)", expected[5]] and got[6:] == ["7", ""]
    else:
        got = xlsx_cells(path.read_bytes())[1]
        assert [c.value for c in got] == [*expected, 7, None]
        assert [c.data_type for c in got[:6]] == ["s"] * 6 and got[4].quotePrefix


@pytest.mark.django_db
def test_a_failed_export_leaves_no_partial_file_and_logs_no_name(manager, monitor, bhw, monkeypatch, caplog):
    make_interception(monitor, bhw, people=[person("Sita Tamang"), person("Maya Gurung")])
    original = rows.KINDS["persons"]

    def failing(r, ctx):
        if r.person__full_name == "Maya Gurung":
            raise ValueError(f"cannot write {r.person__full_name!r}")  # as a library error might quote it
        return original.row(r, ctx)

    monkeypatch.setitem(rows.KINDS, "persons", dataclasses.replace(original, row=failing))
    job = ask(manager, "xlsx")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(services.ExportFailed) as raised:
        services.export_run(job_id=job.pk)
    assert "Maya" not in str(raised.value) and raised.value.__suppress_context__
    logged = " ".join(
        f"{r.getMessage()} {r.exc_text or ''} {r.exc_info or ''}"
        for r in caplog.records
        if r.name != "django.db"
    )
    assert "Export" in logged and "ValueError" in logged and "Maya" not in logged
    job.refresh_from_db()
    assert (job.status, job.error, job.file.name) == ("failed", "ValueError", "")
    folder = Path(private_storage.path(f"exports/{manager.pk}"))
    assert list(folder.iterdir()) == []  # the .part file is gone
    event = AccessEvent.objects.get(action="export.failed", object_id=str(job.pk))
    assert event.details["stations"] == ["BHW"] and "Maya" not in str(event.details)


@pytest.mark.django_db
def test_a_retried_export_removes_the_partial_file_of_the_interrupted_attempt(manager, monitor, bhw):
    make_interception(monitor, bhw)
    job = ask(manager)
    folder = Path(private_storage.path(f"exports/{manager.pk}"))
    folder.mkdir(parents=True)
    killed = folder / f".{job.pk}-attempt1.part"  # what a worker killed during attempt 1 left
    killed.write_text("Sita Tamang,+9779800000000\n")
    ExportJob.objects.filter(pk=job.pk).update(status="running", attempts=1)
    job = run(job)
    assert job.status == "done" and job.attempts == 2
    assert sorted(p.name for p in folder.iterdir()) == [Path(job.file.name).name]


@pytest.mark.django_db
def test_the_hourly_purge_removes_leftovers_and_keeps_live_files(manager, monitor, bhw):
    make_interception(monitor, bhw)
    done = run(ask(manager))
    running = services.export_request(
        actor=manager, kind="persons", fmt="csv", deidentified=False, filters={}
    )
    failed = ask(manager)
    ExportJob.objects.filter(pk=running.pk).update(status="running", attempts=2)
    ExportJob.objects.filter(pk=failed.pk).update(status="failed")
    folder = Path(private_storage.path(f"exports/{manager.pk}"))
    hours_ago = time.time() - 3 * 3600

    def leftover(name, old=False):
        path = folder / name
        path.write_text("Sita Tamang\n")
        if old:
            os.utime(path, (hours_ago, hours_ago))
        return path

    kept = [
        Path(done.file.path),
        leftover(f".{running.pk}-attempt2.part"),  # being written right now
        leftover("unknown.tmp"),  # not ours by name, and fresh: given the same grace
    ]
    removed = [
        leftover(f".{running.pk}-attempt1.part", old=True),  # from a killed attempt, untouched for hours
        leftover(f".{failed.pk}-attempt1.part"),  # its job failed
        leftover(f"{failed.pk}-persons-20260101-0000.csv"),
        leftover("999999-persons-20260101-0000.csv"),  # no such job
        leftover("unknown-old.tmp", old=True),
    ]
    assert settings.CELERY_BEAT_SCHEDULE["purge-expired-exports"] == {
        "task": "exports.tasks.purge_expired_exports",
        "schedule": 3600.0,
    }
    from exports.tasks import purge_expired_exports

    assert purge_expired_exports() == 0  # no job expired
    assert [p.exists() for p in kept] == [True] * len(kept)
    assert [p.exists() for p in removed] == [False] * len(removed)
    done.refresh_from_db()
    assert done.status == "done"


@pytest.mark.django_db
def test_export_files_attachments_and_their_folders_are_owner_only_whatever_the_umask(manager, monitor, bhw):
    interception = make_interception(monitor, bhw)
    with umask(0o000):
        paths = [
            run(
                services.export_request(
                    actor=manager, kind="persons", fmt=fmt, deidentified=False, filters={}
                )
            ).file.path
            for fmt in ("csv", "xlsx")
        ]
        photo = SimpleUploadedFile("p.png", PNG, content_type="image/png")
        attachment = attachment_add(actor=monitor, interception=interception, uploaded_file=photo)
    root = Path(private_storage.path(""))
    assert modes(*paths) == [0o600, 0o600]
    assert modes(root / "exports", root / f"exports/{manager.pk}") == [0o700, 0o700]
    stored = Path(attachment.file.path)
    assert modes(stored) == [0o600]
    folders = [p for p in stored.parents if root in p.parents]
    assert folders and modes(*folders) == [0o700] * len(folders)


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


# --- item 7: a download re-checks the owner's rights -------------------------------------------------------


@pytest.mark.django_db
def test_a_download_gives_404_once_the_role_is_revoked(manager, monitor, bhw, api):
    make_interception(monitor, bhw)
    client = session_client(manager)
    job = run(request_export(client, "persons", "csv"))
    assert download(client, job)
    assert api(manager).get(f"{API}{job.pk}/download/").status_code == 200
    downloads = AccessEvent.objects.filter(action="export.download").count()

    call_command("revoke_role", manager.username, Role.STATION_MANAGER, "bhw", stdout=io.StringIO())
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404
    assert api(manager).get(f"{API}{job.pk}/download/").status_code == 404
    assert AccessEvent.objects.filter(action="export.download").count() == downloads
    denied = AccessEvent.objects.filter(action="access.denied", actor=manager)
    assert denied.count() == 2
    assert {(e.object_type, e.object_id, tuple(e.details["stations"])) for e in denied} == {
        ("exportjob", str(job.pk), ("BHW",))
    }
    Membership.objects.create(user=manager, role=Role.STATION_MANAGER, station=bhw)
    assert download(client, job)  # the same file, with the rights back


@pytest.mark.django_db
def test_a_download_gives_404_when_the_owner_lost_export_at_a_station_the_file_covers(
    monitor, other_monitor, bhw, brg, nepal
):
    make_interception(monitor, bhw)
    make_interception(other_monitor, brg)
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    client = session_client(director)
    both = run(request_export(client, "interceptions", "csv"))
    only_bhw = run(request_export(client, "interceptions", "csv", station="BHW"))
    assert (both.stations, only_bhw.stations, both.row_count) == (["BHW", "BRG"], ["BHW"], 2)
    call_command("revoke_role", "dir_np", Role.COUNTRY_DIRECTOR, "np", "--country", stdout=io.StringIO())
    Membership.objects.create(user=director, role=Role.COUNTRY_DIRECTOR, station=bhw)
    assert client.get(reverse("exports:download", args=[both.pk])).status_code == 404
    assert len(csv_cells(download(client, only_bhw))) == 2  # a file of BHW only is still theirs


@pytest.mark.django_db
def test_a_file_with_names_closes_when_the_owner_may_no_longer_see_names(manager, monitor, bhw):
    make_interception(monitor, bhw)
    client = session_client(manager)
    with_names = run(request_export(client, "persons", "csv"))
    deidentified = run(request_export(client, "persons", "csv", deidentified="on"))
    assert (with_names.sensitive_stations, deidentified.sensitive_stations) == (["BHW"], [])
    # demoted: may still export at BHW, but no longer see names and phones
    Membership.objects.filter(user=manager).update(role=Role.COUNTRY_DIRECTOR)
    assert client.get(reverse("exports:download", args=[with_names.pk])).status_code == 404
    assert download(client, deidentified)


@pytest.mark.django_db
def test_a_deactivated_owner_gets_no_file(manager, monitor, bhw, api):
    make_interception(monitor, bhw)
    job = run(ask(manager))
    user_deactivate(actor=None, user=manager)
    manager.refresh_from_db()
    with pytest.raises(services.PermissionDenied):
        services.export_download(actor=manager, job=job)
    assert api(manager).get(f"{API}{job.pk}/download/").status_code in (401, 404)


@pytest.mark.django_db
def test_export_events_name_the_stations_the_file_covers(manager, monitor, bhw, brg, nepal):
    make_interception(monitor, bhw)
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    client = session_client(director)
    job = run(request_export(client, "interceptions", "csv", station="brg"))
    download(client, job)
    services.exports_purge(now=job.created_at + services.timedelta(days=settings.EXPORT_RETENTION_DAYS + 1))
    events = AccessEvent.objects.filter(object_type="exportjob", object_id=str(job.pk))
    assert {e.action: e.details["stations"] for e in events} == {
        "export.request": ["BRG"],
        "export.complete": ["BRG"],
        "export.download": ["BRG"],
        "export.purge": ["BRG"],
    }


# --- revoke_role -------------------------------------------------------------------------------------------


def command(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_revoke_role_takes_a_station_or_country_role_away_and_is_audited(bhw, brg, nepal):
    user = member(Role.MONITOR, station=bhw, username="sita")
    Membership.objects.create(user=user, role=Role.MONITOR, station=brg)
    Membership.objects.create(user=user, role=Role.COUNTRY_DIRECTOR, country=nepal)
    assert "sita is no longer monitor at BHW" in command("revoke_role", "sita", "monitor", "bhw")
    assert set(user.memberships.values_list("role", "station__code", "country__code")) == {
        ("monitor", "BRG", None),
        ("country_director", None, "NP"),
    }
    event = AccessEvent.objects.get(action="role.revoke")
    assert (event.actor, event.station, event.details["role"]) == (None, bhw, "monitor")
    assert "nothing to revoke" in command("revoke_role", "sita", "monitor", "BHW")
    assert AccessEvent.objects.filter(action="role.revoke").count() == 1
    assert "no longer country_director at country NP" in command(
        "revoke_role", "sita", "country_director", "NP", "--country"
    )
    assert list(user.memberships.values_list("role", "station__code")) == [("monitor", "BRG")]
    for args, message in [
        (("nobody", "monitor", "BHW"), "No user named"),
        (("sita", "monitor", "NOPE"), "No station"),
        (("sita", "country_director", "XX", "--country"), "No country"),
    ]:
        with pytest.raises(CommandError, match=message):
            command("revoke_role", *args)
    with pytest.raises(CommandError):
        command("revoke_role", "sita", "wizard", "BRG")
    assert user.memberships.count() == 1


# --- the real worker ---------------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_writes_hostile_names_as_text_into_owner_only_files(manager, monitor, bhw):
    hostile_records(monitor, bhw)
    client = session_client(manager)
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    with umask(0o022), start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        jobs = [request_export(client, "persons", fmt) for fmt in ("csv", "xlsx")]
        assert wait_for(lambda: {j.status for j in ExportJob.objects.all()} == {"done"}, timeout=30)
    csv_job, xlsx_job = (ExportJob.objects.get(pk=j.pk) for j in jobs)
    cells = csv_cells(download(client, csv_job))
    names = {row[cells[0].index("name")] for row in cells[1:]}
    assert {"'" + name for name in HOSTILE} <= names
    assert not any(cell.startswith(FORMULA_START) for row in cells for cell in row)
    sheet = xlsx_cells(download(client, xlsx_job))
    assert all(cell.data_type != "f" for row in sheet for cell in row)
    assert {in_xlsx(name) for name in HOSTILE} <= {cell.value for row in sheet for cell in row}
    folder = Path(csv_job.file.path).parent
    assert modes(csv_job.file.path, xlsx_job.file.path, folder) == [0o600, 0o600, 0o700]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        Path(j.file.name).name for j in (csv_job, xlsx_job)
    )
