"""MFA with django-otp: TOTP enrolment with recovery codes, and verification after the password."""

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import record_event

RECOVERY_CODES = 10
SESSION_FAILURES = "mfa_failures"


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


@transaction.atomic
def enrol_confirm(*, request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm enrolment with a first code. Returns the new recovery codes, or None if the code is wrong."""
    user = request.user
    if not device.verify_token((code or "").replace(" ", "")):
        record_event(actor=user, action="mfa.enrol_failed")
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    otp_login(request, device)
    record_event(actor=user, action="mfa.enrol")
    return codes


def verify(*, request, code: str) -> bool:
    """Check a TOTP or recovery code for the logged-in user; too many failures end the session."""
    user = request.user
    code = (code or "").replace(" ", "").strip()
    for device in devices_for_user(user, confirmed=True):
        if code and device.verify_token(code):
            otp_login(request, device)
            request.session.pop(SESSION_FAILURES, None)
            record_event(
                actor=user,
                action="mfa.verify",
                details={"method": "recovery_code" if isinstance(device, StaticDevice) else "totp"},
            )
            return True
    failures = request.session.get(SESSION_FAILURES, 0) + 1
    request.session[SESSION_FAILURES] = failures
    record_event(actor=user, action="mfa.failure", details={"failures": failures})
    return False


def too_many_failures(request) -> bool:
    return request.session.get(SESSION_FAILURES, 0) >= settings.MFA_MAX_FAILURES


# Demo data only (manage.py seed_demo, which refuses to run with DEBUG off): every demo user gets an
# authenticator with this published key, so a reviewer can log in; `manage.py demo_code` prints its code.
DEMO_DEVICE_NAME = "Demo authenticator (published key)"
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"  # RFC 6238's test key
DEMO_TOTP_KEY_B32 = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode().rstrip("=")


def demo_authenticator(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME).first()
    return device or TOTPDevice.objects.create(
        user=user, name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY_HEX, confirmed=True
    )


def demo_code(user) -> str | None:
    """The current code of a user's demo authenticator; None for any real authenticator."""
    from django_otp.oath import totp

    device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY_HEX).first()
    if device is None:
        return None
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"
