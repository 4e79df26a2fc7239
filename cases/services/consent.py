"""Consent decisions and overrides of a case file (docs/cases.md "Consent").

Consent rows are append-only: the latest row per scope is in force. A withdrawal (or a refusal after a
consent) of `information_sharing` takes effect at once: every live referral of the case is revoked in the
same transaction. An override (station managers, with a reason) lets one action go ahead without consent;
an `information_sharing` override allows exactly one referral made after it.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import record_event
from core import idempotency
from core.uploads import sniff

from .. import policies
from ..models import Consent, ConsentDecision, ConsentMethod, ConsentOverride, ConsentScope, VictimCase

# The signed form's type, read from its first bytes (as interception attachments are checked).
SIGNATURES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"%PDF-": "application/pdf",
}
REASON_MAX = 2000


def station_today(case: VictimCase) -> date:
    return case.station.local_today()


def lock_case(case: VictimCase) -> None:
    """Lock the case row until the transaction ends: consent decisions and referrals of one case are
    serialised, so a referral cannot slip past a withdrawal being recorded."""
    VictimCase.objects.select_for_update().filter(pk=case.pk).first()


def _signed_form_type(upload) -> str:
    return sniff(
        upload,
        field="signed_form",
        signatures=SIGNATURES,
        message=_("The signed form must be a PDF, JPEG or PNG file."),
    )


def consent_record(
    *,
    actor,
    case: VictimCase,
    scope: str,
    decision: str,
    method: str,
    decided_on: date | None = None,
    notes: str = "",
    signed_form=None,
    idempotency_key: str | None = None,
) -> Consent:
    """Record one consent decision for one scope. A withdrawal needs a consent in force to withdraw; a
    withdrawal or refusal of `information_sharing` revokes the case's live referrals at once. A repeated
    idempotency key with the same content returns the first decision, marked `replayed = True`."""
    from .referrals import revoke_live_referrals

    key = idempotency.clean_key(idempotency_key)
    if not policies.may_change(actor, case):
        raise PermissionDenied(policies.message(policies.CHANGE))
    errors: dict = {}
    if scope not in ConsentScope.values:
        errors["scope"] = _("Choose one of: %(choices)s.") % {"choices": ", ".join(ConsentScope.values)}
    if decision not in ConsentDecision.values:
        errors["decision"] = _("Choose one of: %(choices)s.") % {"choices": ", ".join(ConsentDecision.values)}
    if method not in ConsentMethod.values:
        errors["method"] = _("Choose one of: %(choices)s.") % {"choices": ", ".join(ConsentMethod.values)}
    today = station_today(case)
    decided_on = decided_on or today
    if decided_on > today:
        errors["decided_on"] = _("The date cannot be in the future.")
    content_type = ""
    if signed_form:
        try:
            content_type = _signed_form_type(signed_form)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    content = {
        "case": case.pk,
        "scope": scope,
        "decision": decision,
        "method": method,
        "decided_on": decided_on.isoformat(),
        "notes": (notes or "").strip(),
        "signed_form": [signed_form.name, signed_form.size] if signed_form else None,
    }
    with transaction.atomic():
        if key:
            first = idempotency.previous(user=actor, key=key, object_type="case_consent", content=content)
            if first is not None:
                consent = Consent.objects.get(pk=first)
                consent.replayed = True
                return consent
        lock_case(case)
        latest = Consent.objects.filter(case=case, scope=scope).order_by("-recorded_at", "-id").first()
        if decision == ConsentDecision.WITHDRAWN and (
            latest is None or latest.decision != ConsentDecision.GIVEN
        ):
            raise ValidationError(
                {"decision": _("There is no consent in force for this scope to withdraw: record a refusal.")}
            )
        consent = Consent(
            case=case,
            scope=scope,
            decision=decision,
            method=method,
            decided_on=decided_on,
            notes=(notes or "").strip(),
            recorded_by=actor,
        )
        if signed_form:
            name = (signed_form.name or "signed-form").rsplit("/", 1)[-1][:200]
            consent.signed_form.save(name, signed_form, save=False)
            consent.signed_form_name, consent.signed_form_type = name, content_type
        consent._history_user = actor
        consent.save()
        consent.replayed = False
        if key:
            idempotency.remember(
                user=actor, key=key, object_type="case_consent", object_id=consent.pk, content=content
            )
        revoked = []
        if scope == ConsentScope.INFORMATION_SHARING and decision != ConsentDecision.GIVEN:
            revoked = revoke_live_referrals(actor=actor, case=case, reason="consent withdrawn")
        record_event(
            actor=actor,
            action="case.consent",
            obj=case,
            station=case.station,
            details={
                "number": case.number,
                "consent_id": consent.pk,
                "scope": scope,
                "decision": decision,
                "method": method,
                "signed_form": bool(signed_form),
                "referrals_revoked": revoked,
            },
        )
    return consent


def consent_override(
    *, actor, case: VictimCase, scope: str, reason: str, used_for: str = ""
) -> ConsentOverride:
    """Record a station manager's override of one consent scope, with its reason. `used_for` names the
    action it was already used for, when recorded after the fact (such an override allows nothing more);
    left empty, an `information_sharing` override allows the next referral (which marks it used)."""
    if not policies.may_override(actor, case):
        raise PermissionDenied(policies.message(policies.OVERRIDE))
    errors: dict = {}
    if scope not in ConsentScope.values:
        errors["scope"] = _("Choose one of: %(choices)s.") % {"choices": ", ".join(ConsentScope.values)}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Give the reason for acting without her consent.")
    elif len(reason) > REASON_MAX:
        errors["reason"] = _("Keep the reason under %(n)d characters.") % {"n": REASON_MAX}
    used_for = (used_for or "").strip()
    if len(used_for) > ConsentOverride._meta.get_field("used_for").max_length:
        errors["used_for"] = _("Keep this under 40 characters.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        lock_case(case)
        override = ConsentOverride(case=case, scope=scope, reason=reason, used_for=used_for, created_by=actor)
        override._history_user = actor
        override.save()
        # The reason stays in the row and its history, not in the access log (it may name her).
        record_event(
            actor=actor,
            action="case.consent_override",
            obj=case,
            station=case.station,
            details={
                "number": case.number,
                "override_id": override.pk,
                "scope": scope,
                "used_for": used_for,
                "reason_length": len(reason),
            },
        )
    return override
