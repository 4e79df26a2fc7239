from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Identity(models.Model):
    """One human being, across every record they appear on (docs/people.md).

    What was recorded stays on the appearances (`Person`): the name as typed, the age at that date, the
    phone as given, the documents carried. The identity's names, phones and documents are its appearances'
    ones, so a reader sees of an identity exactly what the records they may see show. The identity itself
    keeps only what matching needs across records: gender and a birth-year estimate (from each
    appearance's age at its date). An identity merged into another keeps its row (`merged_into`), so an
    unmerge restores it as it was."""

    gender = models.CharField(max_length=10, choices=Gender.choices, default=Gender.UNKNOWN)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="absorbed"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        # Object-level grants and the reviewers' right: "match_person" (accounts/roles.py).
        default_permissions = ()

    def __str__(self) -> str:
        return f"P-{self.pk}"


class Source(models.TextChoices):
    """The kind of record an appearance is on; its rights decide who sees the appearance."""

    INTERCEPTION = "interception", _("Interception")
    CASE = "case", _("Case file")
    LEGAL_CASE = "legal_case", _("Legal case")


class Person(models.Model):
    """One appearance of a human being on a record. Names are stored as entered, in any script.

    `source` and `record_id` name the record (an interception today; a case file or a legal case later),
    `station` is the record's station: who may see the record may see the appearance (people/selectors.py).
    `recorded_on` is the record's date, so `age` is the age at that date."""

    identity = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="appearances")
    source = models.CharField(
        max_length=20, choices=Source.choices, default=Source.INTERCEPTION, db_default=Source.INTERCEPTION
    )
    record_id = models.PositiveBigIntegerField(null=True, blank=True)
    recorded_on = models.DateField(null=True, blank=True)
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
        indexes = [
            models.Index(fields=["phone"]),
            models.Index(fields=["source", "record_id"], name="person_record_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def birth_year(self) -> int | None:
        """The year of birth the age at the record's date gives (None without both)."""
        if self.age is None or self.recorded_on is None:
            return None
        return self.recorded_on.year - self.age


class NameKey(models.Model):
    """One search key of an appearance's name (people/names.py), indexed with pg_trgm."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="name_keys")
    key = models.CharField(max_length=200)

    class Meta:
        indexes = [
            GinIndex(OpClass("key", name="gin_trgm_ops"), name="namekey_key_trgm"),
            # Equality on many keys at once (a name with and without its middle name, people/search.py):
            # a btree answers each in well under a millisecond, the trigram index in ~12 ms at 1M.
            models.Index(fields=["key"], name="namekey_key"),
        ]

    def __str__(self) -> str:
        return self.key


class MatchStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    CONFIRMED = "confirmed", _("Confirmed (merged)")
    REJECTED = "rejected", _("Rejected")


class MatchSuggestion(models.Model):
    """Two identities that are probably one human being, waiting for a reviewer. One row per pair, lower id
    first; a rejected pair keeps its row, so it is never suggested again."""

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="+")
    candidate = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    # What matched, for the reviewer: {"name": 0.93, "phone": true, "age": 2, "gender": true, ...}
    reasons = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=MatchStatus.choices, default=MatchStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["identity", "candidate"], name="match_pair_once"),
            models.CheckConstraint(condition=Q(identity__lt=F("candidate")), name="match_pair_ordered"),
        ]
        indexes = [models.Index(fields=["status", "-score"], name="match_queue_idx")]

    def __str__(self) -> str:
        return f"{self.identity_id} ~ {self.candidate_id} ({self.score:.2f}, {self.status})"


class MergeKind(models.TextChoices):
    MERGE = "merge", _("Merge")
    UNMERGE = "unmerge", _("Unmerge")


class MergeRecord(models.Model):
    """One merge or unmerge, with what it moved and what the identities were before: the full history
    that lets an unmerge restore the exact previous state. Append-only (written by people/services.py).

    Merge: `other`'s appearances moved to `identity`, `other.merged_into` set to `identity`.
    Unmerge: `appearances` moved from `identity` to `other` (the identity they came from, revived)."""

    kind = models.CharField(max_length=10, choices=MergeKind.choices)
    identity = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="+")
    other = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="+")
    appearances = ArrayField(models.BigIntegerField())
    # {"identity": {"gender": ..., "birth_year": ...}, "other": {..., "merged_into": ...}} before the change
    before = models.JSONField(default=dict)
    suggestion = models.ForeignKey(
        MatchSuggestion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.other_id} -> {self.identity_id}"


class LinkKind(models.TextChoices):
    """Links between identities. All but `manual` are read from the records themselves (people/network.py);
    manual links are stored here."""

    TRAVELLED_TOGETHER = "travelled_together", _("Travelled together")
    SUSPECT_WITH_VICTIM = "suspect_with_victim", _("Suspect with potential victim")
    RECRUITED_BY = "recruited_by", _("Recruited by")
    CO_ACCUSED = "co_accused", _("Co-accused")
    MANUAL = "manual", _("Linked by hand")


class PersonLink(models.Model):
    """A link a user made by hand between two appearances, with a reason. A reader sees it only when they
    may see both appearances' records."""

    from_person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    to_person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["from_person", "to_person"], name="person_link_once"),
            models.CheckConstraint(condition=~Q(from_person=F("to_person")), name="person_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.from_person_id} - {self.to_person_id}"


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
