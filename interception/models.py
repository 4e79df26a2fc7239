import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import LazyObject
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords


class RedFlagGroup(models.TextChoices):
    VULNERABILITY = "vulnerability", "Vulnerability"
    EVASION = "evasion", "Evasion and deception"
    CONTROL = "control", "Control"
    LABOUR = "labour", "Labour-migration agreement"


class RedFlag(models.Model):
    """One yes/no indicator of the catalogue, with its points. A flag may belong to one country."""

    code = models.CharField(max_length=20, unique=True)
    group = models.CharField(max_length=20, choices=RedFlagGroup.choices)
    text = models.CharField(max_length=300)
    text_ne = models.CharField(
        "text in Nepali", max_length=300, blank=True, help_text="Shown to users whose language is Nepali."
    )
    points = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    country = models.ForeignKey(
        "accounts.Country",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Leave empty for a flag used in every country.",
    )
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    # Catalogue edits (points, wording, retiring a flag) are kept, with who made them (docs/history.md).
    history = HistoricalRecords()

    class Meta:
        ordering = ["group", "sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.points}) {self.text}"


class Outcome(models.TextChoices):
    PENDING = "", "Not yet recorded"
    RETURNED_HOME = "returned_home", "Returned home with family"
    SHELTER = "shelter", "Taken to shelter"
    CONTINUED = "continued", "Continued journey"
    POLICE = "police", "Handed to police"
    OTHER = "other", "Other"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class PrivateFileSystemStorage(FileSystemStorage):
    """Files with no URL at all: they are read only through views that check access."""

    def url(self, name):
        raise ValueError("Private files are not accessible via a URL; use the access-checked view.")


class PrivateStorage(LazyObject):
    def _setup(self):
        # Owner-only (0600 files, 0700 folders): they hold personal data (exports/services.py does the same).
        self._wrapped = PrivateFileSystemStorage(
            location=settings.PRIVATE_MEDIA_ROOT,
            file_permissions_mode=0o600,
            directory_permissions_mode=0o700,
        )


private_storage = PrivateStorage()


def get_private_storage():
    return private_storage


class NumberCounter(models.Model):
    """The last interception number used per station and year (row-locked while numbering)."""

    station = models.ForeignKey("accounts.Station", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["station", "year"], name="counter_station_year")]

    def __str__(self) -> str:
        return f"{self.station_id}/{self.year}: {self.last}"


class Interception(models.Model):
    number = models.CharField(max_length=32, unique=True, editable=False)
    station = models.ForeignKey("accounts.Station", on_delete=models.PROTECT, related_name="interceptions")
    occurred_at = models.DateTimeField()
    occurred_on = models.DateField(editable=False, help_text="Local date at the station")
    place = models.CharField(max_length=200)
    monitors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="monitored_interceptions")
    # Read as before (`interception.red_flags.all()`); written only by the services, through
    # `InterceptionRedFlag`, which keeps each flag's points as they were when it was ticked.
    red_flags = models.ManyToManyField(
        RedFlag, through="InterceptionRedFlag", related_name="interceptions", blank=True
    )
    red_flag_score = models.PositiveIntegerField(default=0, editable=False)
    certainty = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    reason = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True, default="")
    outcome_notes = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["idempotency_key", "updated_at"])

    class Meta:
        ordering = ["-occurred_at", "-id"]
        # Object-level grants (sharing one record) use these codenames: "<action>_interception".
        permissions = [
            ("view_sensitive_interception", "See names, contacts and narratives of an interception"),
            ("share_interception", "Share an interception with people outside its station"),
            ("verify_interception", "Verify an interception"),
            ("export_interception", "Export interceptions"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="interception_idempotency_per_user",
            ),
            models.CheckConstraint(
                condition=Q(certainty__isnull=True) | (Q(certainty__gte=1) & Q(certainty__lte=5)),
                name="interception_certainty_1_5",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | (Q(certainty__isnull=False) & ~Q(reason="")),
                name="interception_submitted_is_complete",
            ),
        ]
        indexes = [
            # The list's order across stations: the first page of a list spanning many stations is read
            # from this index instead of sorting every row (docs/benchmarks.md).
            models.Index(fields=["-occurred_at", "-id"], name="interception_recent_idx"),
            models.Index(fields=["station", "-occurred_at"]),
            models.Index(fields=["station", "occurred_on"]),
            models.Index(fields=["status"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def occurred_local(self):
        return self.occurred_at.astimezone(self.station.tzinfo)


class InterceptionRedFlag(models.Model):
    """One red flag ticked on one interception, with the flag's points at the moment it was ticked.

    The record's `red_flag_score` is the sum of these points, so an old score can always be explained
    after the catalogue changes. A flag in use cannot be deleted from the catalogue, only retired."""

    interception = models.ForeignKey(Interception, on_delete=models.CASCADE, related_name="flag_ticks")
    red_flag = models.ForeignKey(
        RedFlag, on_delete=models.PROTECT, related_name="ticks", db_column="redflag_id"
    )
    points = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])

    # Ticks and unticks, each with its points (docs/history.md).
    history = HistoricalRecords()

    class Meta:
        # The table of the plain many-to-many this model replaced (migration 0005).
        db_table = "interception_interception_red_flags"
        unique_together = [("interception", "red_flag")]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.red_flag_id} ({self.points}) on {self.interception_id}"


class IntercepteeRole(models.TextChoices):
    POTENTIAL_VICTIM = "potential_victim", "Potential victim"
    SUSPECT = "suspect", "Suspect"


class Interceptee(models.Model):
    interception = models.ForeignKey(Interception, on_delete=models.CASCADE, related_name="interceptees")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="appearances")
    role = models.CharField(max_length=20, choices=IntercepteeRole.choices)
    consent_to_use_information = models.BooleanField(default=False)
    consent_to_use_photo = models.BooleanField(default=False)

    # People added to or removed from the record, role and consent changes (docs/history.md).
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["interception", "person"], name="interceptee_once_per_record")
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} on {self.interception_id}"


def attachment_path(instance, filename: str) -> str:
    return f"interceptions/{instance.interception_id}/{uuid.uuid4().hex}"


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", "Photo"
    DOCUMENT = "document", "Document"


class Attachment(models.Model):
    """A photo or document. Stored outside any public URL; served only through the access-checked view."""

    interception = models.ForeignKey(Interception, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=10, choices=AttachmentKind.choices)
    file = models.FileField(storage=get_private_storage, upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    # Attachments added and deleted (docs/history.md).
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class DailyTally(models.Model):
    """Submitted interceptions per station and local day; recomputed by a Celery task."""

    station = models.ForeignKey("accounts.Station", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    submitted = models.PositiveIntegerField(default=0)
    potential_victims = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["station", "day"], name="tally_station_day")]

    def __str__(self) -> str:
        return f"{self.station_id} {self.day}: {self.submitted}"


class InterceptionUserObjectPermission(UserObjectPermissionBase):
    """One interception shared with one user (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(Interception, on_delete=models.CASCADE, related_name="user_grants")


class InterceptionGroupObjectPermission(GroupObjectPermissionBase):
    """One interception shared with a group (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(Interception, on_delete=models.CASCADE, related_name="group_grants")
