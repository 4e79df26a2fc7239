"""Every write of exports: request, run (in a Celery worker), download, purge."""

import csv
import logging
import os
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.access import stations_for
from accounts.roles import Action
from audit.services import record_event
from interception.forms import InterceptionFilterForm
from interception.models import private_storage

from . import rows
from .models import ExportFormat, ExportJob, ExportKind, ExportStatus

log = logging.getLogger(__name__)

RECORD_TYPE = {ExportKind.INTERCEPTIONS: "interception", ExportKind.PERSONS: "person"}


def parse_filters(raw: dict):
    """The list page's filters, validated by the same form; bad input is a ValidationError."""
    clean = {k: v for k, v in (raw or {}).items() if v not in (None, "")}
    form = InterceptionFilterForm(clean)
    if not form.is_valid():
        raise ValidationError({"filters": [f"{k}: {' '.join(v)}" for k, v in form.errors.items()]})
    unknown = sorted(set(clean) - set(form.fields))
    if unknown:
        raise ValidationError({"filters": [f"Unknown filter(s): {', '.join(unknown)}."]})
    return form.filters()


def can_export(user, kind: str) -> bool:
    return stations_for(user, RECORD_TYPE[kind], Action.EXPORT).exists()


def export_request(*, actor, kind: str, fmt: str, deidentified: bool, filters: dict) -> ExportJob:
    if kind not in ExportKind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(ExportKind.values)}."})
    if fmt not in ExportFormat.values:
        raise ValidationError({"format": f"Choose one of: {', '.join(ExportFormat.values)}."})
    parsed = parse_filters(filters)
    if not can_export(actor, kind):
        raise PermissionDenied("You cannot export these records.")
    from .tasks import run_export

    with transaction.atomic():
        job = ExportJob.objects.create(
            user=actor, kind=kind, format=fmt, deidentified=bool(deidentified), filters=parsed.as_details()
        )
        record_event(
            actor=actor,
            action="export.request",
            obj=job,
            details={"kind": kind, "format": fmt, "deidentified": job.deidentified, "filters": job.filters},
        )
        transaction.on_commit(lambda: run_export.delay(job.pk))
    return job


def _includes_sensitive(job: ExportJob) -> bool:
    """Sensitive columns appear only for users who may see sensitive fields where they export."""
    if job.deidentified:
        return False
    record_type = RECORD_TYPE[job.kind]
    exportable = stations_for(job.user, record_type, Action.EXPORT).values("pk")
    return stations_for(job.user, "interception", Action.VIEW_SENSITIVE).filter(pk__in=exportable).exists()


class _CsvWriter:
    def __init__(self, path):
        self.handle = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self.handle.write("\ufeff")  # so spreadsheet programs read the UTF-8 (Devanagari) correctly
        self.writer = csv.writer(self.handle)

    def append(self, row):
        self.writer.writerow(row)

    def close(self):
        self.handle.close()


class _XlsxWriter:
    def __init__(self, path):
        from openpyxl import Workbook

        self.path = path
        self.book = Workbook(write_only=True)  # rows go to disk as they come
        self.sheet = self.book.create_sheet("export")

    def append(self, row):
        self.sheet.append(row)

    def close(self):
        self.book.save(self.path)


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

    filters = parse_filters(job.filters)
    final_name = f"exports/{job.user_id}/{job.pk}-{job.filename}"
    tmp_name = f"exports/{job.user_id}/.{job.pk}-attempt{job.attempts}.part"
    tmp_path = private_storage.path(tmp_name)
    os.makedirs(os.path.dirname(tmp_path), exist_ok=True)
    writer = (_XlsxWriter if job.format == ExportFormat.XLSX else _CsvWriter)(tmp_path)
    try:
        header, total, iterator = rows.rows(
            job.kind,
            job.user,
            filters,
            deidentified=job.deidentified,
            sensitive=_includes_sensitive(job),
            chunk_size=settings.EXPORT_CHUNK_SIZE,
        )
        ExportJob.objects.filter(pk=job.pk).update(total_rows=total)
        writer.append(header)
        count, step = 0, max(1, settings.EXPORT_CHUNK_SIZE)
        for row in iterator:
            writer.append(row)
            count += 1
            if count % step == 0:
                ExportJob.objects.filter(pk=job.pk).update(
                    progress=min(99, count * 100 // max(total, 1)), row_count=count
                )
                if settings.EXPORT_PAUSE_PER_CHUNK:
                    time.sleep(settings.EXPORT_PAUSE_PER_CHUNK)
        writer.close()
        os.replace(tmp_path, private_storage.path(final_name))
    except Exception as exc:
        _finish_failed(job, exc)
        raise
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.DONE,
            progress=100,
            row_count=count,
            file=final_name,
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
        record_event(
            actor=job.user,
            action="export.complete",
            obj=job,
            details={
                "kind": job.kind,
                "rows": count,
                "filters": job.filters,
                "deidentified": job.deidentified,
            },
        )
        _notify(job, ok=True)
    return job


def _finish_failed(job: ExportJob, exc: Exception) -> None:
    log.exception("Export %s failed", job.pk)
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=f"{exc.__class__.__name__}"[:300], finished_at=timezone.now()
        )
        job.refresh_from_db()
        record_event(actor=job.user, action="export.failed", obj=job, details={"error": job.error})
        _notify(job, ok=False)


def _notify(job: ExportJob, *, ok: bool) -> None:
    from alerts.services import notify_export_finished

    notify_export_finished(job_id=job.pk, user=job.user, ok=ok, url=reverse("exports:detail", args=[job.pk]))


def export_download(*, actor, job: ExportJob):
    """Open the finished file for its owner; the download is logged with the row count."""
    if job.status != ExportStatus.DONE or not job.file:
        raise ValidationError("This export is not ready.")
    record_event(
        actor=actor,
        action="export.download",
        obj=job,
        details={
            "kind": job.kind,
            "rows": job.row_count,
            "filters": job.filters,
            "deidentified": job.deidentified,
        },
    )
    return job.file.open("rb")


def exports_purge(*, now=None) -> int:
    """Delete the files of exports older than EXPORT_RETENTION_DAYS. Safe to run any time, any number of
    times."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EXPORT_RETENTION_DAYS)
    purged = 0
    for job in (
        ExportJob.objects.filter(created_at__lt=cutoff).exclude(status=ExportStatus.EXPIRED).iterator()
    ):
        if job.file:
            job.file.storage.delete(job.file.name)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.EXPIRED, file="")
        record_event(actor=None, action="export.purge", obj=job, details={"rows": job.row_count})
        purged += 1
    return purged
