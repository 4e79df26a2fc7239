"""Every write of exports: request, run (in a Celery worker), download, purge."""

import contextlib
import csv
import logging
import os
import re
import time
import traceback
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import holds_anywhere
from accounts.roles import Action
from audit.services import record_event
from core import outbox
from interception.models import private_storage

from . import rows, selectors
from .cells import csv_rows
from .forms import filter_form_class
from .models import ExportFormat, ExportJob, ExportKind, ExportStatus
from .xlsx import XlsxStream

log = logging.getLogger(__name__)

RECORD_TYPE = selectors.RECORD_TYPE
EXPORTS_DIR = "exports"
FILE_MODE, DIR_MODE = 0o600, 0o700  # files with personal data: the owner (the app's user) only
# A leftover (a .part file, or a file no finished job points to) is purged once it is older than the
# longest a run may take (the task's hard time limit) plus a margin, so a running export keeps its file.
LEFTOVER_AGE = timedelta(hours=2)


class ExportFailed(Exception):
    """Raised by a failed run in place of the original error, whose message may quote a cell value (a
    name): the worker's log shows the job id and the error's class only."""


def parse_filters(raw: dict, kind: str = ExportKind.INTERCEPTIONS):
    """The list page's filters, validated by the same form (for `cases`: the case-file export's filters,
    exports.forms.CaseExportFilterForm); bad input is a ValidationError."""
    clean = {k: v for k, v in (raw or {}).items() if v not in (None, "")}
    form = filter_form_class(kind)(clean)
    if not form.is_valid():
        raise ValidationError({"filters": [f"{k}: {' '.join(v)}" for k, v in form.errors.items()]})
    unknown = sorted(set(clean) - set(form.fields))
    if unknown:
        message = _("Unknown filter(s): %(names)s.") % {"names": ", ".join(unknown)}
        raise ValidationError({"filters": [message]})
    return form.filters()


def can_export(user, kind: str) -> bool:
    return holds_anywhere(user, RECORD_TYPE[kind], Action.EXPORT)


def export_request(*, actor, kind: str, fmt: str, deidentified: bool, filters: dict) -> ExportJob:
    if kind not in ExportKind.values:
        values = ", ".join(ExportKind.values)
        raise ValidationError({"kind": _("Choose one of: %(values)s.") % {"values": values}})
    if fmt not in ExportFormat.values:
        values = ", ".join(ExportFormat.values)
        raise ValidationError({"format": _("Choose one of: %(values)s.") % {"values": values}})
    parsed = parse_filters(filters, kind)
    if not can_export(actor, kind):
        raise PermissionDenied(_("You cannot export these records."))
    from .tasks import run_export

    with transaction.atomic():
        job = ExportJob.objects.create(
            user=actor, kind=kind, format=fmt, deidentified=bool(deidentified), filters=parsed.as_details()
        )
        outbox.enqueue(run_export, job.pk)  # sent after the commit, or by the relay if the broker is down
        stations = selectors.export_stations(actor, kind, job.filters.get("station"))
        record_event(  # last: the access log's chain lock is held from here to the commit (docs/audit.md)
            actor=actor,
            action="export.request",
            obj=job,
            stations=stations,
            details={"kind": kind, "format": fmt, "deidentified": job.deidentified, "filters": job.filters},
        )
    return job


def _sensitive_stations(job: ExportJob, stations: list[str]) -> list[str]:
    """Sensitive columns appear only for users who may see sensitive fields where they export: the codes
    of those stations (none for a de-identified file)."""
    return [] if job.deidentified else selectors.sensitive_stations(job.user, stations, job.kind)


def _private_dir(relative: str) -> Path:
    """The folder `relative` (inside private storage), created owner-only (0700) at every level below the
    storage root, whatever the process umask."""
    root = Path(private_storage.path(""))
    if not root.is_dir():
        root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(root, DIR_MODE)
    path = root
    for part in (root / relative).relative_to(root).parts:
        path = path / part
        path.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(path, DIR_MODE)
    return path


