"""Victim case files (docs/cases.md): from the interception to closure.

A case follows one human being (an identity) through the case file's own appearance of them (`person`, a
`people.Person` with `source="case"`): what the case file records of her stays on the case's appearance,
and merging identities moves it like any other. A case opened by a submitted interception names the
interceptee's appearance it was opened for (`opened_for`, unique: one case per victim appearance).

Every sub-record (consent, interview, service, follow-up, referral, attachment) has its history
(django-simple-history); every write goes through `cases.services`, which logs it.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from interception.models import get_private_storage


class CaseSource(models.TextChoices):
    INTERCEPTION = "interception", _("Interception")
    WALK_IN = "walk_in", _("Walk-in")
    POLICE = "police", _("Referral from police")
    PARTNER = "partner", _("Referral from a partner organisation")
    OTHER = "other", _("Other")


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    ACTIVE = "active", _("Active")
    CLOSURE_REQUESTED = "closure_requested", _("Closure requested")
    CLOSED = "closed", _("Closed")


class Risk(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class ClosureReason(models.TextChoices):
    REINTEGRATED = "reintegrated", _("Reintegrated")
    MOVED_AWAY = "moved_away", _("Moved away")
    DECLINED_SERVICES = "declined_services", _("Declined services")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    TRANSFERRED = "transferred", _("Transferred")
    DIED = "died", _("Died")


class InterceptionOutcome(models.TextChoices):
    """What became of the interception for this person, as a follow-up found it (docs/cases.md)."""

    TRAFFICKING_CONFIRMED = "trafficking_confirmed", _("Trafficking confirmed")
    HIGH_RISK_PREVENTED = "high_risk_prevented", _("High risk, prevented")
    NOT_TRAFFICKING = "not_trafficking", _("Not trafficking (migrating by choice)")
    UNKNOWN = "unknown", _("Unknown")


class CaseCounter(models.Model):
    """The last case number used per station and year (row-locked while numbering)."""

    station = models.ForeignKey("accounts.Station", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["station", "year"], name="case_counter_station_year")]

    def __str__(self) -> str:
        return f"{self.station_id}/{self.year}: {self.last}"


class VictimCase(models.Model):
    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    station = models.ForeignKey(
        "accounts.Station", on_delete=models.PROTECT, related_name="cases", verbose_name=_("station")
    )
    # The case file's own appearance of the person (source "case"): her identity is `person.identity`.
    person = models.OneToOneField(
        "people.Person", on_delete=models.PROTECT, related_name="case_file", verbose_name=_("person")
    )
    source = models.CharField(_("source"), max_length=20, choices=CaseSource.choices)
    source_notes = models.TextField(_("source notes"), blank=True)
    interception = models.ForeignKey(
        "interception.Interception",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("interception"),
    )
    # The interceptee's appearance this case was opened for: one case per victim appearance.
    opened_for = models.OneToOneField(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.NEW)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
        verbose_name=_("assigned to"),
    )
    risk = models.CharField(_("risk"), max_length=10, choices=Risk.choices, blank=True, default="")
    risk_reasons = models.TextField(_("risk reasons"), blank=True)
    # The earliest due date of the follow-ups not done yet (kept by the services), for "My cases".
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True, editable=False)
    # What became of the interception for this person: the latest follow-up's classification.
    interception_outcome = models.CharField(
        _("what became of the interception"),
        max_length=24,
        choices=InterceptionOutcome.choices,
        blank=True,
        default="",
    )
    closure_reason = models.CharField(
        _("closure reason"), max_length=20, choices=ClosureReason.choices, blank=True, default=""
    )
    closure_notes = models.TextField(_("closure notes"), blank=True)
    closure_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closure_requested_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.TextField(_("reopen reason"), blank=True)
    opened_on = models.DateField(_("opened on"))
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "next_follow_up_on"])

    # Fields that need `view_sensitive` on the case (masked the same way in pages, API and exports).
    SENSITIVE_FIELDS = ("source_notes", "risk_reasons", "closure_notes", "reopen_reason")

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_on", "-id"]
        # Object-level grants (referrals) use "<action>_victimcase".
        default_permissions = ()
        permissions = [
            ("view_victimcase", "See a victim case file"),
            ("view_sensitive_victimcase", "See names, contacts and narratives of a case file"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(closure_reason=""), name="case_closed_has_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["-opened_on", "-id"], name="case_recent_idx"),
            models.Index(fields=["station", "-opened_on"], name="case_station_recent_idx"),
            models.Index(fields=["assigned_to", "status"], name="case_assigned_idx"),
            models.Index(fields=["interception"], name="case_interception_idx"),
            models.Index(fields=["status"], name="case_status_idx"),
        ]

    def __str__(self) -> str:
        return self.number


# --- consent ---------------------------------------------------------------------------------------------


class ConsentScope(models.TextChoices):
    SERVICES = "services", _("Services")
    INFORMATION_SHARING = "information_sharing", _("Sharing information with partners or police")
    PHOTO = "photo", _("Photo use")
    RESEARCH = "research", _("Use in de-identified research")


class ConsentDecision(models.TextChoices):
    GIVEN = "given", _("Given")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ConsentMethod(models.TextChoices):
    VERBAL = "verbal", _("Verbal")
    WRITTEN = "written", _("Written")


def case_file_path(instance, filename: str) -> str:
    return f"cases/{instance.case_id}/{uuid.uuid4().hex}"


class Consent(models.Model):
    """One consent decision for one scope. Append-only: the latest row per scope is in force; a withdrawal
    is a new row and takes effect at once."""

    case = models.ForeignKey(VictimCase, on_delete=models.CASCADE, related_name="consents")
    scope = models.CharField(_("scope"), max_length=24, choices=ConsentScope.choices)
    decision = models.CharField(_("decision"), max_length=10, choices=ConsentDecision.choices)
    decided_on = models.DateField(_("date"))
    method = models.CharField(_("how"), max_length=10, choices=ConsentMethod.choices)
    # The signed form (method "written"), stored outside any public URL.
    signed_form = models.FileField(
        _("signed form"), storage=get_private_storage, upload_to=case_file_path, max_length=200, blank=True
    )
    signed_form_name = models.CharField(max_length=200, blank=True)
    signed_form_type = models.CharField(max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["case", "scope", "-recorded_at"], name="consent_latest_idx")]

    def __str__(self) -> str:
        return f"{self.scope}: {self.decision}"


class ConsentOverride(models.Model):
    """Acting without the consent a rule needs (a referral without sharing consent, to protect her life):
    a role holding `override` records it with a reason; it is audited and allows one action."""

    case = models.ForeignKey(VictimCase, on_delete=models.CASCADE, related_name="overrides")
    scope = models.CharField(_("scope"), max_length=24, choices=ConsentScope.choices)
    reason = models.TextField(_("reason"))
    used_for = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"override {self.scope} on {self.case_id}"


# --- victim interview ------------------------------------------------------------------------------------


class RecruitmentMethod(models.TextChoices):
    JOB_OFFER = "job_offer", _("Job offer")
    MARRIAGE = "marriage", _("Marriage")
    EDUCATION = "education", _("Education")
    TRAVEL = "travel", _("Travel")
    OTHER = "other", _("Other")


class PalermoAct(models.TextChoices):
    RECRUITMENT = "recruitment", _("Recruitment")
    TRANSPORTATION = "transportation", _("Transportation")
    TRANSFER = "transfer", _("Transfer")
    HARBOURING = "harbouring", _("Harbouring")
    RECEIPT = "receipt", _("Receipt")


class PalermoMeans(models.TextChoices):
    THREAT = "threat", _("Threat")
    FORCE = "force", _("Force")
    COERCION = "coercion", _("Coercion")
    ABDUCTION = "abduction", _("Abduction")
    FRAUD = "fraud", _("Fraud")
    DECEPTION = "deception", _("Deception")
    ABUSE_OF_POWER = "abuse_of_power", _("Abuse of power")
    ABUSE_OF_VULNERABILITY = "abuse_of_vulnerability", _("Abuse of vulnerability")
    PAYMENTS = "payments", _("Payments")


class Exploitation(models.TextChoices):
    """Exploitation experienced or intended; also the Palermo purposes."""

    SEXUAL = "sexual_exploitation", _("Sexual exploitation")
    FORCED_LABOUR = "forced_labour", _("Forced labour")
    DOMESTIC_SERVITUDE = "domestic_servitude", _("Domestic servitude")
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    BEGGING = "begging", _("Forced begging")
    ORGAN_REMOVAL = "organ_removal", _("Organ removal")
    OTHER = "other", _("Other")


class ExploitationStage(models.TextChoices):
    EXPERIENCED = "experienced", _("Experienced")
    INTENDED = "intended", _("Intended")


class Willingness(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNDECIDED = "undecided", _("Not decided")


class HomeAlarm(models.Model):
    """A home-situation alarm of the interview, with points (like the red flags), per country, editable in
    the admin. A total at or above the threshold alerts the case manager and the station's managers."""

    # Empty: an alarm of every country (the default catalogue, like red flags); a country may add its own.
    country = models.ForeignKey(
        "accounts.Country",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="home_alarms",
        help_text="Leave empty for an alarm used in every country.",
    )
    code = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    points = models.PositiveSmallIntegerField(default=1)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["country", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "code"], nulls_distinct=False, name="home_alarm_code_per_country"
            )
        ]

    def __str__(self) -> str:
        return self.text


