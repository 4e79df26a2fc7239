"""Who must do what to sign in."""

from functools import cache

from .access import has_any_grant
from .models import Membership
from .roles import PERMISSIONS, Action, Role

# Roles that see personal data, IP addresses or login history by their nature, whatever the table grants
# them on case records: auditors read the access log (who, from which IP, when), admins manage users and
# see their logins and lockouts.
ROLES_SEEING_ACCESS_DATA = frozenset({Role.AUDITOR, Role.ADMIN})


@cache  # the permission table is static
def roles_requiring_mfa() -> tuple[str, ...]:
    """Every role that can see sensitive fields, or read the access log, plus auditors and admins."""
    roles = set(ROLES_SEEING_ACCESS_DATA)
    for record_type, table in PERMISSIONS.items():
        for role, acts in table.items():
            if Action.VIEW_SENSITIVE in acts or (record_type == "access_log" and acts):
                roles.add(role)
    return tuple(sorted(str(role) for role in roles))


def mfa_required(user) -> bool:
    """MFA is required for staff and superusers, for every user holding a role that can see personal data,
    IPs or login history (roles_requiring_mfa), and for a user with a share that shows sensitive data."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    if Membership.objects.filter(user_id=user.pk, role__in=roles_requiring_mfa()).exists():
        return True
    return has_any_grant(user, Action.VIEW_SENSITIVE)


# Administration: what a staff user may change in the Django admin (and the services behind it).
# A command run on the server (actor None) is the operator and may do all of it.


def may_change_user(actor, user) -> bool:
    """Only a superuser edits a superuser or another staff user (names, flags, roles, password, second
    factor, tokens): setting a staff user's password would hand over their admin permissions."""
    if actor is None or actor.is_superuser:
        return True
    if user.is_superuser:
        return False
    return not user.is_staff or user.pk == actor.pk


def may_change_privileges(actor) -> bool:
    """Only a superuser grants or removes staff or superuser status, groups and Django permissions."""
    return actor is None or actor.is_superuser


def may_change_roles_of(actor, user) -> bool:
    """Roles (memberships) are managed by staff, but a non-superuser never changes their own."""
    if actor is None or actor.is_superuser:
        return True
    return actor.pk != user.pk and may_change_user(actor, user)
