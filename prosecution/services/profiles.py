"""Trafficker profiles and prior records (docs/prosecution.md "Trafficker profile and recidivism").

A profile belongs to an identity and is created on its first edit, kept by the station of the legal case
it was first edited through. Whoever may work (`policies.may_change`) on a legal case on which the identity
is a suspect may edit it and add prior records. Every write is audited with field names and codes only.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import record_event
from core import idempotency
from core.errors import StaleVersionError
from people import places

from .. import policies, selectors
from ..models import (
    HierarchyRole,
    LegalCase,
    MoneyUse,
    Pathway,
    PriorRecord,
    Relationship,
    Suspect,
    TraffickerProfile,
)

TEXT_FIELDS = (
    "ethnicity",
    "education",
    "occupation",
    "marital_status",
    "income_level",
    "debts",
    "pathway_narrative",
)
BOOLEAN_FIELDS = ("owns_land_or_house", "organised_network")
CHOICE_FIELDS = {"pathway": Pathway, "relationship_to_victims": Relationship}
LIST_FIELDS = {"roles": HierarchyRole, "money_uses": MoneyUse}
FIELDS = (
    *TEXT_FIELDS,
    *BOOLEAN_FIELDS,
    *CHOICE_FIELDS,
    *LIST_FIELDS,
    "home_district",
    "amount_per_victim",
    "amount_currency",
)
NARRATIVE_MAX = 5000
PRIOR_KINDS = ("arrest", "conviction")


def _work_case(actor, identity) -> LegalCase:
    """A legal case on which the identity is a suspect and `actor` may work, else PermissionDenied."""
    legal_cases = LegalCase.objects.filter(
        pk__in=Suspect.objects.filter(person__identity_id=identity.pk).values("legal_case_id")
    ).select_related("station__country")
    work_case = selectors.work_case_for(actor, legal_cases.order_by("-opened_on", "-id"))
    if work_case is None:
        raise PermissionDenied(policies.message(policies.CHANGE))
    return work_case


def _choices(enum) -> str:
    return _("Choose one of: %(choices)s.") % {"choices": ", ".join(enum.values)}


def _clean(data: dict, country: str) -> dict:
    """The profile's new values from `data` (only the keys given), or ValidationError({field: message})."""
    errors: dict = {}
    values: dict = {}
    for key in data:
        if key not in FIELDS:
            errors[key] = _("Unknown field.")
    for name in TEXT_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[name] = _("Enter text.")
            continue
        value = value.strip()
        limit = (
            NARRATIVE_MAX
            if name == "pathway_narrative"
            else TraffickerProfile._meta.get_field(name).max_length
        )
        if len(value) > limit:
            errors[name] = _("Keep this under %(n)d characters.") % {"n": limit}
        values[name] = value
    for name in BOOLEAN_FIELDS:
        if name in data:
            if data[name] is not None and not isinstance(data[name], bool):
                errors[name] = _("Answer yes, no or leave it unknown.")
            values[name] = data[name]
    for name, enum in CHOICE_FIELDS.items():
        if name in data:
            value = data[name] or ""
            if value and value not in enum.values:
                errors[name] = _choices(enum)
            values[name] = value
    for name, enum in LIST_FIELDS.items():
        if name in data:
            value = data[name] or []
            if not isinstance(value, list | tuple) or any(v not in enum.values for v in value):
                errors[name] = _choices(enum)
                continue
            values[name] = [v for v in enum.values if v in value]  # the catalogue's order, each once
    if "home_district" in data:
        text = data["home_district"] or ""
        if not isinstance(text, str):
            errors["home_district"] = _("Enter a place.")
        elif text.strip():
            place = places.resolve(text, country)
            if place is None:
                errors["home_district"] = _("No such place: pick one of the suggestions.")
            values["home_district"] = place
        else:
            values["home_district"] = None
    if "amount_per_victim" in data:
        amount = data["amount_per_victim"]
        if amount in (None, ""):
            values["amount_per_victim"] = None
        else:
            try:
                amount = Decimal(str(amount)).quantize(Decimal("0.01"))
            except (InvalidOperation, ValueError):
                errors["amount_per_victim"] = _("Enter an amount.")
            else:
                if amount < 0 or amount >= Decimal("1e12") or not amount.is_finite():
                    errors["amount_per_victim"] = _("Enter an amount of 0 or more.")
                values["amount_per_victim"] = amount
    if "amount_currency" in data:
        currency = data["amount_currency"] or ""
        if not isinstance(currency, str) or (currency and not (len(currency) == 3 and currency.isalpha())):
            errors["amount_currency"] = _("Enter a three-letter currency code (NPR, INR, USD).")
        else:
            values["amount_currency"] = currency.upper()
    if errors:
        raise ValidationError(errors)
    return values


