"""Prosecution tracking (docs/prosecution.md): legal cases, their suspects (defendants), court cases,
charges per suspect × court case × statute, verdicts and sentences, appeals, hearings, the victims' part,
a timeline of comments, and the trafficker profile of an identity.

Real foreign keys everywhere (Tiny Hands links its court cases by sequence numbers in strings). A suspect is
an appearance of an identity on the legal case (`people.Person`, `source="legal_case"`), copied from the
interception's suspect or a person named in a victim interview, or new. Every sub-record has its history
(django-simple-history); every write goes through `prosecution.services`, which logs it.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from interception.models import get_private_storage


class Stage(models.TextChoices):
    """The legal case's stage: a server-side state machine (prosecution/services/stages.py)."""

    OPEN = "open", _("Preparing the complaint")
    COMPLAINT_FILED = "complaint_filed", _("Complaint filed")
    INVESTIGATION = "investigation", _("Investigation")
    CHARGE_SHEET_FILED = "charge_sheet_filed", _("Charge sheet filed")
    TRIAL = "trial", _("Trial")
    VERDICT = "verdict", _("Verdict")
    APPEAL = "appeal", _("Appeal")
    CLOSED = "closed", _("Closed")
    NOT_FILED = "not_filed", _("Not filed")


class NotFiledReason(models.TextChoices):
    VICTIM_UNWILLING = "victim_unwilling", _("Victim unwilling")
    INSUFFICIENT_EVIDENCE = "insufficient_evidence", _("Insufficient evidence")
    SUSPECT_ABSCONDED = "suspect_absconded", _("Suspect absconded")
    SETTLED_OUT_OF_COURT = "settled_out_of_court", _("Settled out of court")
    OTHER = "other", _("Other")


class Statute(models.Model):
    """One offence of a country's statute catalogue, marked trafficking or lesser; edited in the admin."""

    country = models.ForeignKey("accounts.Country", on_delete=models.PROTECT, related_name="statutes")
    code = models.CharField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=300)
    act = models.CharField(_("act"), max_length=200)
    section = models.CharField(_("section"), max_length=40, blank=True)
    is_trafficking = models.BooleanField(_("trafficking offence"), default=False)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["country", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["country", "code"], name="statute_code_per_country")]

    def __str__(self) -> str:
        return f"{self.code} – {self.title}"


class Court(models.Model):
    """A court (per country), edited in the admin. A court case number is unique per court."""

    country = models.ForeignKey("accounts.Country", on_delete=models.PROTECT, related_name="courts")
    name = models.CharField(_("name"), max_length=200)
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["country", "name"]
        constraints = [models.UniqueConstraint(fields=["country", "name"], name="court_name_per_country")]

    def __str__(self) -> str:
        return self.name


class LegalCaseCounter(models.Model):
    station = models.ForeignKey("accounts.Station", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["station", "year"], name="legal_case_counter_station_year")
        ]

    def __str__(self) -> str:
        return f"{self.station_id}/{self.year}: {self.last}"


