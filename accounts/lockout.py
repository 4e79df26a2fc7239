"""Login lockout (django-axes), keyed so that no typed account name is ever stored.

- The name typed in the username field becomes a *login key* before axes, the access log or the broker
  see it: ``user:<id>`` when it names an existing account, else ``name:<HMAC-SHA256 of the name>`` with a
  key derived from SECRET_KEY (``AXES_USERNAME_CALLABLE``). A typo, a password typed into the wrong
  field or someone else's name is thus never kept in clear.
- Failures are counted per account (``AXES_FAILURE_LIMIT``, e.g. 5) and, separately, per client IP
  (``AXES_IP_FAILURE_LIMIT``, e.g. 50: a station's monitors share one address, and one person's wrong
  passwords must not lock them all out). The client IP is the real one behind ``TRUSTED_PROXY_COUNT``
  proxies (``audit.context.client_ip``, also used by the access log).
- The lockout page says which of the two applies ("this account" only when the account is locked).
- Admins see active lockouts and lift them (``accounts/admin_lockouts.py``); a lift is audited.
"""

from axes.attempts import get_cool_off_threshold
from axes.conf import settings
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import salted_hmac

from audit.services import record_event

USER_PREFIX = "user:"
NAME_PREFIX = "name:"
_KEY_SALT = "accounts.lockout.login_key"
ACCOUNT, IP = "account", "ip"


def login_key(typed: str | None) -> str | None:
    """The key a login attempt is counted and logged under: never the typed text itself."""
    typed = str(typed or "")
    if not typed:
        return None
    user_model = get_user_model()
    field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    user_id = None
    if "\x00" not in typed and len(typed) <= (field.max_length or len(typed)):
        user_id = (
            user_model._default_manager.filter(**{field.name: typed}).values_list("pk", flat=True).first()
        )
    if user_id is not None:
        return f"{USER_PREFIX}{user_id}"
    return NAME_PREFIX + salted_hmac(_KEY_SALT, typed, algorithm="sha256").hexdigest()


def key_user_id(key: str | None) -> int | None:
    """The account id of a login key, or None for a name that matched no account."""
    if key and key.startswith(USER_PREFIX):
        try:
            return int(key[len(USER_PREFIX) :])
        except ValueError:
            return None
    return None


def axes_username(request, credentials=None) -> str | None:
    """AXES_USERNAME_CALLABLE: axes stores and filters attempts by this key. Cached on the request, since
    axes asks several times per login."""
    field = str(settings.AXES_USERNAME_FORM_FIELD)
    if credentials:
        typed = credentials.get(field)
    else:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        typed = data.get(field)
    cache = getattr(request, "_login_keys", None)
    if cache is None:
        cache = {}
        if request is not None:
            request._login_keys = cache
    typed = str(typed or "")
    if typed not in cache:
        cache[typed] = login_key(typed)
    return cache[typed]


def ip_failure_limit() -> int:
    return int(getattr(settings, "AXES_IP_FAILURE_LIMIT", 50))


def _failures(**filters) -> int:
    return AccessAttempt.objects.filter(**filters).aggregate(n=Sum("failures_since_start"))["n"] or 0


class LockoutHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler with one limit per account and a separate, higher one per IP.

    axes compares ``get_failures`` with ``AXES_FAILURE_LIMIT``; here it returns the account's failures, or
    the limit itself when the client IP has reached ``AXES_IP_FAILURE_LIMIT``, and notes on the request
    which of the two locked it (``request.axes_lockout_reason``) for the lockout page."""

    def _counts(self, request, credentials=None) -> tuple[int, int]:
        """Recent failures of the account tried, and of the client IP (over every account name)."""
        since = get_cool_off_threshold(request)
        key = get_client_username(request, credentials)
        ip = getattr(request, "axes_ip_address", None)
        account = _failures(username=key, attempt_time__gte=since) if key else 0
        by_ip = _failures(ip_address=ip, attempt_time__gte=since) if ip else 0
        return account, by_ip

    def get_failures(self, request, credentials=None) -> int:
        account, by_ip = self._counts(request, credentials)
        limit = get_failure_limit(request, credentials)
        if account >= limit:
            request.axes_lockout_reason = ACCOUNT
            return account
        if by_ip >= ip_failure_limit():
            request.axes_lockout_reason = IP
            return limit
        return account

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful login, forget that account's failures only: never the failures of other
        accounts tried from the same address, nor the address's own count."""
        key = get_client_username(request, credentials)
        if not key:
            return 0
        return AccessAttempt.objects.filter(username=key).delete()[0]


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the lockout page, saying whether the account or the network is locked."""
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    reason = getattr(request, "axes_lockout_reason", None)
    return render(
        request,
        settings.AXES_LOCKOUT_TEMPLATE,
        {"reason": reason, "cooloff_minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


# --- active lockouts, for the admin -------------------------------------------------------------------


def active_lockouts() -> list[dict]:
    """The accounts and client IPs locked out right now, with their failure counts."""
    cool_off = get_cool_off()
    recent = AccessAttempt.objects.all()
    if cool_off is not None:
        recent = recent.filter(attempt_time__gte=timezone.now() - cool_off)
    account_limit = settings.AXES_FAILURE_LIMIT if isinstance(settings.AXES_FAILURE_LIMIT, int) else 5
    found = []
    for row in (
        recent.exclude(username__isnull=True)
        .values("username")
        .annotate(n=Sum("failures_since_start"))
        .filter(n__gte=account_limit)
    ):
        found.append({"scope": ACCOUNT, "key": row["username"], "failures": row["n"]})
    for row in (
        recent.exclude(ip_address__isnull=True)
        .values("ip_address")
        .annotate(n=Sum("failures_since_start"))
        .filter(n__gte=ip_failure_limit())
    ):
        found.append({"scope": IP, "key": row["ip_address"], "failures": row["n"]})
    return found


@transaction.atomic
def lockout_lift(*, actor, attempt_ids) -> int:
    """Lift lockouts: delete the failed-attempt records (one per account name, IP and browser) that add up
    to them, and log who did it. Returns how many records were removed."""
    rows = list(
        AccessAttempt.objects.select_for_update()
        .filter(pk__in=list(attempt_ids))
        .values("pk", "username", "ip_address", "failures_since_start")
    )
    if not rows:
        return 0
    AccessAttempt.objects.filter(pk__in=[r["pk"] for r in rows]).delete()
    record_event(
        actor=actor,
        action="lockout.lift",
        object_type="accessattempt",
        object_ids=[r["pk"] for r in rows],
        details={
            "accounts": sorted({uid for r in rows if (uid := key_user_id(r["username"])) is not None}),
            "unknown_names": sum(1 for r in rows if key_user_id(r["username"]) is None),
            "ips": sorted({r["ip_address"] for r in rows if r["ip_address"]}),
            "failures": sum(r["failures_since_start"] for r in rows),
        },
    )
    return len(rows)
