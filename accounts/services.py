"""Writes for accounts: stations, roles and tokens. Used by the admin commands and tests."""

import os

from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from audit.services import record_event

from .models import Country, Membership, Station, User, validate_timezone
from .roles import Role


@transaction.atomic
def station_create(*, actor, code: str, name: str, country_code: str, timezone: str = "Asia/Kathmandu"):
    code = code.strip().upper()
    validate_timezone(timezone)
    if not code.isalnum() or len(code) > 10:
        raise ValidationError({"code": "Use up to 10 letters or digits, e.g. BHW."})
    country, _ = Country.objects.get_or_create(
        code=country_code.strip().upper(), defaults={"name": country_code.strip().upper()}
    )
    station, created = Station.objects.get_or_create(
        code=code, defaults={"name": name, "country": country, "timezone": timezone}
    )
    if not created:
        station.name, station.country, station.timezone = name, country, timezone
        station.save(update_fields=["name", "country", "timezone"])
    record_event(
        actor=actor, action="station.create" if created else "station.change", obj=station, station=station
    )
    return station, created


@transaction.atomic
def role_grant(
    *, actor, user: User, role: str, station: Station | None = None, country: Country | None = None
):
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}; choose one of {', '.join(Role.values)}."})
    if (station is None) == (country is None):
        raise ValidationError("A role is held at one station or at one country.")
    membership, created = Membership.objects.get_or_create(
        user=user, role=role, station=station, country=country
    )
    if created:
        record_event(
            actor=actor,
            action="role.grant",
            obj=membership,
            station=station,
            details={"user": user.username, "role": role, "country": country.code if country else None},
        )
    return membership, created


@transaction.atomic
def user_get_or_create(*, actor, username: str, create: bool) -> tuple[User, bool]:
    user = User.objects.filter(username=username).first()
    if user:
        return user, False
    if not create:
        raise ValidationError({"username": f"No user named {username!r}; pass --create-user to create one."})
    user = User(username=username)
    password = os.environ.get("NEW_USER_PASSWORD")
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    record_event(actor=actor, action="user.create", obj=user, details={"username": username})
    return user, True


@transaction.atomic
def token_issue(*, actor, user: User) -> str:
    if not user.is_active:
        raise ValidationError({"username": "This user is deactivated."})
    token, _ = Token.objects.get_or_create(user=user)
    record_event(actor=actor, action="token.issue", obj=user, details={"username": user.username})
    return token.key


def _end_sessions(user: User) -> int:
    """Delete every live session of `user` (sessions are stored in the database)."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def user_deactivate(*, actor, user: User) -> None:
    """Deactivate a user: their sessions and API token end at once."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    tokens = Token.objects.filter(user=user).delete()[0]
    sessions = _end_sessions(user)
    record_event(
        actor=actor,
        action="user.deactivate",
        obj=user,
        details={"username": user.username, "sessions_ended": sessions, "tokens_revoked": tokens},
    )


@transaction.atomic
def role_revoke(*, actor, membership: Membership) -> None:
    details = {
        "user": membership.user.username,
        "role": membership.role,
        "country": membership.country.code if membership.country_id else None,
    }
    station = membership.station
    record_event(actor=actor, action="role.revoke", obj=membership, station=station, details=details)
    membership.delete()


@transaction.atomic
def mfa_reset(*, actor, user: User) -> None:
    """Remove a user's authenticator and recovery codes; they enrol again at their next login."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _end_sessions(user)
    record_event(actor=actor, action="mfa.reset", obj=user, details={"username": user.username})
