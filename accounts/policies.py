"""Who must do what to sign in."""

from .access import has_any_grant
from .models import Membership
from .roles import PERMISSIONS, Action


def _roles_seeing_sensitive() -> list[str]:
    return sorted(
        {
            str(role)
            for table in PERMISSIONS.values()
            for role, acts in table.items()
            if Action.VIEW_SENSITIVE in acts
        }
    )


def mfa_required(user) -> bool:
    """MFA is required for staff and for every user holding a role that can see sensitive data."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    if Membership.objects.filter(user_id=user.pk, role__in=_roles_seeing_sensitive()).exists():
        return True
    return has_any_grant(user, Action.VIEW_SENSITIVE)
