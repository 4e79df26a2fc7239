import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords


class RedFlagGroup(models.TextChoices):
    VULNERABILITY = "vulnerability", _("Vulnerability")
    EVASION = "evasion", _("Evasion and deception")
    CONTROL = "control", _("Control")
    LABOUR = "labour", _("Labour-migration agreement")


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
    PENDING = "", _("Not yet recorded")
    RETURNED_HOME = "returned_home", _("Returned home with family")
    SHELTER = "shelter", _("Taken to shelter")
    CONTINUED = "continued", _("Continued journey")
    POLICE = "police", _("Handed to police")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class Transport(models.TextChoices):
    BUS = "bus", _("Bus")
    JEEP = "jeep", _("Jeep")
    MOTORBIKE = "motorbike", _("Motorbike")
    ON_FOOT = "on_foot", _("On foot")
    AIR = "air", _("Air")
    OTHER = "other", _("Other")


class HowStarted(models.TextChoices):
    OBSERVATION = "observation", _("Monitor's observation")
    TIP_OFF = "tip_off", _("Tip-off")
    POLICE = "police", _("Police")
    OTHER = "other", _("Other")


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
    # The whole record's text fields have database defaults too, so set-based SQL that inserts rows
    # without them (benchmarks/dataset.py) keeps working.
    # The place of interception as a structured place too (docs/interceptions.md "The whole record"):
    # `place` stays the text as typed; `place_ref` the municipality or district, `place_country` the country.
    place_ref = models.ForeignKey(
        "people.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place_country = CountryField(blank=True, db_default="")
    # The monitors who were present, chosen on the form (members of the station). Not "who edited": that
    # is in the history.
    # Read as before (`interception.monitors.all()`); written only by the services, through
    # `InterceptionMonitor`, so who was listed and who changed the list is in the history.
    monitors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="InterceptionMonitor", related_name="monitored_interceptions"
    )
    how_started = models.CharField(
        max_length=20, choices=HowStarted.choices, blank=True, default="", db_default=""
    )
    # Sensitive: may name an informant.
    how_started_notes = models.TextField(blank=True, db_default="")
    transport = models.CharField(
        max_length=20, choices=Transport.choices, blank=True, default="", db_default=""
    )
    journey_start_place = models.ForeignKey(
        "people.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    journey_start_text = models.CharField(max_length=200, blank=True, db_default="")
    journey_start_country = CountryField(blank=True, db_default="")
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
            # Number search by fragment ("0017", "HW-2026"): `number__icontains` is
            # UPPER(number::text) LIKE UPPER('%...%'), which reads this trigram index of UPPER(number)
            # (docs/interceptions.md, "Number search"); a whole number uses the unique index.
            GinIndex(OpClass(Upper("number"), name="gin_trgm_ops"), name="interception_number_trgm"),
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


class InterceptionMonitor(models.Model):
    """One monitor present at one interception. A model of its own (on the table of the plain
    many-to-many it replaced, migration 0011) so that adding or removing a monitor is kept in the
    history with its author (docs/history.md)."""

    interception = models.ForeignKey(Interception, on_delete=models.CASCADE, related_name="monitor_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    history = HistoricalRecords()

    class Meta:
        db_table = "interception_interception_monitors"
        unique_together = [("interception", "user")]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.interception_id}"


class IntercepteeRole(models.TextChoices):
    POTENTIAL_VICTIM = "potential_victim", _("Potential victim")
    SUSPECT = "suspect", _("Suspect")


class TravelPurpose(models.TextChoices):
    JOB = "job", _("Job")
    MARRIAGE = "marriage", _("Marriage")
    EDUCATION = "education", _("Education")
    VISITING = "visiting", _("Visiting")
    MEDICAL = "medical", _("Medical")
    OTHER = "other", _("Other")


class SuspectRole(models.TextChoices):
    RECRUITER = "recruiter", _("Recruiter")
    COMPANION = "companion", _("Companion")
    BROKER = "broker", _("Broker")
    TRANSPORTER = "transporter", _("Transporter")
    UNKNOWN = "unknown", _("Unknown")


class Interceptee(models.Model):
    interception = models.ForeignKey(Interception, on_delete=models.CASCADE, related_name="interceptees")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="appearances")
    role = models.CharField(max_length=20, choices=IntercepteeRole.choices)
    consent_to_use_information = models.BooleanField(default=False)
    consent_to_use_photo = models.BooleanField(default=False)
    # Where the person said they were going (a structured place: docs/places.md) and why.
    destination_place = models.ForeignKey(
        "people.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    destination_text = models.CharField(max_length=200, blank=True, db_default="")
    destination_country = CountryField(blank=True, db_default="")
    travel_purpose = models.CharField(
        max_length=20, choices=TravelPurpose.choices, blank=True, default="", db_default=""
    )
    travel_purpose_notes = models.TextField(blank=True, db_default="")
    # For suspects.
    suspect_description = models.TextField(blank=True, db_default="")
    suspect_role = models.CharField(
        max_length=20, choices=SuspectRole.choices, blank=True, default="", db_default=""
    )

    # Appearance fields that need `view_sensitive` (masked like names everywhere).
    SENSITIVE_FIELDS = ("travel_purpose_notes", "suspect_description")

    # People added to or removed from the record, role and consent changes (docs/history.md).
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["interception", "person"], name="interceptee_once_per_record")
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} on {self.interception_id}"


