"""Referrals of a case file to another station or to a named user (docs/cases.md "Referral").

A referral is a per-object grant with an expiry and a note. It needs her consent to share information (or
an unused override of a station manager). To a user, it is a `CaseUserObjectPermission` for
`view_victimcase` and one for `view_sensitive_victimcase` with the same expiry; to a station, the Referral
row alone (the selector's station arm reads it). An expired referral stops giving access by itself (the SQL
checks the expiry); a revoked one at once.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Station
from audit.services import record_event
from core import idempotency
from core.errors import TransitionError

from .. import policies, selectors
from ..models import CaseStatus, CaseUserObjectPermission, ConsentScope, Referral, VictimCase
from .consent import lock_case, station_today

User = get_user_model()

GRANTED = ("view_victimcase", "view_sensitive_victimcase")
NOTE_MAX = 2000


def no_consent_message() -> str:
    return _(
        "She has not given consent to share information (or withdrew it): record her consent, or a station "
        "manager's override, first."
    )


def _expires_at(case: VictimCase, expires_on: date) -> datetime:
    """A referral expiring "on" a day gives access to the end of that day at the case's station."""
    return datetime.combine(expires_on + timedelta(days=1), time.min, tzinfo=case.station.tzinfo)


def _grant_permissions() -> list[Permission]:
    content_type = ContentType.objects.get_for_model(VictimCase)
    return list(Permission.objects.filter(content_type=content_type, codename__in=GRANTED))


def _is_live(referral: Referral) -> bool:
    return referral.revoked_at is None and referral.expires_at > timezone.now()


def _revoke(*, actor, referral: Referral, reason: str = "") -> None:
    """Mark one referral revoked, with why, and take its grants back (no log: the caller logs)."""
    referral.revoked_at, referral.revoked_by = timezone.now(), actor
    referral.revoke_reason = (reason or "").strip()
    referral._history_user = actor
    referral.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    CaseUserObjectPermission.objects.filter(referral=referral).delete()


def _log_revoked(*, actor, case: VictimCase, referral: Referral, reason: str) -> None:
    """`reason`: a code ("consent withdrawn", "by hand"); a reason typed by hand is not logged (it may name
    her), only whether one was given."""
    record_event(
        actor=actor,
        action="case.referral_revoke",
        obj=case,
        station=case.station,
        details={"number": case.number, "referral_id": referral.pk, "reason": reason},
    )


