"""Sign-in events go into the access log."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.services import record_event
from core import events

from .lockout import axes_username, key_user_id
from .middleware import SESSION_LAST_SEEN, SESSION_STARTED


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    now = time.time()
    request.session[SESSION_STARTED] = now
    request.session[SESSION_LAST_SEEN] = now
    record_event(actor=user, action="login")


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record_event(actor=user, action="logout")


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    """Log the failure under the login key (the account's id, or a keyed hash of a name that matches no
    account), never under what was typed, and publish it for the security alert (alerts subscribes)."""
    key = axes_username(request, {"username": str(credentials.get("username", ""))})
    if not key:
        return
    user_id = key_user_id(key)
    record_event(
        actor=None,
        action="login.failed",
        object_type="user" if user_id is not None else None,
        object_id=user_id,
        details={"key": key, "locked_out": bool(getattr(request, "axes_locked_out", False))},
    )
    events.publish("login.failed", key=key)
