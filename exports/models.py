from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from interception.models import get_private_storage


class ExportKind(models.TextChoices):
    INTERCEPTIONS = "interceptions", _("Interceptions")
    PERSONS = "persons", _("People on interceptions")
    CASES = "cases", _("Victim case files")
    LEGAL_CASES = "legal_cases", _("Legal cases (one row per charge)")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", _("Excel (XLSX)")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


def export_path(instance, filename: str) -> str:
    return f"exports/{instance.user_id}/{filename}"


class ExportJob(models.Model):
    """One export a user asked for. The file is private, downloadable only by that user, and deleted
    after EXPORT_RETENTION_DAYS by a periodic task."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports")
    kind = models.CharField(max_length=20, choices=ExportKind.choices)
    format = models.CharField(max_length=5, choices=ExportFormat.choices)
    deidentified = models.BooleanField(default=False)
    filters = models.JSONField(default=dict, blank=True)
    # The rights the file was written with, re-checked at every download (docs/exports.md): the codes of
    # the stations it covers (where the user could export, narrowed by the station filter) and of those
    # where it shows names and contacts (the user held view_sensitive there).
    stations = models.JSONField(default=list, blank=True)
    sensitive_stations = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    file = models.FileField(storage=get_private_storage, upload_to=export_path, max_length=300, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["status", "finished_at"]),
        ]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.kind}, {self.format}) – {self.status}"

    @property
    def filename(self) -> str:
        suffix = "-deidentified" if self.deidentified else ""
        return f"{self.kind}-{self.created_at:%Y%m%d-%H%M}{suffix}.{self.format}"
