"""Notifications (in-app, and by e-mail when the recipient wants it) and each user's choices per rule.

A notification carries no personal data: only the kind of alert, a record number and a link. See
docs/alerts.md.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Rule(models.TextChoices):
    HIGH_RISK = "high_risk", _("High-risk interception")
    SUSPECT_SEEN_AGAIN = "suspect_seen_again", _("Suspect seen again")
    EXPORT_FINISHED = "export_finished", _("Export ready or failed")
    SECURITY = "security", _("Repeated failed logins or denied accesses")
    CASE_UNASSIGNED = "case_unassigned", _("New case waiting for a case manager")
    CASE_ASSIGNED = "case_assigned", _("Case assigned to you")
    HOME_ALARM = "home_alarm", _("Home-situation alarms at or above the threshold")
    FOLLOW_UP_DUE = "follow_up_due", _("Follow-up due or overdue")
    CLOSURE_REQUESTED = "closure_requested", _("Case closure waiting for approval")
    HEARING_DUE = "hearing_due", _("Hearing in 3 days or today")
    REOFFENDING = "reoffending", _("A convicted trafficker in a new legal case")


# Whether a rule is also e-mailed when the user has not chosen (docs/alerts.md, "Preferences").
EMAIL_BY_DEFAULT: dict[str, bool] = {
    Rule.HIGH_RISK: True,
    Rule.SUSPECT_SEEN_AGAIN: True,
    Rule.EXPORT_FINISHED: False,
    Rule.SECURITY: True,
    Rule.CASE_UNASSIGNED: True,
    Rule.CASE_ASSIGNED: True,
    Rule.HOME_ALARM: True,
    Rule.FOLLOW_UP_DUE: False,
    Rule.CLOSURE_REQUESTED: False,
    Rule.HEARING_DUE: True,
    Rule.REOFFENDING: True,
}


class Notification(models.Model):
    """One alert for one recipient. A rule fires once per subject and recipient (the unique constraint), so
    a task that runs twice creates nothing new."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    rule = models.CharField(max_length=32, choices=Rule.choices)
    subject_key = models.CharField(
        max_length=255, help_text='What the alert is about, e.g. "interception:42" or "login:ana:2026011309"'
    )
    title = models.CharField(max_length=200)
    body = models.CharField(
        max_length=500, help_text="The kind of alert and record numbers; no personal data"
    )
    url = models.CharField(max_length=300, help_text="A path in this site, e.g. /interceptions/42/")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_key", "recipient"], name="notification_once_per_subject"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox_idx"),
            # The unread count in every page header.
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject_key} → {self.recipient_id}"

    @property
    def unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(models.Model):
    """A user's choice for one rule: in-app only (`email` off) or in-app and e-mail. Without a row the
    rule's default (EMAIL_BY_DEFAULT) applies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    rule = models.CharField(max_length=32, choices=Rule.choices)
    email = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "rule"], name="notification_preference_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.rule}: {'e-mail' if self.email else 'in-app only'}"
