"""Writes for accounts: stations, users, roles, groups and API tokens. Used by the Django admin, the
management commands and tests. Every change an admin makes is written to the access log here, with the
old and the new values (a password only as "changed"; a token only by its public id)."""

import os
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken

from audit.services import record_event
from core.services import model_update, plain

from .models import Country, Membership, Station, User, validate_timezone
from .policies import may_change_privileges, may_change_roles_of, may_change_user
from .roles import Role

USER_FLAGS = ("is_active", "is_staff", "is_superuser")
PRIVILEGE_FLAGS = ("is_staff", "is_superuser")
# Fields of a user that are not flags, groups or permissions; their changes are logged by name only
# (the values are personal data or timestamps).
USER_PROFILE_FIELDS = ("username", "first_name", "last_name", "email", "last_login", "date_joined")


def _permissions(permissions) -> set[Permission]:
    pks = [p.pk for p in permissions]
    return set(Permission.objects.filter(pk__in=pks).select_related("content_type"))


def _perm_labels(permissions) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in permissions}


@transaction.atomic
def station_create(*, actor, code: str, name: str, country_code: str, timezone: str = "Asia/Kathmandu"):
    code = code.strip().upper()
    validate_timezone(timezone)
    if not code.isalnum() or len(code) > 10:
        raise ValidationError({"code": "Use up to 10 letters or digits, e.g. BHW."})
    country, _created = Country.objects.get_or_create(
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


# The fields of a station the admin edits (and the access log reports, old and new).
STATION_FIELDS = ("code", "name", "country", "timezone", "active", "alert_score_threshold")


def _set_diff(old: set[str], new: set[str]) -> dict:
    """Two sets of names as the access log reports a change of them."""
    return {"old": sorted(old), "new": sorted(new), "added": sorted(new - old), "removed": sorted(old - new)}


@transaction.atomic
def station_update(*, actor, station: Station, data: dict) -> Station:
    """Create a station (unsaved `station`) or change one, e.g. its alert threshold, from the admin.

    The event keeps old and new values of every changed field."""
    if station.pk is None:
        station._history_user = actor  # the station's change history (simple-history) names who did it
        station.full_clean()
        station.save()
        values = {f: plain(getattr(station, f)) for f in STATION_FIELDS}
        record_event(actor=actor, action="station.create", obj=station, station=station, details=values)
        return station
    station = Station.objects.select_for_update().get(pk=station.pk)
    changes = model_update(station, data)
    station._history_user = actor
    if changes:
        station.full_clean()
        station.save(update_fields=list(changes))
        record_event(actor=actor, action="station.change", obj=station, station=station, details=changes)
    return station


@transaction.atomic
def country_update(*, actor, country: Country, data: dict) -> Country:
    """Create a country (unsaved `country`) or rename it from the admin, logged with old and new values."""
    if country.pk is None:
        country.full_clean()
        country.save()
        values = {"code": country.code, "name": country.name}
        record_event(actor=actor, action="country.create", obj=country, details=values)
        return country
    country = Country.objects.select_for_update().get(pk=country.pk)
    changes = model_update(country, data)
    if changes:
        country.full_clean()
        country.save(update_fields=list(changes))
        record_event(actor=actor, action="country.change", obj=country, details=changes)
    return country


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


def _membership_values(membership: Membership) -> dict:
    return {
        "user_id": membership.user_id,
        "role": membership.role,
        "station": plain(membership.station),
        "country": plain(membership.country),
    }


@transaction.atomic
def membership_save(*, actor, membership: Membership) -> Membership:
    """Save a role grant or change made in a form (the admin), logged with old and new values.

    A non-superuser cannot change their own roles, nor a superuser's."""
    old = (
        Membership.objects.select_related("user", "station", "country").get(pk=membership.pk)
        if membership.pk
        else None
    )
    for user in {membership.user, *([old.user] if old else [])}:
        if not may_change_roles_of(actor, user):
            raise PermissionDenied("Only a superuser changes their own roles or a superuser's roles.")
    if membership.role not in Role.values:
        raise ValidationError({"role": f"Unknown role {membership.role!r}."})
    new_values = _membership_values(membership)
    if old is not None and _membership_values(old) == new_values:
        return membership
    membership.save()
    details = {"user": membership.user.username, **new_values, "via": "admin"}
    stations = [membership.station]
    if old is not None:
        details["old"] = _membership_values(old)
        stations.append(old.station)
    record_event(
        actor=actor,
        action="role.change" if old is not None else "role.grant",
        obj=membership,
        station=membership.station,
        stations=[s for s in stations if s is not None],
        details=details,
    )
    return membership


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
def user_create(*, actor, user: User) -> User:
    """Save a user made in the admin's add form (username and password only; no flags, no groups)."""
    if any(getattr(user, flag) for flag in PRIVILEGE_FLAGS) and not may_change_privileges(actor):
        raise PermissionDenied("Only a superuser grants staff or superuser status.")
    user.save()
    record_event(
        actor=actor,
        action="user.create",
        obj=user,
        details={
            "username": user.username,
            **{flag: getattr(user, flag) for flag in USER_FLAGS},
            "password": "set" if user.has_usable_password() else "unusable",
        },
    )
    return user


@transaction.atomic
def user_update(*, actor, user: User, data: dict) -> User:
    """Change a user from the admin: profile fields, flags, groups and Django permissions.

    `data` holds only the fields to set (`groups` and `user_permissions` as iterables). Flags, groups and
    permissions are logged with old and new values (one event each: `user.flags`, `user.groups`,
    `user.permissions`); other fields by name (`user.change`). Only a superuser edits a superuser or
    changes staff/superuser status, groups or permissions; nobody but a superuser changes their own flags.
    Deactivating ends the user's sessions and revokes their API tokens (`user_deactivate`)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not may_change_user(actor, user):
        raise PermissionDenied("Only a superuser edits a superuser.")
    data = dict(data)
    groups = data.pop("groups", None)
    permissions = data.pop("user_permissions", None)
    unknown = set(data) - set(USER_FLAGS) - set(USER_PROFILE_FIELDS)
    if unknown:
        raise ValidationError(f"Cannot change {', '.join(sorted(unknown))} here.")
    flags = model_update(user, {f: bool(v) for f, v in data.items() if f in USER_FLAGS})
    profile = model_update(user, {f: v for f, v in data.items() if f in USER_PROFILE_FIELDS})
    privileged = any(f in flags for f in PRIVILEGE_FLAGS) or (
        "is_active" in flags and actor is not None and actor.pk == user.pk
    )
    if privileged and not may_change_privileges(actor):
        raise PermissionDenied("Only a superuser grants or removes staff or superuser status.")
    if flags or profile:
        user.full_clean(exclude=["password"])
        user.save(update_fields=[*flags, *profile])
    if flags:
        record_event(actor=actor, action="user.flags", obj=user, details={"user": user.username, **flags})
    if profile:
        record_event(actor=actor, action="user.change", obj=user, details={"fields": sorted(profile)})
    if groups is not None:
        old, new = set(user.groups.all()), set(groups)
        if old != new:
            if not may_change_privileges(actor):
                raise PermissionDenied("Only a superuser changes a user's groups.")
            user.groups.set(new)
            record_event(
                actor=actor,
                action="user.groups",
                obj=user,
                details={"user": user.username, **_set_diff({g.name for g in old}, {g.name for g in new})},
            )
    if permissions is not None:
        old_p = set(user.user_permissions.select_related("content_type"))
        new_p = _permissions(permissions)
        if old_p != new_p:
            if not may_change_privileges(actor):
                raise PermissionDenied("Only a superuser changes a user's permissions.")
            user.user_permissions.set(new_p)
            record_event(
                actor=actor,
                action="user.permissions",
                obj=user,
                details={"user": user.username, **_set_diff(_perm_labels(old_p), _perm_labels(new_p))},
            )
    if flags.get("is_active", {}).get("new") is False:
        user_deactivate(actor=actor, user=user)
    return user


@transaction.atomic
def user_password_changed(*, actor, user: User) -> None:
    """Log that `user`'s password was set or removed (the admin's password form has just saved it).

    The event never holds the password or its hash: only "changed" or "unusable"."""
    if not may_change_user(actor, user):
        raise PermissionDenied("Only a superuser sets a superuser's password.")
    record_event(
        actor=actor,
        action="user.password",
        obj=user,
        details={"user": user.username, "password": "changed" if user.has_usable_password() else "unusable"},
    )


@transaction.atomic
def user_set_language(*, actor: User, language: str) -> User:
    """A user chooses the language of their own pages and e-mails ("" = the browser's; docs/i18n.md)."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": [_("Choose a language from the list.")]})
    changes = model_update(actor, {"language": language})
    if changes:
        actor.save(update_fields=list(changes))
        record_event(actor=actor, action="user.language", obj=actor, details=changes)
    return actor


@transaction.atomic
def group_update(*, actor, group: Group, name: str, permissions=None) -> Group:
    """Create a group (unsaved `group`) or rename it and change its permissions, logged with old and new
    values. Only a superuser changes a group's permissions (a group gives them to all its members)."""
    created = group.pk is None
    if created:
        old_name, old_p = None, set()
    else:
        group = Group.objects.select_for_update().get(pk=group.pk)
        old_name, old_p = group.name, set(group.permissions.select_related("content_type"))
    new_p = _permissions(permissions) if permissions is not None else old_p
    if new_p != old_p and not may_change_privileges(actor):
        raise PermissionDenied("Only a superuser changes a group's permissions.")
    group.name = name
    group.full_clean(validate_unique=False)
    group.save()
    if new_p != old_p:
        group.permissions.set(new_p)
    details = {}
    if old_name != name:
        details["name"] = {"old": old_name, "new": name}
    if new_p != old_p:
        details["permissions"] = _set_diff(_perm_labels(old_p), _perm_labels(new_p))
    if created or details:
        details["members"] = group.user_set.count()
        action = "group.create" if created else "group.change"
        record_event(actor=actor, action=action, obj=group, details=details)
    return group


@transaction.atomic
def group_delete(*, actor, group: Group) -> None:
    """Delete a group: its members lose its permissions and shares; the event lists who they were."""
    if group.permissions.exists() and not may_change_privileges(actor):
        raise PermissionDenied("Only a superuser deletes a group that carries permissions.")
    members = sorted(group.user_set.values_list("pk", flat=True))
    record_event(
        actor=actor,
        action="group.delete",
        obj=group,
        details={
            "name": group.name,
            "member_ids": members,
            "permissions": sorted(_perm_labels(group.permissions.select_related("content_type"))),
        },
    )
    group.delete()


def token_id(token: AuthToken) -> str:
    """The public id of an API token: the first 8 characters knox keeps in clear to look it up (the rest
    of the token exists only in the hands of the person it was issued to)."""
    return token.token_key[:8]


@transaction.atomic
def token_issue(*, actor, user: User, expires_days: int | None = None) -> str:
    """Issue a new API token for `user` and return it. Only its digest is stored: it cannot be shown
    again. It expires after `expires_days` (default: REST_KNOX TOKEN_TTL, API_TOKEN_TTL_DAYS)."""
    if not user.is_active:
        raise ValidationError({"username": "This user is deactivated."})
    if expires_days is not None and not 1 <= expires_days <= 366:
        raise ValidationError({"expires_days": "Choose between 1 and 366 days."})
    kwargs = {"expiry": timedelta(days=expires_days)} if expires_days is not None else {}
    token, key = AuthToken.objects.create(user=user, **kwargs)
    record_event(
        actor=actor,
        action="token.issue",
        obj=user,
        details={
            "user": user.username,
            "token": token_id(token),
            "expiry": token.expiry.isoformat() if token.expiry else None,
        },
    )
    return key


@transaction.atomic
def tokens_revoke(*, actor, user: User, tokens=None, reason: str = "revoked") -> int:
    """Revoke API tokens of `user` (all of them, or those given); logged with their ids. Returns how many."""
    qs = AuthToken.objects.filter(user=user)
    if tokens is not None:
        qs = qs.filter(digest__in=[t.digest for t in tokens])
    revoked = list(qs)
    if revoked:
        record_event(
            actor=actor,
            action="token.revoke",
            obj=user,
            details={
                "user": user.username,
                "tokens": sorted(token_id(t) for t in revoked),
                "count": len(revoked),
                "reason": reason,
            },
        )
        qs.delete()
    return len(revoked)


def tokens_active(user: User):
    """The user's API tokens that have not expired, newest first."""
    now = timezone.now()
    return (
        AuthToken.objects.filter(user=user)
        .filter(models.Q(expiry__isnull=True) | models.Q(expiry__gt=now))
        .order_by("-created")
    )


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
    """Deactivate a user: their sessions and API tokens end at once."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    tokens = tokens_revoke(actor=actor, user=user, reason="user deactivated")
    sessions = _end_sessions(user)
    record_event(
        actor=actor,
        action="user.deactivate",
        obj=user,
        details={"username": user.username, "sessions_ended": sessions, "tokens_revoked": tokens},
    )


@transaction.atomic
def role_revoke(*, actor, membership: Membership) -> None:
    if not may_change_roles_of(actor, membership.user):
        raise PermissionDenied("Only a superuser changes their own roles or a superuser's roles.")
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
    if not may_change_user(actor, user):
        raise PermissionDenied("Only a superuser resets a superuser's second factor.")
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _end_sessions(user)
    record_event(actor=actor, action="mfa.reset", obj=user, details={"username": user.username})
