from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Person(models.Model):
    """One appearance of a human being on a record. Names are stored as entered, in any script."""

    station = models.ForeignKey("accounts.Station", on_delete=models.PROTECT, related_name="persons")
    full_name = models.CharField(max_length=200)
    gender = models.CharField(max_length=10, choices=Gender.choices, default=Gender.UNKNOWN)
    age = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(120)]
    )
    birth_date_estimate = models.DateField(null=True, blank=True)
    # E.164 ("+9779811111111") when the number parsed at entry (people/phones.py); older unparseable values
    # are kept as they were typed.
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    # The home address as a structured place (docs/places.md), beside the free text; sensitive like it.
    address_place = models.ForeignKey(
        "people.Place",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("home place"),
    )
    nationality = CountryField(_("nationality"), blank=True, help_text="ISO 3166-1 alpha-2")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    # The fields that need `view_sensitive`; without it they are masked the same way everywhere.
    SENSITIVE_FIELDS = ("full_name", "phone", "address", "address_place", "birth_date_estimate")

    class Meta:
        indexes = [models.Index(fields=["phone"])]

    def __str__(self) -> str:
        return self.full_name


class PlaceKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District")
    MUNICIPALITY = "municipality", _("Municipality")


class Place(models.Model):
    """A reference place: Nepal's provinces, districts and local levels (loaded from the `nepali` package
    by a data migration). Records point at a Place with `<name>_place` and keep `<name>_text` beside it
    for India and elsewhere (docs/places.md)."""

    country = models.CharField(_("country"), max_length=2, help_text="ISO 3166-1 alpha-2")
    kind = models.CharField(_("kind"), max_length=12, choices=PlaceKind.choices)
    code = models.CharField(_("code"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_ne = models.CharField(_("name in Nepali"), max_length=120, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )

    class Meta:
        ordering = ["country", "kind", "name"]
        verbose_name = _("place")
        verbose_name_plural = _("places")
        indexes = [models.Index(fields=["country", "kind"])]

    def __str__(self) -> str:
        """The place's label in the reader's language (Devanagari when it is Nepali, docs/i18n.md)."""
        from django.utils.translation import get_language

        from people.places import label, label_ne

        return label_ne(self) if (get_language() or "").split("-")[0] == "ne" else label(self)