def _private_file(path: str, mode: str = "wb", **kwargs):
    """A new file open for writing, created owner-only (0600) whatever the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)  # never through a link
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        return open(fd, mode, **kwargs)  # noqa: SIM115 - the caller closes it
    except BaseException:
        os.close(fd)
        raise


class _CsvWriter:
    def __init__(self, path):
        self.handle = _private_file(path, "w", newline="", encoding="utf-8", errors="replace")
        self.handle.write("\ufeff")  # so spreadsheet programs read the UTF-8 (Devanagari) correctly
        self.writer = csv.writer(self.handle)

    def append(self, row):
        self.append_many([row])

    def append_many(self, rows):
        """Many rows at once: every text cell through `csv_value` (formula-like text gets its `'`)."""
        self.writer.writerows(csv_rows(rows))

    def close(self):
        self.handle.close()

    abort = close


class _XlsxWriter:
    """The rows streamed into the zip as they come (exports/xlsx.py); nothing is kept in memory or in a
    temporary file but the `.part` file itself."""

    def __init__(self, path):
        self.handle = _private_file(path, "wb")
        try:
            self.stream = XlsxStream(self.handle)
        except BaseException:
            self.handle.close()
            raise

    def append(self, row):
        self.stream.append(row)

    def append_many(self, rows):
        self.stream.append_many(rows)

    def close(self):
        try:
            self.stream.close()
        finally:
            self.handle.close()

    def abort(self):
        """Close the half-written file (the caller removes it)."""
        try:
            with contextlib.suppress(Exception):  # a half-written zip may fail to close; its file goes anyway
                self.stream.abort()
        finally:
            self.handle.close()


def _remove(path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _part_name(job: ExportJob, attempt: int | str) -> str:
    return f"{EXPORTS_DIR}/{job.user_id}/.{job.pk}-attempt{attempt}.part"


def _remove_parts(job: ExportJob) -> None:
    """Remove the partial files of this job's earlier attempts (a worker killed part-way leaves one)."""
    folder = Path(private_storage.path(f"{EXPORTS_DIR}/{job.user_id}"))
    for path in folder.glob(f".{job.pk}-attempt*.part"):
        _remove(path)


def export_run(*, job_id: int) -> ExportJob | None:
    """Write the file. Safe to run twice: a finished job is left alone; a job whose worker died part-way
    starts again from the first row into a fresh file."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().select_related("user").filter(pk=job_id).first()
        if job is None or job.status in (ExportStatus.DONE, ExportStatus.EXPIRED):
            return job
        job.status, job.progress, job.row_count = ExportStatus.RUNNING, 0, 0
        job.attempts += 1
        job.started_at = timezone.now()
        job.save(update_fields=["status", "progress", "row_count", "attempts", "started_at"])

    writer = tmp_path = iterator = None
    try:
        filters = parse_filters(job.filters, job.kind)
        stations = selectors.export_stations(job.user, job.kind, filters.station)
        sensitive = _sensitive_stations(job, stations)
        ExportJob.objects.filter(pk=job.pk).update(stations=stations, sensitive_stations=sensitive)
        job.stations, job.sensitive_stations = stations, sensitive
        final_name = f"{EXPORTS_DIR}/{job.user_id}/{job.pk}-{job.filename}"
        _private_dir(f"{EXPORTS_DIR}/{job.user_id}")
        _remove_parts(job)  # what an earlier, interrupted attempt left
        tmp_path = private_storage.path(_part_name(job, job.attempts))
        writer = (_XlsxWriter if job.format == ExportFormat.XLSX else _CsvWriter)(tmp_path)
        header, total, iterator = rows.rows(
            job.kind,
            job.user,
            filters,
            deidentified=job.deidentified,
            sensitive=bool(sensitive),
            chunk_size=settings.EXPORT_CHUNK_SIZE,
        )
        ExportJob.objects.filter(pk=job.pk).update(total_rows=total)
        writer.append(header)
        count, step = 0, max(1, settings.EXPORT_CHUNK_SIZE)
        for chunk in iterator:
            writer.append_many(chunk)
            count += len(chunk)
            if count % step == 0:  # after each full chunk
                ExportJob.objects.filter(pk=job.pk).update(
                    progress=min(99, count * 100 // max(total, 1)), row_count=count
                )
                if settings.EXPORT_PAUSE_PER_CHUNK:
                    time.sleep(settings.EXPORT_PAUSE_PER_CHUNK)
        writer.close()
        writer = None
        os.replace(tmp_path, private_storage.path(final_name))
    except Exception as exc:
        if iterator is not None:
            iterator.close()  # closes the server-side cursor now, while the connection is sound
        if writer is not None:
            writer.abort()
        if tmp_path is not None:
            _remove(tmp_path)
        _finish_failed(job, exc)
        # The original error's message may quote a cell value (a name): it stays out of the worker's log.
        raise ExportFailed(f"Export {job.pk} failed ({exc.__class__.__name__})") from None
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.DONE,
            progress=100,
            row_count=count,
            file=final_name,
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
        _notify(job, ok=True)
        record_event(  # last: the access log's chain lock is held from here to the commit (docs/audit.md)
            actor=job.user,
            action="export.complete",
            obj=job,
            stations=job.stations,
            details={
                "kind": job.kind,
                "rows": count,
                "filters": job.filters,
                "deidentified": job.deidentified,
                "sensitive": bool(job.sensitive_stations),
            },
        )
    return job


def _where(exc: BaseException) -> str:
    """Where an error was raised (file and line): no values."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"


