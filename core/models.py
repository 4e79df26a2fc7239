from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    """A Celery task to send once the transaction that wrote this row has committed (core.outbox).

    Written in the same transaction as the work it follows, so a rolled-back save leaves no message and a
    broker outage loses none: the row waits here until the broker takes it. Arguments are ids and short
    strings only, never personal data. Sent rows are kept a while (OUTBOX_KEEP_SENT_DAYS), then purged."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="core_outbox_pending"),
            models.Index(fields=["sent_at"], condition=Q(sent_at__isnull=False), name="core_outbox_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk} ({'sent' if self.sent_at else 'pending'})"


class IdempotencyRecord(models.Model):
    """What a request with an idempotency key created (core.idempotency): a retry with the same key and the
    same content gets that object back; the same key with other content is refused (409).

    `fingerprint` is a keyed hash of the request's normalised content (no content is stored)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    object_type = models.CharField(max_length=100)
    object_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_user_key")]

    def __str__(self) -> str:
        return f"{self.object_type} #{self.object_id} (key of user #{self.user_id})"
