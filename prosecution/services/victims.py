"""The victims of a legal case (docs/prosecution.md "Victims in the legal case").

- `victim_add`: link a victim's case file (one the actor may see) to the legal case, once;
- `victim_update`: her contact status, when she was last contacted and last tried, whether she is willing
  to testify, and the protection measures (sensitive).

A legal case closed or not filed takes no new victims; her contact details can still be kept up to date
(protection goes on after a verdict). `LegalCaseVictim` carries no version column: its version is the
number of its history rows (`victim_version`), so a stale edit is refused all the same.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import record_event
from cases.models import VictimCase
from cases.selectors import case_scope
from core.errors import StaleVersionError, TransitionError

from .. import policies
from ..models import ContactStatus, LegalCase, LegalCaseVictim, Stage
from .numbering import station_today

VICTIM_FIELDS = (
    "contact_status",
    "last_contacted_on",
    "last_attempted_on",
    "willing_to_testify",
    "protection_measures",
)
TESTIFY = ("yes", "no", "undecided")
ENDED = (Stage.CLOSED, Stage.NOT_FILED)


def _locked(legal_case: LegalCase) -> LegalCase:
    fresh = LegalCase.objects.select_for_update(of=("self",)).select_related("station").get(pk=legal_case.pk)
    if hasattr(legal_case, "can_see_sensitive"):
        fresh.can_see_sensitive = legal_case.can_see_sensitive
    return fresh


def _check(actor, legal_case: LegalCase) -> None:
    if not policies.may_change(actor, legal_case):
        raise PermissionDenied(policies.message(policies.CHANGE))


def victim_version(victim: LegalCaseVictim) -> int:
    """The version of a victim's row: how many times it was saved (its history rows)."""
    return victim.history.count()


def victim_add(
    *, actor, legal_case: LegalCase, victim_case: VictimCase | int
) -> tuple[LegalCaseVictim, bool]:
    """Link a case file to the legal case. Returns (victim, created): linking the same case file again
    returns the first link. A case file the actor may not see is refused as if it did not exist."""
    case_id = victim_case.pk if isinstance(victim_case, VictimCase) else victim_case
    if not isinstance(case_id, int) or not case_scope(actor).filter(pk=case_id).exists():
        raise ValidationError({"victim_case": _("There is no such case file, or you may not see it.")})
    with transaction.atomic():
        legal_case = _locked(legal_case)
        _check(actor, legal_case)
        existing = LegalCaseVictim.objects.filter(legal_case=legal_case, victim_case_id=case_id).first()
        if existing is not None:
            return existing, False
        if legal_case.stage in ENDED:
            raise TransitionError(
                _("This legal case is %(stage)s: it takes no new victims.")
                % {"stage": legal_case.get_stage_display().lower()},
                status=legal_case.stage,
            )
        victim = LegalCaseVictim(legal_case=legal_case, victim_case_id=case_id, created_by=actor)
        victim._history_user = actor
        victim.save()
        record_event(
            actor=actor,
            action="legal_case.victim_add",
            obj=legal_case,
            station=legal_case.station,
            details={"victim": victim.pk, "case": case_id},
        )
    return victim, True


def _clean(values: dict, *, today: date) -> dict:
    out = dict(values)
    out["protection_measures"] = (values.get("protection_measures") or "").strip()
    out["contact_status"] = values.get("contact_status") or ""
    out["willing_to_testify"] = values.get("willing_to_testify") or ""
    errors: dict = {}
    if out["contact_status"] not in ("", *ContactStatus.values):
        errors["contact_status"] = _("Choose in contact, trying to reach her, or contact lost.")
    if out["willing_to_testify"] not in ("", *TESTIFY):
        errors["willing_to_testify"] = _("Choose yes, no or not decided.")
    for field in ("last_contacted_on", "last_attempted_on"):
        value = out.get(field)
        if value is not None and not isinstance(value, date):
            errors[field] = _("Give a date.")
    for field in ("last_contacted_on", "last_attempted_on"):
        value = out.get(field)
        if isinstance(value, date) and value > today:
            errors.setdefault(field, _("This date is in the future."))
    if errors:
        raise ValidationError(errors)
    return out


def victim_update(*, actor, victim: LegalCaseVictim, expected_version: int | None = None, **fields):
    """Change what we know of her part in the legal case (any of VICTIM_FIELDS). A stale
    `expected_version` is refused (StaleVersionError) and nothing is written."""
    unknown = set(fields) - set(VICTIM_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in sorted(unknown)})
    with transaction.atomic():
        legal_case = _locked(victim.legal_case)
        current = LegalCaseVictim.objects.select_for_update().get(pk=victim.pk, legal_case=legal_case)
        _check(actor, legal_case)
        version = victim_version(current)
        if expected_version is not None and expected_version != version:
            raise StaleVersionError(version)
        values = _clean(
            {**{f: getattr(current, f) for f in VICTIM_FIELDS}, **fields},
            today=station_today(legal_case.station),
        )
        changed = [f for f in VICTIM_FIELDS if values[f] != getattr(current, f)]
        if not changed:
            current.version = version
            return current
        for name in changed:
            setattr(current, name, values[name])
        current._history_user = actor
        current.save(update_fields=changed)
        current.version = version + 1
        record_event(
            actor=actor,
            action="legal_case.victim_change",
            obj=legal_case,
            station=legal_case.station,
            details={
                "victim": current.pk,
                "contact_status": current.contact_status,
                "willing_to_testify": current.willing_to_testify,
                "fields": sorted(changed),
            },
        )
    return current