class LegalCase(models.Model):
    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    station = models.ForeignKey(
        "accounts.Station", on_delete=models.PROTECT, related_name="legal_cases", verbose_name=_("station")
    )
    stage = models.CharField(_("stage"), max_length=24, choices=Stage.choices, default=Stage.OPEN)
    not_filed_reason = models.CharField(
        _("why not filed"), max_length=24, choices=NotFiledReason.choices, blank=True, default=""
    )
    not_filed_notes = models.TextField(_("notes on why not filed"), blank=True)
    # The complaint (First Information Report).
    complaint_number = models.CharField(_("complaint / FIR number"), max_length=60, blank=True)
    complaint_filed_on = models.DateField(_("complaint filed on"), null=True, blank=True)
    police_station = models.CharField(_("police station"), max_length=200, blank=True)
    district = models.ForeignKey(
        "people.Place",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("district"),
    )
    district_text = models.CharField(_("district"), max_length=120, blank=True)
    # The incident: the interceptions and the case files it comes from.
    interceptions = models.ManyToManyField(
        "interception.Interception", blank=True, related_name="+", verbose_name=_("interceptions")
    )
    summary = models.TextField(_("summary"), blank=True)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[interceptions])

    # Fields that need `view_sensitive` on legal cases.
    SENSITIVE_FIELDS = ("not_filed_notes", "summary")

    class Meta:
        verbose_name = _("legal case")
        verbose_name_plural = _("legal cases")
        ordering = ["-opened_on", "-id"]
        default_permissions = ()
        permissions = [
            ("view_legalcase", "See a legal case"),
            ("view_sensitive_legalcase", "See names and narratives of a legal case"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(stage="not_filed") | ~Q(not_filed_reason=""),
                name="legal_case_not_filed_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["-opened_on", "-id"], name="legal_case_recent_idx"),
            models.Index(fields=["station", "-opened_on"], name="legal_case_station_recent_idx"),
            models.Index(fields=["stage"], name="legal_case_stage_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class CourtCase(models.Model):
    legal_case = models.ForeignKey(LegalCase, on_delete=models.CASCADE, related_name="court_cases")
    court = models.ForeignKey(Court, on_delete=models.PROTECT, related_name="cases", verbose_name=_("court"))
    number = models.CharField(_("court case number"), max_length=60)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["court", "number"], name="court_case_number_per_court"),
        ]

    def __str__(self) -> str:
        return f"{self.court} {self.number}"


class ArrestStatus(models.TextChoices):
    NOT_ARRESTED = "not_arrested", _("Not arrested")
    ARRESTED = "arrested", _("Arrested")
    ABSCONDED = "absconded", _("Absconded")
    ON_BAIL = "on_bail", _("On bail")
    IN_CUSTODY = "in_custody", _("In custody")


class HierarchyRole(models.TextChoices):
    RECRUITER = "recruiter", _("Recruiter")
    TRANSPORTER = "transporter", _("Transporter")
    HARBOURER = "harbourer", _("Harbourer")
    DOCUMENT_FORGER = "document_forger", _("Document forger")
    FINANCIER = "financier", _("Financier")
    EXPLOITER = "exploiter", _("Exploiter or employer")
    ORGANISER = "organiser", _("Organiser")


def legal_file_path(instance, filename: str) -> str:
    return f"legal/{instance.legal_case_id}/{uuid.uuid4().hex}"


class Suspect(models.Model):
    """A defendant: an appearance of an identity on this legal case."""

    legal_case = models.ForeignKey(LegalCase, on_delete=models.CASCADE, related_name="suspects")
    person = models.OneToOneField(
        "people.Person", on_delete=models.PROTECT, related_name="legal_suspect", verbose_name=_("person")
    )
    # Where the suspect was picked from (an interception's suspect, a recruiter named in an interview).
    picked_from = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    role = models.CharField(_("role"), max_length=20, choices=HierarchyRole.choices, blank=True, default="")
    arrest_status = models.CharField(
        _("arrest"), max_length=20, choices=ArrestStatus.choices, default=ArrestStatus.NOT_ARRESTED
    )
    arrested_on = models.DateField(_("arrested on"), null=True, blank=True)
    arrest_source = models.CharField(_("how it is known"), max_length=300, blank=True)
    arrest_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Verified by a second user, with an evidence attachment.
    arrest_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    arrest_verified_at = models.DateTimeField(null=True, blank=True)
    arrest_evidence = models.FileField(
        storage=get_private_storage, upload_to=legal_file_path, max_length=200, blank=True
    )
    arrest_evidence_name = models.CharField(max_length=200, blank=True)
    arrest_evidence_type = models.CharField(max_length=100, blank=True)
    named_on_charge_sheet = models.BooleanField(_("named on the charge sheet"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"suspect {self.pk} of {self.legal_case_id}"


class Verdict(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONVICTED = "convicted", _("Convicted")
    ACQUITTED = "acquitted", _("Acquitted")
    DISMISSED = "dismissed", _("Dismissed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Charge(models.Model):
    """One suspect × court case × statute, with its verdict and, on conviction, the sentence."""

    legal_case = models.ForeignKey(LegalCase, on_delete=models.CASCADE, related_name="charges")
    suspect = models.ForeignKey(Suspect, on_delete=models.CASCADE, related_name="charges")
    court_case = models.ForeignKey(CourtCase, on_delete=models.PROTECT, related_name="charges")
    statute = models.ForeignKey(Statute, on_delete=models.PROTECT, related_name="+", verbose_name=_("charge"))
    verdict = models.CharField(_("status"), max_length=12, choices=Verdict.choices, default=Verdict.PENDING)
    verdict_on = models.DateField(_("verdict date"), null=True, blank=True)
    # On conviction: the statute actually convicted under (a lesser one against a trafficking charge).
    convicted_under = models.ForeignKey(
        Statute,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("convicted under"),
    )
    imprisonment_years = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(150)]
    )
    imprisonment_months = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(11)]
    )
    imprisonment_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(30)]
    )
    # Computed by the services: years × 365 + months × 30 + days.
    imprisonment_total_days = models.PositiveIntegerField(null=True, blank=True, editable=False)
    fine_amount = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    fine_currency = models.CharField(max_length=3, blank=True, default="")
    compensation_amount = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    compensation_currency = models.CharField(max_length=3, blank=True, default="")
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["suspect", "court_case", "statute"], name="charge_once_per_suspect_court_case"
            ),
            models.CheckConstraint(
                condition=Q(verdict="convicted") | Q(convicted_under__isnull=True),
                name="charge_convicted_under_only_on_conviction",
            ),
        ]
        indexes = [models.Index(fields=["legal_case", "verdict"], name="charge_case_verdict_idx")]

    def __str__(self) -> str:
        return f"charge {self.pk}"


class AppealOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    UPHELD = "upheld", _("Verdict upheld")
    OVERTURNED = "overturned", _("Verdict overturned")
    SENTENCE_REDUCED = "sentence_reduced", _("Sentence reduced")
    SENTENCE_INCREASED = "sentence_increased", _("Sentence increased")


class Appeal(models.Model):
    charge = models.ForeignKey(Charge, on_delete=models.CASCADE, related_name="appeals")
    filed_on = models.DateField(_("filed on"))
    court = models.ForeignKey(Court, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=AppealOutcome.choices, default=AppealOutcome.PENDING
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    # The changed sentence, when the appeal changed it.
    imprisonment_years = models.PositiveSmallIntegerField(null=True, blank=True)
    imprisonment_months = models.PositiveSmallIntegerField(null=True, blank=True)
    imprisonment_days = models.PositiveSmallIntegerField(null=True, blank=True)
    imprisonment_total_days = models.PositiveIntegerField(null=True, blank=True, editable=False)
    fine_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    fine_currency = models.CharField(max_length=3, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["filed_on", "id"]

    def __str__(self) -> str:
        return f"appeal {self.pk}"


class ContactStatus(models.TextChoices):
    IN_CONTACT = "in_contact", _("In contact")
    ATTEMPTING = "attempting", _("Trying to reach her")
    LOST = "lost", _("Contact lost")


class LegalCaseVictim(models.Model):
    """A victim in the legal case, linked to her case file."""

    legal_case = models.ForeignKey(LegalCase, on_delete=models.CASCADE, related_name="victims")
    victim_case = models.ForeignKey(
        "cases.VictimCase", on_delete=models.PROTECT, related_name="legal_links", verbose_name=_("case file")
    )
    contact_status = models.CharField(
        _("contact status"), max_length=12, choices=ContactStatus.choices, blank=True, default=""
    )
    last_contacted_on = models.DateField(_("last contacted"), null=True, blank=True)
    last_attempted_on = models.DateField(_("last attempted"), null=True, blank=True)
    willing_to_testify = models.CharField(
        _("willing to testify"),
        max_length=10,
        choices=[("yes", _("Yes")), ("no", _("No")), ("undecided", _("Not decided"))],
        blank=True,
        default="",
    )
    protection_measures = models.TextField(_("protection measures"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["legal_case", "victim_case"], name="legal_case_victim_once")
        ]

    def __str__(self) -> str:
        return f"victim {self.victim_case_id} in {self.legal_case_id}"


class Hearing(models.Model):
    legal_case = models.ForeignKey(LegalCase, on_delete=models.CASCADE, related_name="hearings")
    court_case = models.ForeignKey(
        CourtCase, null=True, blank=True, on_delete=models.SET_NULL, related_name="hearings"
    )
    court = models.ForeignKey(Court, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField(_("date"))
    purpose = models.CharField(_("purpose"), max_length=200)
    outcome = models.TextField(_("outcome"), blank=True)
    next_on = models.DateField(_("next date"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["held_on", "id"]
        indexes = [models.Index(fields=["held_on"], name="hearing_date_idx")]

    def __str__(self) -> str:
        return f"hearing {self.pk}"


class HearingReminder(models.Model):
    """One reminder sent for one hearing on one day (3 days before, and on the day)."""

    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hearing", "day"], name="hearing_reminder_once_a_day")]

    def __str__(self) -> str:
        return f"{self.hearing_id} {self.day}"


class Comment(models.Model):
    """A comment on the legal case's timeline; deleted softly (kept, hidden, audited)."""

    legal_case = models.ForeignKey(LegalCase, on_delete=models.CASCADE, related_name="comments")
    text = models.TextField(_("comment"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment {self.pk}"


# --- the trafficker profile -------------------------------------------------------------------------------


class Pathway(models.TextChoices):
    FORMER_VICTIM = "former_victim", _("Former victim")
    FAMILY_BUSINESS = "family_business", _("Family business")
    RECRUITED_BY_NETWORK = "recruited_by_network", _("Recruited by a network")
    MIGRATION_AGENT = "migration_agent", _("Labour-migration agent")
    OTHER = "other", _("Other")


class MoneyUse(models.TextChoices):
    FAMILY = "family", _("Family")
    BUSINESS = "business", _("Business")
    PROPERTY = "property", _("Property")
    GAMBLING = "gambling", _("Gambling")
    NETWORK = "network", _("Reinvested in the network")
    OTHER = "other", _("Other")


class Relationship(models.TextChoices):
    STRANGER = "stranger", _("Stranger")
    ACQUAINTANCE = "acquaintance", _("Acquaintance")
    RELATIVE = "relative", _("Relative")
    PARTNER = "partner", _("Partner")


class TraffickerProfile(models.Model):
    """What prosecutors record about a trafficker (one identity), kept by the station of the legal case it
    was opened from; sensitive, masked and audited. Recidivism is computed from the identity's legal cases
    (prosecution/selectors.py) plus prior records entered by hand."""

    identity = models.OneToOneField(
        "people.Identity", on_delete=models.PROTECT, related_name="trafficker_profile"
    )
    station = models.ForeignKey("accounts.Station", on_delete=models.PROTECT, related_name="+")
    # Demographics
    ethnicity = models.CharField(_("ethnicity or caste"), max_length=100, blank=True)
    education = models.CharField(_("education"), max_length=100, blank=True)
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    marital_status = models.CharField(_("marital status"), max_length=40, blank=True)
    home_district = models.ForeignKey(
        "people.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Socioeconomic
    income_level = models.CharField(_("income level"), max_length=40, blank=True)
    owns_land_or_house = models.BooleanField(_("owns land or a house"), null=True, blank=True)
    debts = models.CharField(_("debts"), max_length=200, blank=True)
    # Pathway into trafficking
    pathway = models.CharField(
        _("pathway into trafficking"), max_length=24, choices=Pathway.choices, blank=True
    )
    pathway_narrative = models.TextField(_("pathway narrative"), blank=True)
    # Role in the hierarchy
    roles = models.JSONField(_("roles in the hierarchy"), default=list, blank=True)
    organised_network = models.BooleanField(_("part of an organised network"), null=True, blank=True)
    # Use of money
    amount_per_victim = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    amount_currency = models.CharField(max_length=3, blank=True, default="")
    money_uses = models.JSONField(_("what the money paid for"), default=list, blank=True)
    relationship_to_victims = models.CharField(
        _("relationship to victims"), max_length=20, choices=Relationship.choices, blank=True
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"profile of {self.identity_id}"


class PriorRecord(models.Model):
    """A prior arrest, conviction or sentence entered by hand, with its source."""

    profile = models.ForeignKey(TraffickerProfile, on_delete=models.CASCADE, related_name="prior_records")
    occurred_on = models.DateField(_("date"), null=True, blank=True)
    kind = models.CharField(
        _("kind"),
        max_length=12,
        choices=[("arrest", _("Arrest")), ("conviction", _("Conviction"))],
    )
    description = models.TextField(_("description"))
    sentence = models.CharField(_("sentence"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-occurred_on", "-id"]

    def __str__(self) -> str:
        return f"prior record {self.pk}"


class LegalCaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(LegalCase, on_delete=models.CASCADE, related_name="user_grants")


class LegalCaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(LegalCase, on_delete=models.CASCADE, related_name="group_grants")
