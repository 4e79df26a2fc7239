"""Opening a legal case, its complaint and its stages (docs/prosecution.md "The legal case, its complaint and
its stages").

The stages are a server-side state machine, one step forward at a time:

    open ─▶ complaint_filed ─▶ investigation ─▶ charge_sheet_filed ─▶ trial ─▶ verdict ─┬─▶ appeal ─▶ closed
      │            │                                                                    └─────────▶ closed
      └────────────┴─▶ not_filed (with a reason code)
    closed, not_filed ─ reopen (with a reason) ─▶ the stage it had before

Any other move raises `core.errors.TransitionError` (the API answers 409 `illegal_transition`); nothing is
written. Each service locks the legal case row, checks the policy on it, validates, saves with
`update_fields`, bumps `version` and logs its event last (codes only, no names).
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Station
from audit.services import record_event
from core import idempotency
from core.errors import StaleVersionError, TransitionError

from .. import policies
from ..models import LegalCase, LegalCaseVictim, NotFiledReason, Stage
from .numbering import next_number, station_today

# The stages a legal case may move to from each stage (reopening from closed or not filed is separate).
NEXT = {
    Stage.OPEN: (Stage.COMPLAINT_FILED, Stage.NOT_FILED),
    Stage.COMPLAINT_FILED: (Stage.INVESTIGATION, Stage.NOT_FILED),
    Stage.INVESTIGATION: (Stage.CHARGE_SHEET_FILED,),
    Stage.CHARGE_SHEET_FILED: (Stage.TRIAL,),
    Stage.TRIAL: (Stage.VERDICT,),
    Stage.VERDICT: (Stage.APPEAL, Stage.CLOSED),
    Stage.APPEAL: (Stage.CLOSED,),
    Stage.CLOSED: (),
    Stage.NOT_FILED: (),
}
ENDED = (Stage.CLOSED, Stage.NOT_FILED)
REOPEN = "reopen"
# The stages at which the complaint has been filed: its number and date may not be emptied.
FILED = tuple(s for s in Stage.values if s not in (Stage.OPEN, Stage.NOT_FILED))
# simple-history's change reason column holds the reason for reopening.
REOPEN_REASON_MAX = 100
COMPLAINT_FIELDS = ("complaint_number", "complaint_filed_on", "police_station", "district", "summary")


def stage_label(stage: str) -> str:
    return str(dict(Stage.choices).get(stage, stage))


def _district(station: Station, value) -> tuple:
    """(Place or None, text): a Place code, or a district's name in the station's country, is the Place;
    anything else is kept as text."""
    from people.models import Place, PlaceKind

    text = ("" if value is None else str(value)).strip()
    if not text:
        return None, ""
    place = Place.objects.filter(code=text).first() or (
        Place.objects.filter(country=station.country.code, kind=PlaceKind.DISTRICT, name__iexact=text).first()
    )
    return (place, "") if place is not None else (None, text[:120])


def _clean_complaint(values: dict, errors: dict) -> dict:
    out = {}
    if "complaint_number" in values:
        out["complaint_number"] = (values["complaint_number"] or "").strip()
        if len(out["complaint_number"]) > 60:
            errors["complaint_number"] = _("A complaint number has at most 60 characters.")
    if "complaint_filed_on" in values:
        filed = values["complaint_filed_on"]
        if filed is not None and not isinstance(filed, date):
            errors["complaint_filed_on"] = _("Give the date the complaint was filed.")
        out["complaint_filed_on"] = filed
    if "police_station" in values:
        out["police_station"] = (values["police_station"] or "").strip()
        if len(out["police_station"]) > 200:
            errors["police_station"] = _("A police station's name has at most 200 characters.")
    if "summary" in values:
        out["summary"] = (values["summary"] or "").strip()
    return out


def _check_filed_on(filed, station: Station, errors: dict) -> None:
    if isinstance(filed, date) and filed > station_today(station):
        errors["complaint_filed_on"] = _("The complaint cannot have been filed in the future.")


def legal_case_open(
    *,
    actor,
    station: Station,
    interceptions=(),
    victim_cases=(),
    complaint_number: str = "",
    complaint_filed_on: date | None = None,
    police_station: str = "",
    district: str = "",
    summary: str = "",
    idempotency_key: str | None = None,
) -> tuple[LegalCase, bool]:
    """Open a legal case at `station` from interceptions and/or victim case files (ids the actor may see,
    of the station's country), or on its own. With a complaint number and date it starts at
    `complaint_filed`, else at `open`. The victims' case files are linked: each one given, and each one
    opened from the given interceptions. Returns (legal case, created); a repeated idempotency key with the
    same content returns the first one."""
    from cases.models import VictimCase
    from cases.selectors import case_scope
    from interception.models import Interception, Status
    from interception.selectors import interception_scope

    key = idempotency.clean_key(idempotency_key)
    errors: dict = {}
    try:
        interception_ids = sorted({int(i) for i in interceptions})
        case_ids = sorted({int(i) for i in victim_cases})
    except (TypeError, ValueError):
        raise ValidationError(
            {"interceptions": _("Give interceptions and case files by their ids.")}
        ) from None
    values = _clean_complaint(
        {
            "complaint_number": complaint_number,
            "complaint_filed_on": complaint_filed_on,
            "police_station": police_station,
            "summary": summary,
        },
        errors,
    )
    _check_filed_on(values["complaint_filed_on"], station, errors)
    if errors:
        raise ValidationError(errors)
    content = {
        "station": station.pk,
        "interceptions": interception_ids,
        "victim_cases": case_ids,
        **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()},
        "district": ("" if district is None else str(district)).strip(),
    }
    with transaction.atomic():
        if key:
            first = idempotency.previous(user=actor, key=key, object_type="legal_case", content=content)
            if first is not None:
                return LegalCase.objects.get(pk=first), False
        if not policies.may_open_at(actor, station):
            raise PermissionDenied(_("You cannot open legal cases at this station."))
        country = station.country_id
        found = list(
            interception_scope(actor)
            .filter(pk__in=interception_ids)
            .values_list("pk", "station__country_id", "status")
        )
        if len(found) != len(interception_ids):
            errors["interceptions"] = _("No such interception.")
        elif any(c != country for _pk, c, _s in found):
            errors["interceptions"] = _(
                "An interception of another country cannot be part of this legal case."
            )
        elif any(s != Status.SUBMITTED for _pk, _c, s in found):
            errors["interceptions"] = _(
                "A draft interception cannot be part of a legal case: submit it first."
            )
        cases = list(case_scope(actor).filter(pk__in=case_ids).values_list("pk", "station__country_id"))
        if len(cases) != len(case_ids):
            errors["victim_cases"] = _("No such case file.")
        elif any(c != country for _pk, c in cases):
            errors["victim_cases"] = _("A case file of another country cannot be part of this legal case.")
        if errors:
            raise ValidationError(errors)
        place, district_text = _district(station, district)
        opened_on = station_today(station)
        filed = bool(values["complaint_number"] and values["complaint_filed_on"])
        legal_case = LegalCase(
            number=next_number(station, opened_on),
            station=station,
            stage=Stage.COMPLAINT_FILED if filed else Stage.OPEN,
            district=place,
            district_text=district_text,
            opened_on=opened_on,
            created_by=actor,
            **values,
        )
        legal_case._history_user = actor
        legal_case.save()
        if interception_ids:
            legal_case.interceptions.set(Interception.objects.filter(pk__in=interception_ids))
        opened_from = VictimCase.objects.filter(interception_id__in=interception_ids).values_list(
            "pk", flat=True
        )
        all_cases = sorted(set(case_ids) | set(opened_from))
        victims = [
            LegalCaseVictim(legal_case=legal_case, victim_case_id=pk, created_by=actor) for pk in all_cases
        ]
        for victim in victims:
            victim._history_user = actor
            victim.save()
        if key:
            idempotency.remember(
                user=actor, key=key, object_type="legal_case", object_id=legal_case.pk, content=content
            )
        details = {"number": legal_case.number, "stage": legal_case.stage, "victims": len(victims)}
        if interception_ids:
            details["interceptions"] = interception_ids
        if all_cases:
            details["victim_cases"] = all_cases
        record_event(
            actor=actor, action="legal_case.create", obj=legal_case, station=station, details=details
        )
    return legal_case, True


def _locked(legal_case: LegalCase, expected_version: int | None) -> LegalCase:
    current = (
        LegalCase.objects.select_for_update(of=("self",)).select_related("station").get(pk=legal_case.pk)
    )
    if expected_version is not None and current.version != expected_version:
        raise StaleVersionError(current.version)
    return current


def _save(current: LegalCase, *, actor, fields: list[str], reason: str = "") -> None:
    current.version += 1
    current._history_user = actor
    if reason:
        current._change_reason = reason
    current.save(update_fields=[*fields, "version", "updated_at"])


def legal_case_update(*, actor, legal_case: LegalCase, expected_version: int | None, **fields) -> LegalCase:
    """Change the complaint (`complaint_number`, `complaint_filed_on`, `police_station`, `district`) and
    the `summary`. Once the complaint is filed, its number and date may not be emptied."""
    unknown = set(fields) - set(COMPLAINT_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    errors: dict = {}
    values = _clean_complaint(fields, errors)
    with transaction.atomic():
        current = _locked(legal_case, expected_version)
        if not policies.may_change(actor, current):
            raise PermissionDenied(policies.message(policies.CHANGE))
        if "complaint_filed_on" in values:
            _check_filed_on(values["complaint_filed_on"], current.station, errors)
        if "district" in fields:
            values["district"], values["district_text"] = _district(current.station, fields["district"])
        if current.stage in FILED:
            if "complaint_number" in values and not values["complaint_number"]:
                errors["complaint_number"] = _("The complaint is filed: its number cannot be emptied.")
            if "complaint_filed_on" in values and values["complaint_filed_on"] is None:
                errors["complaint_filed_on"] = _("The complaint is filed: its date cannot be emptied.")
        if errors:
            raise ValidationError(errors)
        changed = [name for name, value in values.items() if getattr(current, name) != value]
        if not changed:
            return current
        for name in changed:
            setattr(current, name, values[name])
        _save(current, actor=actor, fields=changed)
        record_event(
            actor=actor,
            action="legal_case.update",
            obj=current,
            station=current.station,
            details={"number": current.number, "fields": sorted(changed), "version": current.version},
        )
    return current


def stage_before(legal_case: LegalCase) -> str:
    """The stage a closed or not-filed legal case had before it ended (from its history; one query)."""
    stages = LegalCase.history.filter(id=legal_case.pk).order_by("-history_date", "-history_id")
    for stage in stages.values_list("stage", flat=True):
        if stage not in ENDED:
            return stage
    return Stage.COMPLAINT_FILED if legal_case.complaint_number else Stage.OPEN


def next_stages(legal_case: LegalCase) -> list[str]:
    """The stages the legal case may move to now (REOPEN for a closed or not-filed one)."""
    return [REOPEN] if legal_case.stage in ENDED else list(NEXT.get(legal_case.stage, ()))


def legal_case_stage(
    *,
    actor,
    legal_case: LegalCase,
    stage: str,
    reason: str = "",
    notes: str = "",
    expected_version: int | None = None,
) -> LegalCase:
    """Move the legal case to `stage` (one step forward, or `not_filed` with a reason code and notes), or
    reopen it (`stage` "reopen", or the stage it had) from closed or not filed, with a reason."""
    reason, notes = (reason or "").strip(), (notes or "").strip()
    if stage != REOPEN and stage not in Stage.values:
        raise ValidationError({"stage": _("Choose a stage.")})
    with transaction.atomic():
        current = _locked(legal_case, expected_version)
        if not policies.may_change(actor, current):
            raise PermissionDenied(policies.message(policies.CHANGE))
        old = current.stage
        fields = ["stage"]
        change_reason = ""
        details = {"number": current.number, "from": old}
        if old in ENDED:
            back = stage_before(current)
            if stage not in (REOPEN, back):
                raise TransitionError(
                    _("This legal case is %(stage)s: it can only be reopened (back to %(back)s).")
                    % {"stage": stage_label(old).lower(), "back": stage_label(back).lower()},
                    status=old,
                )
            if not reason:
                raise ValidationError({"reason": _("Say why the legal case is reopened.")})
            if len(reason) > REOPEN_REASON_MAX:
                raise ValidationError(
                    {"reason": _("Say it in at most %(n)s characters.") % {"n": REOPEN_REASON_MAX}}
                )
            current.stage = back
            current.not_filed_reason, current.not_filed_notes, current.closed_on = "", "", None
            fields += ["not_filed_reason", "not_filed_notes", "closed_on"]
            change_reason = reason
            details["reopened"] = True
        else:
            if stage == REOPEN or stage not in NEXT[old]:
                raise TransitionError(
                    _("A legal case cannot move from %(old)s to %(new)s.")
                    % {"old": stage_label(old).lower(), "new": stage_label(stage).lower()},
                    status=old,
                )
            if stage == Stage.COMPLAINT_FILED:
                missing = {}
                if not current.complaint_number:
                    missing["complaint_number"] = _("Give the complaint / FIR number to file the complaint.")
                if current.complaint_filed_on is None:
                    missing["complaint_filed_on"] = _("Give the date the complaint was filed.")
                if missing:
                    raise ValidationError(missing)
            if stage == Stage.NOT_FILED:
                if reason not in NotFiledReason.values:
                    raise ValidationError(
                        {
                            "reason": _(
                                "Choose why it is not filed: victim unwilling, insufficient evidence, "
                                "suspect absconded, settled out of court, or other."
                            )
                        }
                    )
                if reason == NotFiledReason.OTHER and not notes:
                    raise ValidationError({"notes": _("Say what the other reason is.")})
                current.not_filed_reason, current.not_filed_notes = reason, notes
                fields += ["not_filed_reason", "not_filed_notes"]
                details["reason"] = reason
            current.stage = stage
            if stage == Stage.CLOSED:
                current.closed_on = station_today(current.station)
                fields.append("closed_on")
        _save(current, actor=actor, fields=fields, reason=change_reason)
        details.update(to=current.stage, version=current.version)
        record_event(
            actor=actor, action="legal_case.stage", obj=current, station=current.station, details=details
        )
    return current