def _finish_failed(job: ExportJob, exc: Exception) -> None:
    # The class and place of the error, never its message or traceback: they may quote a cell (a name).
    log.error("Export %s failed: %s at %s", job.pk, exc.__class__.__name__, _where(exc))
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=f"{exc.__class__.__name__}"[:300], finished_at=timezone.now()
        )
        job.refresh_from_db()
        _notify(job, ok=False)
        record_event(  # last: the access log's chain lock is held from here to the commit (docs/audit.md)
            actor=job.user,
            action="export.failed",
            obj=job,
            stations=job.stations,
            details={"error": job.error},
        )


def _notify(job: ExportJob, *, ok: bool) -> None:
    from alerts.services import notify_export_finished

    notify_export_finished(job_id=job.pk, user=job.user, ok=ok, url=reverse("exports:detail", args=[job.pk]))


def export_download(*, actor, job: ExportJob):
    """Open the finished file for its owner, who must still hold the rights it was written with (export at
    every station it covers, view_sensitive where it shows names): otherwise PermissionDenied, logged as
    a denied attempt. The download is logged with the row count and the stations it covers."""
    if job.status != ExportStatus.DONE or not job.file:
        raise ValidationError(_("This export is not ready."))
    if actor is None or actor.pk != job.user_id or not selectors.rights_hold(job):
        if getattr(actor, "is_authenticated", False):
            record_event(
                actor=actor,
                action="access.denied",
                object_type="exportjob",
                object_id=job.pk,
                stations=job.stations,
                details={"action": "download"},
            )
        raise PermissionDenied(_("You no longer hold the rights this export was made with."))
    record_event(
        actor=actor,
        action="export.download",
        obj=job,
        stations=job.stations,
        details={
            "kind": job.kind,
            "rows": job.row_count,
            "filters": job.filters,
            "deidentified": job.deidentified,
        },
    )
    return job.file.open("rb")


def exports_purge(*, now=None) -> int:
    """Delete the files of exports older than EXPORT_RETENTION_DAYS, then the leftovers in the exports
    folder (`_purge_leftovers`). Safe to run any time, any number of times; returns the jobs expired."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.EXPORT_RETENTION_DAYS)
    purged = 0
    for job in (
        ExportJob.objects.filter(created_at__lt=cutoff).exclude(status=ExportStatus.EXPIRED).iterator()
    ):
        if job.file:
            job.file.storage.delete(job.file.name)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.EXPIRED, file="")
        record_event(
            actor=None,
            action="export.purge",
            obj=job,
            stations=job.stations,
            details={"rows": job.row_count},
        )
        purged += 1
    _purge_leftovers(now)
    return purged


_JOB_FILE = re.compile(r"^\.?(\d+)-")


def _purge_leftovers(now) -> int:
    """Remove what no finished job points to: partial files of failed, retried or killed runs, and files
    whose job failed, expired or is gone. A file written to within LEFTOVER_AGE is kept while its job is
    queued, running or just done (it is being written or renamed). Logs a count, never file names."""
    root = Path(private_storage.path(EXPORTS_DIR))
    if not root.is_dir():
        return 0
    files = []
    for path in root.rglob("*"):
        if path.is_file() or path.is_symlink():
            match = _JOB_FILE.match(path.name)
            files.append((path, path.relative_to(root.parent).as_posix(), int(match[1]) if match else None))
    jobs = {
        pk: (status, name)
        for pk, status, name in ExportJob.objects.filter(
            pk__in={pk for *_, pk in files if pk is not None}
        ).values_list("pk", "status", "file")
    }
    live = (ExportStatus.QUEUED, ExportStatus.RUNNING, ExportStatus.DONE)
    stale_before = (now - LEFTOVER_AGE).timestamp()
    removed = 0
    for path, name, pk in files:
        status, job_file = jobs.get(pk, (None, None))
        if status == ExportStatus.DONE and job_file == name:
            continue  # a finished export's file: it goes with the job, after the retention period
        try:
            young = path.lstat().st_mtime > stale_before
        except FileNotFoundError:
            continue
        if young and (status in live or pk is None):
            continue
        _remove(path)
        removed += 1
    if removed:
        log.info("Export purge removed %s leftover file(s)", removed)
    return removed
