"""The case's own state machine and its risk (docs/cases.md "Closure, reopening"):

    new ──┐
          ├─ closure_request ─▶ closure_requested ─ closure_approve ─▶ closed ─ case_reopen ─▶ active
    active┘                              └─ closure_refuse ─▶ active

A transition from any other status raises `core.errors.TransitionError` (the API answers 409
`illegal_transition`, a page shows the message); nothing is written. Each service locks the case row, checks
the policy on the locked row, validates, saves with `update_fields`, bumps `version`, and logs its event
last (`case.<risk|closure_request|closure_approve|closure_refuse|reopen>`, with codes only).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record_event
from core import events
from core.errors import StaleVersionError, TransitionError

from .. import policies
from ..models import CaseStatus, ClosureReason, Risk, VictimCase

OPEN = (CaseStatus.NEW, CaseStatus.ACTIVE)


def _locked(case: VictimCase, expected_version: int | None = None) -> VictimCase:
    """The case row, locked until the transaction ends (with its station, for the policy). A stale
    `expected_version` is refused."""
    current = VictimCase.objects.select_for_update(of=("self",)).select_related("station").get(pk=case.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleVersionError(current.version)
    return current


def _check(allowed: bool, action: str) -> None:
    if not allowed:
        raise PermissionDenied(policies.message(action))


def _save(current: VictimCase, *, actor, fields: list[str]) -> None:
    current.version += 1
    current._history_user = actor
    current.save(update_fields=[*fields, "version", "updated_at"])


def _log(current: VictimCase, *, actor, action: str, old_status: str, **details) -> None:
    record_event(
        actor=actor,
        action=action,
        obj=current,
        station=current.station,
        details={
            "number": current.number,
            "from": old_status,
            "to": current.status,
            "version": current.version,
            **details,
        },
    )


def _status_label(status: str) -> str:
    return str(dict(CaseStatus.choices).get(status, status))


def case_risk_set(
    *, actor, case: VictimCase, risk: str, reasons: str = "", expected_version: int | None = None
) -> VictimCase:
    """Assess the case's risk: low, medium or high, with reasons (sensitive). Any open or closed case."""
    reasons = (reasons or "").strip()
    if risk not in Risk.values:
        raise ValidationError({"risk": _("Choose low, medium or high.")})
    with transaction.atomic():
        current = _locked(case, expected_version)
        _check(policies.may_change(actor, current), policies.CHANGE)
        old_risk = current.risk
        current.risk, current.risk_reasons = risk, reasons
        _save(current, actor=actor, fields=["risk", "risk_reasons"])
        _log(
            current, actor=actor, action="case.risk", old_status=current.status, risk=risk, previous=old_risk
        )
    return current


def closure_request(
    *, actor, case: VictimCase, reason: str, notes: str = "", expected_version: int | None = None
) -> VictimCase:
    """Ask to close the case (from new or active) with a reason code; the station's other managers are
    told (alerts: "case.closure_requested")."""
    notes = (notes or "").strip()
    if reason not in ClosureReason.values:
        raise ValidationError(
            {
                "reason": _(
                    "Choose why the case closes: reintegrated, moved away, declined services, lost contact, "
                    "transferred or died."
                )
            }
        )
    with transaction.atomic():
        current = _locked(case, expected_version)
        _check(policies.may_change(actor, current), policies.CHANGE)
        if current.status not in OPEN:
            raise TransitionError(
                _("Closure can only be requested for a new or active case; this one is %(status)s.")
                % {"status": _status_label(current.status)},
                status=current.status,
            )
        old = current.status
        current.status = CaseStatus.CLOSURE_REQUESTED
        current.closure_reason, current.closure_notes = reason, notes
        current.closure_requested_by, current.closure_requested_at = actor, timezone.now()
        _save(
            current,
            actor=actor,
            fields=[
                "status",
                "closure_reason",
                "closure_notes",
                "closure_requested_by",
                "closure_requested_at",
            ],
        )
        events.publish("case.closure_requested", id=current.pk, by=actor.pk)
        _log(current, actor=actor, action="case.closure_request", old_status=old, reason=reason)
    return current


