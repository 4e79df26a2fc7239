"""Every read for alerts: a user's own notifications and preferences, and who receives each rule."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.models import Membership, Station
from accounts.roles import Role

from .models import EMAIL_BY_DEFAULT, Notification, NotificationPreference

User = get_user_model()

HIGH_RISK_ROLES = [Role.STATION_MANAGER, Role.LEGAL_OFFICER]


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


# --- a user's own notifications -----------------------------------------------------------------------


def notification_list(*, user, unread: bool | None = None, rule: str | None = None) -> QuerySet[Notification]:
    """The user's own notifications, newest first (nobody reads anyone else's); of one rule when given."""
    if not _active(user):
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient_id=user.pk)
    if rule:
        qs = qs.filter(rule=rule)
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs.order_by("-created_at", "-id")


def notification_get(*, user, pk) -> Notification:
    """One of the user's own notifications, or 404 (someone else's looks like one that does not exist)."""
    try:
        return notification_list(user=user).get(pk=int(pk))
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404("No such notification.") from None


def unread_count(user) -> int:
    """For the page header: one COUNT on a partial index."""
    if not _active(user):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def email_preferences(user) -> dict[str, bool]:
    """Per rule, whether the user wants an e-mail too: their choice, or the rule's default."""
    chosen = dict(NotificationPreference.objects.filter(user_id=user.pk).values_list("rule", "email"))
    return {rule: chosen.get(rule, default) for rule, default in EMAIL_BY_DEFAULT.items()}


def wants_email(user, rule: str) -> bool:
    chosen = NotificationPreference.objects.filter(user_id=user.pk, rule=rule).values_list("email", flat=True)
    return next(iter(chosen), EMAIL_BY_DEFAULT.get(rule, False))


# --- recipients ---------------------------------------------------------------------------------------


def _covering_station(station: Station, roles) -> QuerySet[User]:
    """Active users holding one of `roles` at `station` or at its country (one query)."""
    memberships = Membership.objects.filter(user_id=OuterRef("pk"), role__in=roles).filter(
        Q(station_id=station.pk) | Q(country_id=station.country_id)
    )
    return User.objects.filter(Exists(memberships), is_active=True).order_by("pk")


def high_risk_recipients(station: Station) -> QuerySet[User]:
    """Rule 1: the station's managers and legal officers (station or country memberships)."""
    return _covering_station(station, HIGH_RISK_ROLES)


def legal_officers_covering(station: Station) -> QuerySet[User]:
    """Rule 2 candidates: legal officers with a membership covering the station."""
    return _covering_station(station, [Role.LEGAL_OFFICER])


def station_has_alert_recipients(station: Station) -> bool:
    """Whether anyone could receive rule 1 or rule 2 for this station (so a submission with nobody to tell
    puts no task on the broker)."""
    return high_risk_recipients(station).exists()


def admin_recipients() -> QuerySet[User]:
    """Rule 4: users holding the admin role in any membership, and active superusers."""
    is_admin = Membership.objects.filter(user_id=OuterRef("pk"), role=Role.ADMIN)
    return User.objects.filter(Q(Exists(is_admin)) | Q(is_superuser=True), is_active=True).order_by("pk")