def revoke_live_referrals(*, actor, case: VictimCase, reason: str) -> list[int]:
    """Revoke every live referral of `case` and log each (consent withdrawn). Call inside the caller's
    transaction, with the case row locked, as its last writes (the log takes the audit chain lock)."""
    live = list(
        Referral.objects.select_for_update().filter(
            case=case, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
    )
    for referral in live:
        _revoke(actor=actor, referral=referral, reason=reason)
    for referral in live:
        _log_revoked(actor=actor, case=case, referral=referral, reason=reason)
    return [r.pk for r in live]


def referral_create(
    *,
    actor,
    case: VictimCase,
    to_user: str | None = None,
    to_station: str | None = None,
    note: str = "",
    expires_on: date | None = None,
    idempotency_key: str | None = None,
) -> tuple[Referral, bool]:
    """Refer `case` to one user (a username) or one station (a code) until `expires_on` (by default
    settings.CASES_REFERRAL_DAYS days from today), with a note. Returns (referral, created): a repeated
    idempotency key with the same content returns the first referral."""
    key = idempotency.clean_key(idempotency_key)
    if not policies.may_refer(actor, case):
        raise PermissionDenied(policies.message(policies.REFER))
    to_user = (to_user or "").strip()
    to_station = (to_station or "").strip().upper()
    note = (note or "").strip()
    today = station_today(case)
    expires_on = expires_on or today + timedelta(days=settings.CASES_REFERRAL_DAYS)
    errors: dict = {}
    user = station = None
    if bool(to_user) == bool(to_station):
        errors["to_user"] = _("Refer the case to one user or to one station.")
    elif to_user:
        user = User.objects.filter(username=to_user).first()
        if user is None or not user.is_active:
            errors["to_user"] = _("No active user named %(name)r.") % {"name": to_user}
        elif user.pk == actor.pk:
            errors["to_user"] = _("You cannot refer a case to yourself.")
    else:
        station = Station.objects.filter(code=to_station).first()
        if station is None:
            errors["to_station"] = _("No station with the code %(code)r.") % {"code": to_station}
        elif station.pk == case.station_id:
            errors["to_station"] = _("The case is already at this station.")
    if expires_on <= today:
        errors["expires_on"] = _("The referral must end after today.")
    if len(note) > NOTE_MAX:
        errors["note"] = _("Keep the note under %(n)d characters.") % {"n": NOTE_MAX}
    if errors:
        raise ValidationError(errors)
    content = {
        "case": case.pk,
        "to_user": user.pk if user else None,
        "to_station": station.pk if station else None,
        "note": note,
        "expires_on": expires_on.isoformat(),
    }
    with transaction.atomic():
        if key:
            first = idempotency.previous(user=actor, key=key, object_type="case_referral", content=content)
            if first is not None:
                return Referral.objects.get(pk=first), False
        lock_case(case)
        status = VictimCase.objects.filter(pk=case.pk).values_list("status", flat=True).get()
        if status == CaseStatus.CLOSED:
            raise TransitionError(_("A closed case cannot be referred: reopen it first."), status=status)
        override = None
        if not selectors.consent_in_force(case, ConsentScope.INFORMATION_SHARING):
            override = selectors.usable_override(case, ConsentScope.INFORMATION_SHARING)
            if override is None:
                raise ValidationError({"consent": no_consent_message()})
        now = timezone.now()
        same = Referral.objects.filter(case=case, revoked_at__isnull=True, expires_at__gt=now)
        same = same.filter(to_user=user) if user else same.filter(to_station=station)
        if same.exists():
            raise ValidationError(
                {
                    ("to_user" if user else "to_station"): _(
                        "The case is already referred there: revoke that referral first to change it."
                    )
                }
            )
        referral = Referral(
            case=case,
            to_user=user,
            to_station=station,
            note=note,
            expires_at=_expires_at(case, expires_on),
            created_by=actor,
        )
        referral._history_user = actor
        referral.save()
        if user is not None:
            for permission in _grant_permissions():
                CaseUserObjectPermission.objects.update_or_create(
                    user=user,
                    permission=permission,
                    content_object=case,
                    defaults={"expires_at": referral.expires_at, "referral": referral},
                )
        if override is not None:
            override.used_for = f"referral:{referral.pk}"
            override._history_user = actor
            override.save(update_fields=["used_for"])
        if key:
            idempotency.remember(
                user=actor, key=key, object_type="case_referral", object_id=referral.pk, content=content
            )
        record_event(
            actor=actor,
            action="case.referral",
            obj=case,
            station=case.station,
            details={
                "number": case.number,
                "referral_id": referral.pk,
                "to_user": user.username if user else None,
                "to_station": station.code if station else None,
                "expires_at": referral.expires_at.isoformat(),
                "override_id": override.pk if override else None,
            },
        )
    return referral, True


def referral_revoke(*, actor, case: VictimCase, referral: Referral, reason: str = "") -> Referral:
    """Take a referral back at once: its grants go. A referral revoked or expired already is a
    TransitionError (409): there is nothing left to revoke."""
    if not policies.may_refer(actor, case):
        raise PermissionDenied(policies.message(policies.REFER))
    if referral.case_id != case.pk:
        raise ValidationError({"referral": _("No such referral on this case.")})
    typed = bool((reason or "").strip())
    with transaction.atomic():
        lock_case(case)
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.revoked_at is not None:
            raise TransitionError(_("This referral was revoked already."), status="revoked")
        if not _is_live(referral):
            raise TransitionError(_("This referral has expired already."), status="expired")
        _revoke(actor=actor, referral=referral, reason=reason)
        _log_revoked(
            actor=actor, case=case, referral=referral, reason="by hand, with a reason" if typed else "by hand"
        )
    return referral
