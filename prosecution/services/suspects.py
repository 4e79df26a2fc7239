"""Suspects (defendants) and their arrests (docs/prosecution.md "Suspects and arrests").

A suspect is a new appearance (`people.Person`, source "legal_case") on the legal case, of the identity of
the appearance it was picked from (an interception's suspect, a recruiter named in a victim interview), of a
known identity, or of a new one. An identity is a suspect at most once per legal case. An arrest is verified
by a second user, with an evidence attachment; a change of arrest status clears the verification."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record_event
from core import events
from core.errors import StaleVersionError
from core.uploads import sniff
from people import phones
from people import services as people_services
from people.models import Gender, Person, Source

from .. import policies, selectors
from ..models import ArrestStatus, HierarchyRole, LegalCase, Stage, Suspect
from .numbering import station_today

SIGNATURES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"%PDF-": "application/pdf",
}
NAME_MAX = 200
SOURCE_MAX = 300


def _check_change(actor, legal_case: LegalCase) -> None:
    if not policies.may_change(actor, legal_case):
        raise PermissionDenied(policies.message(policies.CHANGE))


def _check_open(legal_case: LegalCase) -> None:
    if legal_case.stage == Stage.CLOSED:
        raise ValidationError({"__all__": _("The legal case is closed: reopen it to change it.")})


def _bump(legal_case: LegalCase, actor) -> None:
    legal_case.version += 1
    legal_case._history_user = actor
    legal_case.save(update_fields=["version", "updated_at"])


def suspect_add(
    *,
    actor,
    legal_case: LegalCase,
    person: int | None = None,
    identity: int | None = None,
    name: str = "",
    gender: str = "",
    age: int | None = None,
    phone: str = "",
    role: str = "",
    arrest_status: str = ArrestStatus.NOT_ARRESTED,
) -> Suspect:
    """Add a suspect: picked from an appearance the actor may read (`person`: an interception's suspect or
    an interview's recruiter of this legal case), a known identity (`identity`, with `name` or a visible
    appearance's name), or a new person (`name`, `gender`, `age`, `phone`)."""
    _check_change(actor, legal_case)
    _check_open(legal_case)
    errors: dict = {}
    name = (name or "").strip()
    gender = gender or Gender.UNKNOWN
    if gender not in Gender.values:
        errors["gender"] = _("Unknown gender.")
    if role and role not in HierarchyRole.values:
        errors["role"] = _("Unknown role in the hierarchy.")
    if arrest_status not in ArrestStatus.values:
        errors["arrest_status"] = _("Unknown arrest status.")
    if age is not None and not 0 <= age <= 120:
        errors["age"] = _("Give an age between 0 and 120.")
    if len(name) > NAME_MAX:
        errors["name"] = _("The name is too long.")
    picked = None
    identity_id = None
    if person is not None:
        picked = selectors.suspect_candidates(actor, legal_case).filter(pk=person).first()
        if picked is None:
            errors["person"] = _("Choose a suspect of this legal case's interceptions or interviews.")
        else:
            identity_id = picked.identity_id
    elif identity is not None:
        seen = selectors.visible_appearance_of_identity(actor, identity)
        if seen is None:
            errors["identity"] = _("No such person.")
        else:
            identity_id = seen.identity_id
            if not name:
                picked = seen if seen.can_see_sensitive else None
                if picked is None:
                    errors["name"] = _("Give the suspect's name.")
    elif not name:
        errors["name"] = _("Give the suspect's name, or choose a person.")
    stored_phone = ""
    if phone and picked is None:
        try:
            stored_phone = phones.parse(phone, region=people_services.station_region(legal_case.station))
        except phones.PhoneError as error:
            errors["phone"] = str(error)
    if errors:
        raise ValidationError(errors)
    today = station_today(legal_case.station)
    with transaction.atomic():
        LegalCase.objects.select_for_update().filter(pk=legal_case.pk).first()
        if (
            identity_id is not None
            and Suspect.objects.filter(legal_case=legal_case, person__identity_id=identity_id).exists()
        ):
            raise ValidationError(
                {"person" if person is not None else "identity": _("This person is already a suspect here.")}
            )
        appearance = Person(
            source=Source.LEGAL_CASE,
            record_id=legal_case.pk,
            recorded_on=today,
            station=legal_case.station,
            full_name=picked.full_name if picked is not None and not name else name,
            gender=picked.gender if picked is not None else gender,
            age=picked.age if picked is not None and age is None else age,
            phone=picked.phone if picked is not None else stored_phone,
            created_by=actor,
        )
        if identity_id is None:
            people_services.new_identities([appearance])
        else:
            appearance.identity_id = identity_id
        appearance._history_user = actor
        appearance.save()
        suspect = Suspect(
            legal_case=legal_case,
            person=appearance,
            picked_from=picked if person is not None else None,
            role=role,
            arrest_status=arrest_status,
            arrest_recorded_by=actor if arrest_status != ArrestStatus.NOT_ARRESTED else None,
            created_by=actor,
        )
        suspect._history_user = actor
        suspect.save()
        _bump(legal_case, actor)
        people_services.appearances_recorded(created=[appearance], renamed=[])
        events.publish("legal_case.suspect_added", id=suspect.pk)
        record_event(
            actor=actor,
            action="legal_case.suspect_add",
            obj=legal_case,
            station=legal_case.station,
            details={
                "suspect": suspect.pk,
                "from": "picked" if person is not None else "identity" if identity is not None else "new",
                "arrest_status": arrest_status,
            },
        )
    return suspect


def arrest_record(
    *,
    actor,
    suspect: Suspect,
    arrest_status: str,
    arrested_on: date | None = None,
    arrest_source: str = "",
    expected_version: int | None = None,
) -> Suspect:
    """Record the suspect's arrest status, its date and how it is known. A change of status clears a
    previous verification (the new status needs its own)."""
    legal_case = suspect.legal_case
    _check_change(actor, legal_case)
    _check_open(legal_case)
    errors = {}
    if arrest_status not in ArrestStatus.values:
        errors["arrest_status"] = _("Unknown arrest status.")
    if arrested_on is not None and arrested_on > station_today(legal_case.station):
        errors["arrested_on"] = _("The arrest date cannot be in the future.")
    if arrest_status == ArrestStatus.NOT_ARRESTED and arrested_on is not None:
        errors["arrested_on"] = _("A suspect who is not arrested has no arrest date.")
    if len(arrest_source or "") > SOURCE_MAX:
        errors["arrest_source"] = _("Keep it under %(n)d characters.") % {"n": SOURCE_MAX}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = Suspect.objects.select_for_update().get(pk=suspect.pk)
        if expected_version is not None and current.version != expected_version:
            raise StaleVersionError(current.version)
        changed_status = current.arrest_status != arrest_status
        current.arrest_status = arrest_status
        current.arrested_on = arrested_on
        current.arrest_source = (arrest_source or "").strip()
        current.arrest_recorded_by = actor if arrest_status != ArrestStatus.NOT_ARRESTED else None
        fields = [
            "arrest_status",
            "arrested_on",
            "arrest_source",
            "arrest_recorded_by",
            "version",
            "updated_at",
        ]
        if changed_status and current.arrest_verified_by_id:
            current.arrest_verified_by = None
            current.arrest_verified_at = None
            current.arrest_evidence = ""
            current.arrest_evidence_name = ""
            current.arrest_evidence_type = ""
            fields += [
                "arrest_verified_by",
                "arrest_verified_at",
                "arrest_evidence",
                "arrest_evidence_name",
                "arrest_evidence_type",
            ]
        current.version += 1
        current._history_user = actor
        current.save(update_fields=fields)
        _bump(legal_case, actor)
        record_event(
            actor=actor,
            action="legal_case.arrest_record",
            obj=legal_case,
            station=legal_case.station,
            details={
                "suspect": current.pk,
                "arrest_status": arrest_status,
                "verification_cleared": bool(changed_status and "arrest_verified_by" in fields),
            },
        )
    return current


def arrest_verify(*, actor, suspect: Suspect, evidence) -> Suspect:
    """Verify the suspect's arrest: a second user (not the one who recorded it) who may verify, with an
    evidence attachment (PDF, JPEG or PNG)."""
    legal_case = suspect.legal_case
    if not policies.may_verify(actor, legal_case):
        raise PermissionDenied(policies.message(policies.VERIFY))
    if suspect.arrest_recorded_by_id == actor.pk:
        raise PermissionDenied(_("A second person verifies an arrest: you recorded this one."))
    if suspect.arrest_status == ArrestStatus.NOT_ARRESTED:
        raise ValidationError({"arrest_status": _("Record an arrest before verifying it.")})
    if not evidence:
        raise ValidationError({"evidence": _("Attach the evidence of the arrest.")})
    content_type = sniff(
        evidence,
        field="evidence",
        signatures=SIGNATURES,
        message=_("The evidence must be a PDF, JPEG or PNG file."),
    )
    with transaction.atomic():
        current = Suspect.objects.select_for_update().get(pk=suspect.pk)
        if current.arrest_status != suspect.arrest_status or current.arrest_recorded_by_id == actor.pk:
            raise ValidationError({"arrest_status": _("The arrest changed: reload the page.")})
        current.arrest_verified_by = actor
        current.arrest_verified_at = timezone.now()
        current.arrest_evidence_name = (getattr(evidence, "name", "") or "evidence")[-200:]
        current.arrest_evidence_type = content_type
        current.arrest_evidence.save("evidence", evidence, save=False)
        current.version += 1
        current._history_user = actor
        current.save(
            update_fields=[
                "arrest_verified_by",
                "arrest_verified_at",
                "arrest_evidence",
                "arrest_evidence_name",
                "arrest_evidence_type",
                "version",
                "updated_at",
            ]
        )
        _bump(legal_case, actor)
        record_event(
            actor=actor,
            action="legal_case.arrest_verify",
            obj=legal_case,
            station=legal_case.station,
            details={"suspect": current.pk, "arrest_status": current.arrest_status},
        )
    return current