def _approver_check(actor, current: VictimCase) -> None:
    if current.closure_requested_by_id is not None and current.closure_requested_by_id == actor.pk:
        raise PermissionDenied(_("You cannot approve your own closure request"))
    _check(policies.may_approve(actor, current), policies.APPROVE)


def closure_approve(*, actor, case: VictimCase, expected_version: int | None = None) -> VictimCase:
    """Approve a requested closure: a station manager of the station other than the one who asked."""
    with transaction.atomic():
        current = _locked(case, expected_version)
        _approver_check(actor, current)
        if current.status != CaseStatus.CLOSURE_REQUESTED:
            raise TransitionError(
                _("Only a case whose closure was requested can be closed; this one is %(status)s.")
                % {"status": _status_label(current.status)},
                status=current.status,
            )
        old = current.status
        current.status = CaseStatus.CLOSED
        current.closed_by, current.closed_at = actor, timezone.now()
        _save(current, actor=actor, fields=["status", "closed_by", "closed_at"])
        _log(
            current,
            actor=actor,
            action="case.closure_approve",
            old_status=old,
            reason=current.closure_reason,
            requested_by=current.closure_requested_by_id,
        )
    return current


def closure_refuse(
    *, actor, case: VictimCase, note: str = "", expected_version: int | None = None
) -> VictimCase:
    """Refuse a requested closure: the case is active again. The note (why) goes into the closure notes'
    history; the request's reason is cleared."""
    note = (note or "").strip()
    with transaction.atomic():
        current = _locked(case, expected_version)
        if current.closure_requested_by_id is not None and current.closure_requested_by_id == actor.pk:
            raise PermissionDenied(_("You cannot decide on your own closure request"))
        _check(policies.may_approve(actor, current), policies.APPROVE)
        if current.status != CaseStatus.CLOSURE_REQUESTED:
            raise TransitionError(
                _("Only a requested closure can be refused; this case is %(status)s.")
                % {"status": _status_label(current.status)},
                status=current.status,
            )
        old, reason = current.status, current.closure_reason
        current.status = CaseStatus.ACTIVE
        current.closure_reason, current.closure_notes = "", note
        current.closure_requested_by, current.closure_requested_at = None, None
        _save(
            current,
            actor=actor,
            fields=[
                "status",
                "closure_reason",
                "closure_notes",
                "closure_requested_by",
                "closure_requested_at",
            ],
        )
        _log(current, actor=actor, action="case.closure_refuse", old_status=old, reason=reason)
    return current


def case_reopen(*, actor, case: VictimCase, reason: str, expected_version: int | None = None) -> VictimCase:
    """Reopen a closed case (it becomes active) with a reason (sensitive). The closure's reason stays in the
    case's history."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the case is reopened.")})
    with transaction.atomic():
        current = _locked(case, expected_version)
        _check(policies.may_change(actor, current), policies.CHANGE)
        if current.status != CaseStatus.CLOSED:
            raise TransitionError(
                _("Only a closed case can be reopened; this one is %(status)s.")
                % {"status": _status_label(current.status)},
                status=current.status,
            )
        old, closed_reason = current.status, current.closure_reason
        current.status = CaseStatus.ACTIVE
        current.reopen_reason = reason
        current.closure_reason, current.closure_notes = "", ""
        current.closure_requested_by, current.closure_requested_at = None, None
        current.closed_by, current.closed_at = None, None
        _save(
            current,
            actor=actor,
            fields=[
                "status",
                "reopen_reason",
                "closure_reason",
                "closure_notes",
                "closure_requested_by",
                "closure_requested_at",
                "closed_by",
                "closed_at",
            ],
        )
        _log(current, actor=actor, action="case.reopen", old_status=old, closure_reason=closed_reason)
    return current