def _locked_profile(actor, identity, station) -> tuple[TraffickerProfile, bool]:
    """The identity's profile, locked until the transaction ends; created (unsaved fields aside) when
    missing. Returns (profile, created)."""
    profile = TraffickerProfile.objects.select_for_update().filter(identity_id=identity.pk).first()
    if profile is not None:
        return profile, False
    try:
        with transaction.atomic():
            profile = TraffickerProfile(identity=identity, station=station, created_by=actor)
            profile._history_user = actor
            profile.save()
            return profile, True
    except IntegrityError:  # created by someone else meanwhile
        return TraffickerProfile.objects.select_for_update().get(identity_id=identity.pk), False


def profile_update(*, actor, identity, data: dict, expected_version: int | None = None) -> TraffickerProfile:
    """Change the profile of `identity` (created when missing) with the keys of `data` (others stay).
    `expected_version`: the version the editor loaded (0 for a profile not yet created); a stale one is
    refused (StaleVersionError). Audited as `legal_case.profile_change` with the changed field names."""
    work_case = _work_case(actor, identity)
    values = _clean(data, work_case.station.country.code if work_case.station.country_id else "NP")
    with transaction.atomic():
        profile, created = _locked_profile(actor, identity, work_case.station)
        current = 0 if created else profile.version
        if expected_version is not None and expected_version != current:
            raise StaleVersionError(current)
        changed = [name for name, value in values.items() if getattr(profile, name) != value]
        if not changed and not created:
            return profile
        for name in changed:
            setattr(profile, name, values[name])
        if not created:
            profile.version += 1
        profile._history_user = actor
        profile.save(update_fields=[*changed, "version", "updated_at"])
        record_event(
            actor=actor,
            action="legal_case.profile_change",
            object_type="identity",
            object_id=identity.pk,
            station=profile.station,
            details={
                "profile": profile.pk,
                "legal_case": work_case.pk,
                "created": created,
                "fields": sorted(changed),
                "version": profile.version,
            },
        )
    return profile


def prior_record_add(
    *,
    actor,
    identity,
    kind: str,
    occurred_on: date | None,
    description: str,
    sentence: str = "",
    source: str,
    idempotency_key: str | None = None,
) -> PriorRecord:
    """Add a prior arrest or conviction entered by hand, with its source (the profile is created when
    missing). A repeated idempotency key with the same content returns the first record (`replayed`)."""
    key = idempotency.clean_key(idempotency_key)
    work_case = _work_case(actor, identity)
    errors: dict = {}
    if kind not in PRIOR_KINDS:
        errors["kind"] = _("Choose one of: %(choices)s.") % {"choices": ", ".join(PRIOR_KINDS)}
    description = (description or "").strip() if isinstance(description, str) else None
    if not description:
        errors["description"] = _("Describe the arrest or conviction.")
    elif len(description) > NARRATIVE_MAX:
        errors["description"] = _("Keep this under %(n)d characters.") % {"n": NARRATIVE_MAX}
    sentence = (sentence or "").strip() if isinstance(sentence, str) else None
    if sentence is None or len(sentence) > 200:
        errors["sentence"] = _("Keep this under %(n)d characters.") % {"n": 200}
    source = (source or "").strip() if isinstance(source, str) else ""
    if not source:
        errors["source"] = _("Say where this comes from (a court record, the police, a newspaper...).")
    elif len(source) > 200:
        errors["source"] = _("Keep this under %(n)d characters.") % {"n": 200}
    if occurred_on is not None and occurred_on > date.today():
        errors["occurred_on"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    content = {
        "identity": identity.pk,
        "kind": kind,
        "occurred_on": occurred_on.isoformat() if occurred_on else None,
        "description": description,
        "sentence": sentence,
        "source": source,
    }
    with transaction.atomic():
        if key:
            first = idempotency.previous(user=actor, key=key, object_type="prior_record", content=content)
            if first is not None:
                record = PriorRecord.objects.get(pk=first)
                record.replayed = True
                return record
        profile, created = _locked_profile(actor, identity, work_case.station)
        record = PriorRecord(
            profile=profile,
            kind=kind,
            occurred_on=occurred_on,
            description=description,
            sentence=sentence,
            source=source,
            created_by=actor,
        )
        record._history_user = actor
        record.save()
        record.replayed = False
        if key:
            idempotency.remember(
                user=actor, key=key, object_type="prior_record", object_id=record.pk, content=content
            )
        record_event(
            actor=actor,
            action="legal_case.prior_record_add",
            object_type="identity",
            object_id=identity.pk,
            station=profile.station,
            details={
                "profile": profile.pk,
                "prior_record": record.pk,
                "legal_case": work_case.pk,
                "kind": kind,
                "profile_created": created,
            },
        )
    return record
