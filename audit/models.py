from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .chain import event_hash

HEX64 = r"^[0-9a-f]{64}$"


class AccessEvent(models.Model):
    """One read or write of a record, by whom, when and from where.

    Rows are only ever added, by `audit.services.record_event`, which chains each row to the one before
    it (`prev_hash`, `hash`); the database refuses UPDATE and DELETE (migration 0003). See docs/audit.md.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    station = models.ForeignKey(
        "accounts.Station", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False, help_text="hash of the event before")
    hash = models.CharField(max_length=64, editable=False, help_text="sha256(prev_hash + content)")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor_username"], name="audit_event_actor_name_idx"),
            # Containment on details (`details @> {"ids": [12]}`, `{"stations": ["BHW"]}`): list and bulk
            # events for the per-record filter, the record's panel and a station auditor's scope.
            GinIndex(fields=["details"], opclasses=["jsonb_path_ops"], name="audit_event_details_gin"),
        ]
        constraints = [
            # A row written past record_event (no chain) is refused rather than silently unchained.
            models.CheckConstraint(
                condition=Q(hash__regex=HEX64) & Q(prev_hash__regex=HEX64),
                name="audit_event_hashes_are_sha256_hex",
            ),
        ]

    def __str__(self) -> str:
        who = self.actor_username or "-"
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.action} {self.object_type}:{self.object_id}"

    def compute_hash(self) -> str:
        return event_hash(
            self.prev_hash,
            at=self.at,
            actor_id=self.actor_id,
            actor_username=self.actor_username,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            station_id=self.station_id,
            ip=self.ip,
            user_agent=self.user_agent,
            details=self.details,
        )
