import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .roles import Role


class User(AbstractUser):
    """A person who signs in. Access to records comes only from memberships and object grants."""

    # The language of the pages, messages and e-mails for this user; empty: the browser's (docs/i18n.md).
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        default="",
        choices=settings.LANGUAGES,
        help_text=_("Empty: the language your browser asks for."),
    )

    class Meta:
        ordering = ["username"]


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown time zone: {value}")


class Country(models.Model):
    code = models.CharField(max_length=2, unique=True, help_text="ISO 3166-1 alpha-2, e.g. NP")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Station(models.Model):
    code = models.CharField(max_length=10, unique=True, help_text="Short code, e.g. BHW")
    name = models.CharField(max_length=100)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="stations")
    timezone = models.CharField(max_length=64, default="Asia/Kathmandu", validators=[validate_timezone])
    active = models.BooleanField(default=True)
    alert_score_threshold = models.PositiveIntegerField(
        default=100,
        help_text="A submitted interception with a red-flag total at or above this alerts the station's "
        "managers and legal officers (docs/alerts.md).",
    )

    # Who changed the alert threshold (and code, name, time zone, active) and when (docs/history.md).
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def local_today(self):
        """Today's date at the station (its time zone): the date a record made now there is dated."""
        from django.utils import timezone

        return timezone.now().astimezone(self.tzinfo).date()


class Membership(models.Model):
    """A role held by a user at one station, or at every station of one country."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    station = models.ForeignKey(
        Station, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    country = models.ForeignKey(
        Country, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(station__isnull=False) & Q(country__isnull=True))
                | (Q(station__isnull=True) & Q(country__isnull=False)),
                name="membership_station_xor_country",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "station"],
                condition=Q(station__isnull=False),
                name="membership_unique_station_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "country"],
                condition=Q(country__isnull=False),
                name="membership_unique_country_role",
            ),
        ]
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} @ {self.station or self.country}"