class Interview(models.Model):
    """A victim interview (several per case). Each save makes a new version (kept in its history); a stale
    save is refused."""

    case = models.ForeignKey(VictimCase, on_delete=models.CASCADE, related_name="interviews")
    conducted_on = models.DateField(_("conducted on"))
    conducted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Recruitment. The recruiter is an appearance on this case file (source "case"), of a known identity or
    # of a new one.
    recruiter = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recruitment_method = models.CharField(
        _("how she was recruited"), max_length=20, choices=RecruitmentMethod.choices, blank=True, default=""
    )
    promised = models.TextField(_("what was promised"), blank=True)
    money_paid = models.DecimalField(
        _("money paid"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    debt = models.DecimalField(
        _("debt"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True, default="NPR")
    travelled_with = models.TextField(_("who travelled with her"), blank=True)
    exploitation_stage = models.CharField(
        _("exploitation"), max_length=12, choices=ExploitationStage.choices, blank=True, default=""
    )
    # The Palermo Protocol checklist (codes of PalermoAct, PalermoMeans, Exploitation).
    acts = ArrayField(models.CharField(max_length=20, choices=PalermoAct.choices), default=list, blank=True)
    means = ArrayField(
        models.CharField(max_length=30, choices=PalermoMeans.choices), default=list, blank=True
    )
    purposes = ArrayField(
        models.CharField(max_length=30, choices=Exploitation.choices), default=list, blank=True
    )
    # Derived by the services: never trusted from the browser.
    child_at_time = models.BooleanField(null=True, editable=False)
    meets_definition = models.BooleanField(default=False, editable=False)
    alarms = models.ManyToManyField(HomeAlarm, through="InterviewAlarm", related_name="+", blank=True)
    alarm_score = models.PositiveIntegerField(default=0, editable=False)
    willing_to_file_complaint = models.CharField(
        _("willing to file a complaint"), max_length=10, choices=Willingness.choices, blank=True, default=""
    )
    willing_to_testify = models.CharField(
        _("willing to testify"), max_length=10, choices=Willingness.choices, blank=True, default=""
    )
    narrative = models.TextField(_("narrative"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    SENSITIVE_FIELDS = ("promised", "travelled_with", "narrative", "recruiter")

    class Meta:
        ordering = ["-conducted_on", "-id"]

    def __str__(self) -> str:
        return f"interview {self.pk} of {self.case_id}"


class InterviewAlarm(models.Model):
    """One home-situation alarm ticked on an interview, with its points as they were then."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="alarm_ticks")
    alarm = models.ForeignKey(HomeAlarm, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveSmallIntegerField()

    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["interview", "alarm"], name="interview_alarm_once")]

    def __str__(self) -> str:
        return f"{self.alarm_id} on {self.interview_id}"


class RouteStopKind(models.TextChoices):
    SOURCE = "source", _("Source")
    TRANSIT = "transit", _("Transit")
    DESTINATION = "destination", _("Destination")


class InterviewRouteStop(models.Model):
    """One place of her journey as she told it: source → transit → destination, in order."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="route")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("kind"), max_length=12, choices=RouteStopKind.choices)
    place = models.ForeignKey(
        "people.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place_text = models.CharField(_("place"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    arrived_on = models.DateField(_("arrived"), null=True, blank=True)
    left_on = models.DateField(_("left"), null=True, blank=True)
    transport = models.CharField(_("transport"), max_length=20, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["interview", "position"]
        constraints = [
            models.UniqueConstraint(fields=["interview", "position"], name="interview_stop_position_once")
        ]

    def __str__(self) -> str:
        return f"{self.interview_id} #{self.position}"


# --- services and follow-ups -----------------------------------------------------------------------------


class ServiceKind(models.TextChoices):
    SHELTER = "shelter", _("Shelter")
    MEDICAL = "medical", _("Medical")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial")
    LEGAL_AID = "legal_aid", _("Legal aid")
    REPATRIATION = "repatriation", _("Repatriation or family reunification")
    LIVELIHOOD = "livelihood", _("Livelihood")
    EDUCATION = "education", _("Education")
    FINANCIAL = "financial", _("Financial support")


class ServiceStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ONGOING = "ongoing", _("Ongoing")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class ProviderKind(models.TextChoices):
    OWN = "own", _("Our organisation")
    PARTNER = "partner", _("Partner organisation")


class Service(models.Model):
    case = models.ForeignKey(VictimCase, on_delete=models.CASCADE, related_name="services")
    kind = models.CharField(_("service"), max_length=20, choices=ServiceKind.choices)
    provider_kind = models.CharField(
        _("provided by"), max_length=10, choices=ProviderKind.choices, default=ProviderKind.OWN
    )
    provider = models.CharField(_("provider"), max_length=200)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ServiceStatus.choices, default=ServiceStatus.ONGOING
    )
    outcome = models.TextField(_("outcome"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    SENSITIVE_FIELDS = ("outcome",)

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="service_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.case_id}"


class FollowUpMethod(models.TextChoices):
    PHONE = "phone", _("Phone")
    VISIT = "visit", _("Visit")


class Situation(models.TextChoices):
    SAFE = "safe", _("Safe")
    AT_RISK = "at_risk", _("At risk")
    RE_TRAFFICKED = "re_trafficked", _("Re-trafficked")
    UNREACHABLE = "unreachable", _("Unreachable")


class FollowUp(models.Model):
    case = models.ForeignKey(VictimCase, on_delete=models.CASCADE, related_name="follow_ups")
    due_on = models.DateField(_("due on"))
    method = models.CharField(_("method"), max_length=10, choices=FollowUpMethod.choices)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    situation = models.CharField(
        _("situation"), max_length=20, choices=Situation.choices, blank=True, default=""
    )
    notes = models.TextField(_("notes"), blank=True)
    # Re-assessed at each follow-up.
    risk = models.CharField(_("risk"), max_length=10, choices=Risk.choices, blank=True, default="")
    risk_reasons = models.TextField(_("risk reasons"), blank=True)
    interception_outcome = models.CharField(
        _("what became of the interception"),
        max_length=24,
        choices=InterceptionOutcome.choices,
        blank=True,
        default="",
    )
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    SENSITIVE_FIELDS = ("notes", "risk_reasons")

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            # The daily reminder: follow-ups not done, by due date.
            models.Index(fields=["due_on"], condition=Q(done_on__isnull=True), name="follow_up_open_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | ~Q(situation=""), name="follow_up_done_has_situation"
            )
        ]

    def __str__(self) -> str:
        return f"follow-up {self.pk} of {self.case_id}"


class FollowUpReminder(models.Model):
    """One reminder sent for one follow-up on one day (the daily task sends each at most once a day)."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follow_up", "day"], name="follow_up_reminder_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.follow_up_id} {self.day}"


# --- referrals -------------------------------------------------------------------------------------------


class Referral(models.Model):
    """A case referred to another station or to a named user (of a partner organisation): a per-object
    grant with an expiry and a note, needing sharing consent, audited, revocable. For a user, the grant is
    a `CaseUserObjectPermission` with the same expiry; for a station, its case managers and station
    managers see the case while the referral is live (cases/selectors.py)."""

    case = models.ForeignKey(VictimCase, on_delete=models.CASCADE, related_name="referrals")
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_station = models.ForeignKey(
        "accounts.Station", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    expires_at = models.DateTimeField(_("expires"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Why it was taken back: typed by hand, or "consent withdrawn" (sensitive: may name her).
    revoke_reason = models.TextField(_("why it was revoked"), blank=True)

    history = HistoricalRecords()

    SENSITIVE_FIELDS = ("note", "revoke_reason")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(to_user__isnull=False) & Q(to_station__isnull=True))
                | (Q(to_user__isnull=True) & Q(to_station__isnull=False)),
                name="referral_user_xor_station",
            )
        ]
        indexes = [models.Index(fields=["to_station", "expires_at"], name="referral_station_idx")]

    def __str__(self) -> str:
        return f"referral {self.pk} of {self.case_id}"


class CaseUserObjectPermission(UserObjectPermissionBase):
    """One case shared with one user by a referral (django-guardian, direct foreign key), until
    `expires_at`."""

    content_object = models.ForeignKey(VictimCase, on_delete=models.CASCADE, related_name="user_grants")
    expires_at = models.DateTimeField(null=True, blank=True)
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.CASCADE, related_name="+")


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """One case shared with a group (django-guardian, direct foreign key), until `expires_at`."""

    content_object = models.ForeignKey(VictimCase, on_delete=models.CASCADE, related_name="group_grants")
    expires_at = models.DateTimeField(null=True, blank=True)
