from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class Person(models.Model):
    """One appearance of a human being on a record. Names are stored as entered, in any script."""

    station = models.ForeignKey("accounts.Station", on_delete=models.PROTECT, related_name="persons")
    full_name = models.CharField(max_length=200)
    gender = models.CharField(max_length=10, choices=Gender.choices, default=Gender.UNKNOWN)
    age = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(120)]
    )
    birth_date_estimate = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    address = models.CharField(max_length=300, blank=True)
    nationality = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    # The fields that need `view_sensitive`; without it they are masked the same way everywhere.
    SENSITIVE_FIELDS = ("full_name", "phone", "address", "birth_date_estimate")

    class Meta:
        indexes = [models.Index(fields=["phone"])]

    def __str__(self) -> str:
        return self.full_name
