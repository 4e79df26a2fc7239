"""MFA with django-otp: TOTP enrolment with recovery codes, and verification after the password.

A session that has passed only the password step may verify a code (TOTP or recovery code) or log out,
nothing else (accounts.middleware.MFARequiredMiddleware). Enrolling an authenticator is possible only:
- for a user with no confirmed device (first enrolment, or after an audited admin reset,
  `accounts.services.mfa_reset`);
- from a fully verified session that has just re-entered a current code (`reauthenticate`), to replace the
  authenticator or to issue new recovery codes. Both are audited and the user is notified (domain events
  "mfa.device_replaced" and "mfa.recovery_codes_issued", which alerts turns into a notification and e-mail).
"""

import base64
import time
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import record_event
from core import events

RECOVERY_CODES = 10
SESSION_FAILURES = "mfa_failures"
SESSION_REAUTH = "mfa_reauth_at"
FIRST, REPLACE = "first", "replace"


def has_confirmed_device(user) -> bool:
    return any(devices_for_user(user, confirmed=True))


def needs_code(user, mfa_required: bool) -> bool:
    """Whether this user's session must pass the second step: MFA is required for them, or they have an
    authenticator anyway (a session with only the password then reaches nothing but the MFA pages)."""
    return mfa_required or has_confirmed_device(user)


def reauth_is_fresh(request) -> bool:
    started = request.session.get(SESSION_REAUTH)
    return bool(started) and time.time() - float(started) <= settings.MFA_REAUTH_SECONDS


def enrol_mode(request) -> str | None:
    """FIRST for a user without a confirmed device; REPLACE for a verified session that has re-entered a
    current code in the last MFA_REAUTH_SECONDS; None otherwise (enrolment refused)."""
    user = request.user
    if not has_confirmed_device(user):
        return FIRST
    if user.is_verified() and reauth_is_fresh(request):
        return REPLACE
    return None


def pending_totp_device(user) -> TOTPDevice:
    """The unconfirmed TOTP device being enrolled (created on first use)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def qr_data_uri(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return codes


def _lock_user(user) -> None:
    """Serialise enrolments of one user (two sessions cannot both pass the "no device yet" check)."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


def enrol_confirm(*, request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm enrolment with a first code. Returns the new recovery codes, or None if the code is wrong.
    Raises PermissionDenied (and logs "mfa.enrol_refused") when the session may not enrol (`enrol_mode`)."""
    try:
        return _enrol_confirm(request=request, device=device, code=code)
    except PermissionDenied:
        record_event(actor=request.user, action="mfa.enrol_refused", obj=request.user)
        raise


@transaction.atomic
def _enrol_confirm(*, request, device: TOTPDevice, code: str) -> list[str] | None:
    user = request.user
    _lock_user(user)
    mode = enrol_mode(request)
    if mode is None or device.user_id != user.pk or device.confirmed:
        raise PermissionDenied(_("Enter a current code first."))
    if not device.verify_token((code or "").replace(" ", "")):
        record_event(actor=user, action="mfa.enrol_failed", obj=user)
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    otp_login(request, device)
    request.session.pop(SESSION_REAUTH, None)
    if mode == REPLACE:
        event = record_event(actor=user, action="mfa.replace", obj=user)
        events.publish("mfa.device_replaced", user_id=user.pk, event_id=event.pk)
    else:
        event = record_event(actor=user, action="mfa.enrol", obj=user)
        events.publish("mfa.device_enrolled", user_id=user.pk, event_id=event.pk)
    return codes


@transaction.atomic
def recovery_codes_issue(*, request) -> list[str]:
    """New recovery codes (the old ones stop working), for a verified session that has just re-entered a
    current code. Audited; the user is notified."""
    user = request.user
    _lock_user(user)
    if not (user.is_verified() and reauth_is_fresh(request)):
        raise PermissionDenied(_("Enter a current code first."))
    codes = _new_recovery_codes(user)
    request.session.pop(SESSION_REAUTH, None)
    event = record_event(actor=user, action="mfa.recovery_codes", obj=user)
    events.publish("mfa.recovery_codes_issued", user_id=user.pk, event_id=event.pk)
    return codes


def _check_code(request, code: str):
    """The confirmed device that accepts `code` for the logged-in user, or None (counting the failure)."""
    code = (code or "").replace(" ", "").strip()
    for device in devices_for_user(request.user, confirmed=True):
        if code and device.verify_token(code):
            request.session.pop(SESSION_FAILURES, None)
            return device
    failures = request.session.get(SESSION_FAILURES, 0) + 1
    request.session[SESSION_FAILURES] = failures
    record_event(actor=request.user, action="mfa.failure", details={"failures": failures})
    return None


def _method(device) -> str:
    return "recovery_code" if isinstance(device, StaticDevice) else "totp"


def verify(*, request, code: str) -> bool:
    """Check a TOTP or recovery code for the logged-in user; too many failures end the session."""
    device = _check_code(request, code)
    if device is None:
        return False
    otp_login(request, device)
    record_event(actor=request.user, action="mfa.verify", details={"method": _method(device)})
    return True


def reauthenticate(*, request, code: str) -> bool:
    """A verified session proves again that it holds the second factor, before replacing it or issuing new
    recovery codes. Valid for MFA_REAUTH_SECONDS."""
    if not request.user.is_verified():
        raise PermissionDenied(_("Complete the second step first."))
    device = _check_code(request, code)
    if device is None:
        return False
    request.session[SESSION_REAUTH] = time.time()
    record_event(actor=request.user, action="mfa.reauth", details={"method": _method(device)})
    return True


def too_many_failures(request) -> bool:
    return request.session.get(SESSION_FAILURES, 0) >= settings.MFA_MAX_FAILURES


# Demo data only (manage.py seed_demo, which refuses to run with DEBUG off): every demo user gets an
# authenticator with this published key, so a reviewer can log in; `manage.py demo_code` prints its code.
DEMO_DEVICE_NAME = "Demo authenticator (published key)"
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"  # RFC 6238's test key
DEMO_TOTP_KEY_B32 = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode().rstrip("=")


def is_demo_user(user) -> bool:
    """A user seed_demo created: it carries the demo authenticator, which only seed_demo attaches, and
    only to a user it has just created (so the device is also the mark of a demo user)."""
    return TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY_HEX).exists()


def demo_authenticator(user, *, created: bool) -> TOTPDevice:
    """The published-key authenticator of a demo user. Attached only to a user seed_demo has just created
    (`created`); a user that exists without it is a real account and is refused, whatever its username."""
    device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY_HEX).first()
    if device is not None:
        return device
    if not created:
        raise ValueError("The published demo key is only attached to users seed_demo creates.")
    return TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY_HEX, confirmed=True)


def demo_code(user) -> str | None:
    """The current code of a user's demo authenticator; None for any real authenticator."""
    from django_otp.oath import totp

    device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY_HEX).first()
    if device is None:
        return None
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"
