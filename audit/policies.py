"""Who may read the access log: users holding a role that grants `view` on `access_log` (auditors)."""

from django.db.models import QuerySet

from accounts.models import Membership
from accounts.roles import Action, roles_granting

RECORD_TYPE = "access_log"


def log_reader_memberships(user) -> QuerySet[Membership]:
    """The memberships that let `user` read the access log (none for anonymous or inactive users)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Membership.objects.none()
    return Membership.objects.filter(user_id=user.pk, role__in=roles_granting(RECORD_TYPE, Action.VIEW))


def can_read_log(user) -> bool:
    return log_reader_memberships(user).exists()
