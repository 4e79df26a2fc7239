"""Court cases, charges, verdicts, sentences and appeals (docs/prosecution.md "Court cases, charges,
verdicts, sentences, appeals"), and the admin's edits of the statute catalogue and the courts.

A charge is one suspect × court case × statute of the legal case's country. On conviction the verdict
records the statute actually convicted under (a lesser one against a trafficking charge is how a
lesser-charge conviction is recorded), the imprisonment in years, months and days, its total in days
(`total_days`: years × 365 + months × 30 + days), a fine and the compensation to the victim."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import record_event
from core.errors import StaleVersionError

from .. import policies
from ..models import (
    Appeal,
    AppealOutcome,
    Charge,
    Court,
    CourtCase,
    LegalCase,
    Stage,
    Statute,
    Suspect,
    Verdict,
)
from .numbering import station_today

NUMBER_MAX = 60
MAX_YEARS, MAX_MONTHS, MAX_DAYS = 150, 11, 30
MAX_AMOUNT = Decimal("999999999999.99")


@dataclass
class Sentence:
    years: int | None = None
    months: int | None = None
    days: int | None = None
    fine_amount: Decimal | None = None
    fine_currency: str = ""

    @classmethod
    def of(cls, value) -> "Sentence":
        if isinstance(value, Sentence):
            return value
        value = value or {}
        return cls(
            **{k: value.get(k) for k in ("years", "months", "days", "fine_amount")},
            fine_currency=value.get("fine_currency") or "",
        )

    def is_empty(self) -> bool:
        return all(v in (None, "") for v in (self.years, self.months, self.days, self.fine_amount))


def total_days(years, months, days) -> int | None:
    """The imprisonment in days: years × 365 + months × 30 + days (a fixed rule, so totals compare across
    cases and countries; None when no part is given)."""
    if years is None and months is None and days is None:
        return None
    return (years or 0) * 365 + (months or 0) * 30 + (days or 0)


def _check_change(actor, legal_case: LegalCase) -> None:
    if not policies.may_change(actor, legal_case):
        raise PermissionDenied(policies.message(policies.CHANGE))
    if legal_case.stage == Stage.CLOSED:
        raise ValidationError({"__all__": _("The legal case is closed: reopen it to change it.")})


def _bump(legal_case: LegalCase, actor) -> None:
    legal_case.version += 1
    legal_case._history_user = actor
    legal_case.save(update_fields=["version", "updated_at"])


def _check_sentence(sentence: Sentence, errors: dict, prefix: str = "sentence.") -> None:
    for name, top in (("years", MAX_YEARS), ("months", MAX_MONTHS), ("days", MAX_DAYS)):
        value = getattr(sentence, name)
        if value is not None and not (isinstance(value, int) and 0 <= value <= top):
            errors[prefix + name] = _("Give a whole number from 0 to %(top)d.") % {"top": top}
    if sentence.fine_amount is not None:
        if not isinstance(sentence.fine_amount, Decimal) or not 0 <= sentence.fine_amount <= MAX_AMOUNT:
            errors[prefix + "fine_amount"] = _("Give an amount of 0 or more.")
        elif not _currency_ok(sentence.fine_currency):
            errors[prefix + "fine_currency"] = _("Give the currency as a three-letter code, e.g. NPR.")
    elif sentence.fine_currency:
        errors[prefix + "fine_amount"] = _("Give the fine's amount with its currency.")


def _currency_ok(code: str) -> bool:
    return isinstance(code, str) and len(code) == 3 and code.isalpha() and code.isupper()


def _statute(legal_case: LegalCase, code, field: str, errors: dict) -> Statute | None:
    statute = (
        Statute.objects.filter(country_id=legal_case.station.country_id, code=code or "").first()
        if isinstance(code, str)
        else None
    )
    if statute is None:
        errors[field] = _("Choose a charge of this country's statute catalogue.")
    return statute


# --- court cases ---------------------------------------------------------------------------------------


def court_case_add(*, actor, legal_case: LegalCase, court, number: str, filed_on: date | None = None):
    """Add a court case (a court of the legal case's country, by id or exact name, and its number: unique
    per court)."""
    _check_change(actor, legal_case)
    errors: dict = {}
    number = (number or "").strip()
    courts = Court.objects.filter(country_id=legal_case.station.country_id)
    found = None
    if isinstance(court, int) and not 0 < court < 2**31:
        court = None
    if isinstance(court, Court):
        found = courts.filter(pk=court.pk).first()
    elif isinstance(court, int) or (
        isinstance(court, str)
        and court.strip().isascii()
        and court.strip().isdigit()
        and len(court.strip()) < 10
    ):
        found = courts.filter(pk=int(court)).first()
    elif isinstance(court, str) and court.strip():
        found = courts.filter(name__iexact=court.strip()).first()
    if found is None:
        errors["court"] = _("Choose a court of this country.")
    if not number:
        errors["number"] = _("Give the court case number.")
    elif len(number) > NUMBER_MAX:
        errors["number"] = _("The number is too long.")
    if filed_on is not None and filed_on > station_today(legal_case.station):
        errors["filed_on"] = _("The filing date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    duplicate = ValidationError({"number": _("This court already has a case with this number.")})
    if CourtCase.objects.filter(court=found, number__iexact=number).exists():
        raise duplicate
    try:
        with transaction.atomic():
            court_case = CourtCase(
                legal_case=legal_case, court=found, number=number, filed_on=filed_on, created_by=actor
            )
            court_case._history_user = actor
            court_case.save()
            _bump(legal_case, actor)
            record_event(
                actor=actor,
                action="legal_case.court_case_add",
                obj=legal_case,
                station=legal_case.station,
                details={"court_case": court_case.pk, "court": found.pk},
            )
    except IntegrityError:
        raise duplicate from None
    return court_case


# --- charges --------------------------------------------------------------------------------------------


def charge_add(*, actor, legal_case: LegalCase, suspect, court_case, charge: str) -> Charge:
    """Charge a suspect in a court case of the same legal case under a statute (code) of its country: one
    row per suspect × court case × statute."""
    _check_change(actor, legal_case)
    errors: dict = {}
    suspect_row = (
        Suspect.objects.filter(legal_case=legal_case, pk=getattr(suspect, "pk", suspect)).first()
        if suspect is not None
        else None
    )
    if suspect_row is None:
        errors["suspect"] = _("Choose a suspect of this legal case.")
    court_case_row = (
        CourtCase.objects.filter(legal_case=legal_case, pk=getattr(court_case, "pk", court_case)).first()
        if court_case is not None
        else None
    )
    if court_case_row is None:
        errors["court_case"] = _("Choose a court case of this legal case.")
    statute = _statute(legal_case, charge, "charge", errors)
    if statute is not None and not statute.active:
        errors["charge"] = _("This statute is no longer in the catalogue.")
    if errors:
        raise ValidationError(errors)
    duplicate = ValidationError(
        {"charge": _("This suspect is already charged under this statute in this court case.")}
    )
    if Charge.objects.filter(suspect=suspect_row, court_case=court_case_row, statute=statute).exists():
        raise duplicate
    try:
        with transaction.atomic():
            row = Charge(
                legal_case=legal_case,
                suspect=suspect_row,
                court_case=court_case_row,
                statute=statute,
                created_by=actor,
            )
            row._history_user = actor
            row.save()
            _bump(legal_case, actor)
            record_event(
                actor=actor,
                action="legal_case.charge_add",
                obj=legal_case,
                station=legal_case.station,
                details={
                    "charge": row.pk,
                    "suspect": suspect_row.pk,
                    "court_case": court_case_row.pk,
                    "statute": statute.code,
                },
            )
    except IntegrityError:
        raise duplicate from None
    return row


def charge_decide(
    *,
    actor,
    charge: Charge,
    verdict: str,
    verdict_on: date | None = None,
    convicted_under: str | None = None,
    sentence=None,
    compensation_amount: Decimal | None = None,
    compensation_currency: str = "",
    expected_version: int,
) -> Charge:
    """Record the charge's verdict. On conviction: the statute convicted under (default: the charge's own),
    the sentence (imprisonment and its total days, fine) and the compensation to the victim; any other
    verdict clears them. Back to pending clears the verdict date too."""
    legal_case = charge.legal_case
    _check_change(actor, legal_case)
    sentence = Sentence.of(sentence)
    errors: dict = {}
    if verdict not in Verdict.values:
        errors["verdict"] = _("Unknown verdict.")
    today = station_today(legal_case.station)
    if verdict_on is not None and verdict_on > today:
        errors["verdict_on"] = _("The verdict date cannot be in the future.")
    under = None
    if verdict == Verdict.CONVICTED:
        under = (
            charge.statute
            if not convicted_under
            else _statute(legal_case, convicted_under, "convicted_under", errors)
        )
        _check_sentence(sentence, errors)
        if compensation_amount is not None:
            if not 0 <= compensation_amount <= MAX_AMOUNT:
                errors["compensation_amount"] = _("Give an amount of 0 or more.")
            elif not _currency_ok(compensation_currency):
                errors["compensation_currency"] = _("Give the currency as a three-letter code, e.g. NPR.")
    else:
        if convicted_under:
            errors["convicted_under"] = _("Only a conviction is under a statute.")
        if not sentence.is_empty() or compensation_amount is not None:
            errors["sentence"] = _("A sentence is recorded only with a conviction.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = Charge.objects.select_for_update().get(pk=charge.pk)
        if current.version != expected_version:
            raise StaleVersionError(current.version)
        convicted = verdict == Verdict.CONVICTED
        current.verdict = verdict
        current.verdict_on = None if verdict == Verdict.PENDING else verdict_on
        current.convicted_under = under if convicted else None
        current.imprisonment_years = sentence.years if convicted else None
        current.imprisonment_months = sentence.months if convicted else None
        current.imprisonment_days = sentence.days if convicted else None
        current.imprisonment_total_days = (
            total_days(sentence.years, sentence.months, sentence.days) if convicted else None
        )
        current.fine_amount = sentence.fine_amount if convicted else None
        current.fine_currency = (
            sentence.fine_currency if convicted and sentence.fine_amount is not None else ""
        )
        current.compensation_amount = compensation_amount if convicted else None
        current.compensation_currency = (
            compensation_currency if convicted and compensation_amount is not None else ""
        )
        current.version += 1
        current._history_user = actor
        current.save(
            update_fields=[
                "verdict",
                "verdict_on",
                "convicted_under",
                "imprisonment_years",
                "imprisonment_months",
                "imprisonment_days",
                "imprisonment_total_days",
                "fine_amount",
                "fine_currency",
                "compensation_amount",
                "compensation_currency",
                "version",
                "updated_at",
            ]
        )
        _bump(legal_case, actor)
        details = {"charge": current.pk, "verdict": verdict}
        if convicted:
            details["convicted_under"] = under.code
            details["lesser"] = bool(current.statute.is_trafficking and not under.is_trafficking)
        record_event(
            actor=actor,
            action="legal_case.charge_decide",
            obj=legal_case,
            station=legal_case.station,
            details=details,
        )
    return current


def is_lesser_conviction(charge: Charge) -> bool:
    """A trafficking charge convicted under a statute that is not a trafficking offence."""
    return bool(
        charge.verdict == Verdict.CONVICTED
        and charge.statute.is_trafficking
        and charge.convicted_under_id
        and not charge.convicted_under.is_trafficking
    )


def appeal_add(
    *,
    actor,
    charge: Charge,
    filed_on: date,
    court=None,
    outcome: str = AppealOutcome.PENDING,
    decided_on: date | None = None,
    sentence=None,
) -> Appeal:
    """Record an appeal against a charge's verdict: its date, court, outcome and, when the sentence changed,
    the new sentence (with its total days)."""
    legal_case = charge.legal_case
    _check_change(actor, legal_case)
    sentence = Sentence.of(sentence)
    errors: dict = {}
    today = station_today(legal_case.station)
    if charge.verdict == Verdict.PENDING:
        errors["__all__"] = _("Record the verdict before an appeal against it.")
    if filed_on is None:
        errors["filed_on"] = _("Give the date the appeal was filed.")
    elif filed_on > today:
        errors["filed_on"] = _("The filing date cannot be in the future.")
    if outcome not in AppealOutcome.values:
        errors["outcome"] = _("Unknown outcome.")
    if decided_on is not None:
        if decided_on > today:
            errors["decided_on"] = _("The decision date cannot be in the future.")
        elif filed_on is not None and decided_on < filed_on:
            errors["decided_on"] = _("The decision comes after the appeal was filed.")
    found = None
    if court not in (None, ""):
        courts = Court.objects.filter(country_id=legal_case.station.country_id)
        key = getattr(court, "pk", court)
        found = (
            courts.filter(pk=int(key)).first()
            if isinstance(key, int)
            or (isinstance(key, str) and key.isascii() and key.isdigit() and len(key) < 10)
            else courts.filter(name__iexact=str(key).strip()).first()
        )
        if found is None:
            errors["court"] = _("Choose a court of this country.")
    _check_sentence(sentence, errors)
    if not sentence.is_empty() and outcome not in (
        AppealOutcome.SENTENCE_REDUCED,
        AppealOutcome.SENTENCE_INCREASED,
    ):
        errors["sentence"] = _("A changed sentence goes with the outcome “sentence reduced” or “increased”.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        appeal = Appeal(
            charge=charge,
            filed_on=filed_on,
            court=found,
            outcome=outcome,
            decided_on=decided_on,
            imprisonment_years=sentence.years,
            imprisonment_months=sentence.months,
            imprisonment_days=sentence.days,
            imprisonment_total_days=total_days(sentence.years, sentence.months, sentence.days),
            fine_amount=sentence.fine_amount,
            fine_currency=sentence.fine_currency if sentence.fine_amount is not None else "",
            created_by=actor,
        )
        appeal._history_user = actor
        appeal.save()
        _bump(legal_case, actor)
        record_event(
            actor=actor,
            action="legal_case.appeal_add",
            obj=legal_case,
            station=legal_case.station,
            details={"charge": charge.pk, "appeal": appeal.pk, "outcome": outcome},
        )
    return appeal


# --- the catalogue (admin) ------------------------------------------------------------------------------


def catalogue_save(*, actor, entry, fields: list[str] | None = None) -> None:
    """Save a statute or court edited in the admin, with its history and an access-log event."""
    if not actor.is_staff:
        raise PermissionDenied(_("Only the administrators edit the catalogue."))
    with transaction.atomic():
        entry._history_user = actor
        entry.save()
        kind = "statute" if isinstance(entry, Statute) else "court"
        record_event(
            actor=actor,
            action=f"prosecution.{kind}_{'change' if fields is not None else 'add'}",
            obj=entry,
            details={"fields": sorted(fields or [])},
        )