class Relationship(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    SIBLING = "sibling", _("Sibling")
    OTHER_RELATIVE = "other_relative", _("Other relative")
    FRIEND = "friend", _("Friend")
    PARTNER = "partner", _("Partner")
    EMPLOYER = "employer", _("Employer")
    BROKER = "broker", _("Broker or agent")
    STRANGER = "stranger", _("Stranger")
    OTHER = "other", _("Other")


class Companion(models.Model):
    """How a companion relates to a person on the same record: `to_interceptee` is `from_interceptee`'s
    `relationship` (Ram is Sita's *broker*). One row per ordered pair."""

    interception = models.ForeignKey(Interception, on_delete=models.CASCADE, related_name="companions")
    from_interceptee = models.ForeignKey(Interceptee, on_delete=models.CASCADE, related_name="companions")
    to_interceptee = models.ForeignKey(Interceptee, on_delete=models.CASCADE, related_name="+")
    relationship = models.CharField(max_length=20, choices=Relationship.choices)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_interceptee", "to_interceptee"], name="companion_pair_once"
            ),
            models.CheckConstraint(
                condition=~Q(from_interceptee=models.F("to_interceptee")), name="companion_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_interceptee_id} {self.relationship} of {self.to_interceptee_id}"


class DocumentKind(models.TextChoices):
    CITIZENSHIP = "citizenship", _("Citizenship certificate")
    PASSPORT = "passport", _("Passport")
    NATIONAL_ID = "national_id", _("National ID")
    BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
    VOTER_ID = "voter_id", _("Voter ID")
    DRIVING_LICENCE = "driving_licence", _("Driving licence")
    LABOUR_PERMIT = "labour_permit", _("Labour permit")
    VISA = "visa", _("Visa")
    OTHER = "other", _("Other")


class DocumentWhose(models.TextChoices):
    OWN = "own", _("Their own")
    ANOTHER = "another", _("Another person's")


class Genuine(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    NOT_SURE = "not_sure", _("Not sure")


class IdentityDocument(models.Model):
    """An identity document a person carried when intercepted. The number is sensitive."""

    interceptee = models.ForeignKey(Interceptee, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    whose = models.CharField(max_length=10, choices=DocumentWhose.choices, default=DocumentWhose.OWN)
    looks_genuine = models.CharField(max_length=10, choices=Genuine.choices, default=Genuine.NOT_SURE)
    number = models.CharField(max_length=64, blank=True)

    history = HistoricalRecords()

    SENSITIVE_FIELDS = ("number",)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.interceptee_id}"


class RouteStop(models.Model):
    """One stop of the intended route, in order (position 0 first). A structured place or free text."""

    interception = models.ForeignKey(Interception, on_delete=models.CASCADE, related_name="route")
    position = models.PositiveSmallIntegerField()
    place = models.ForeignKey(
        "people.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.CharField(max_length=200, blank=True)
    country = CountryField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["interception", "position"], name="route_stop_position_once")
        ]

    def __str__(self) -> str:
        return f"{self.interception_id} #{self.position}"


def attachment_path(instance, filename: str) -> str:
    return f"interceptions/{instance.interception_id}/{uuid.uuid4().hex}"


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    DOCUMENT = "document", _("Document")


class Attachment(models.Model):
    """A photo or document. Stored outside any public URL; served only through the access-checked view."""

    interception = models.ForeignKey(Interception, on_delete=models.CASCADE, related_name="attachments")
    # A photo of one person on the record (optional). Removing the person keeps the photo on the record.
    interceptee = models.ForeignKey(
        Interceptee, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
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
