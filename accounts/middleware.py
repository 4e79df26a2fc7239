import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from audit.services import record_event

from . import mfa
from .policies import mfa_required

SESSION_STARTED = "auth_started_at"
SESSION_LAST_SEEN = "last_seen_at"
BACKGROUND_HEADER = "X-Background-Request"
# What a session that has passed only the password step may reach: entering a code (or enrolling, for a
# user without an authenticator; accounts.mfa.enrol_mode decides), logging out, static files and the
# health check. Nothing else, not even the "Two-step login" page that replaces an authenticator.
MFA_PENDING_PATHS = ("mfa-verify", "mfa-enrol", "logout")
MFA_PENDING_PREFIXES = ("/static/", "/healthz")


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


LAST_SEEN_STEP = 10  # seconds (a tenth of the idle timeout when that is shorter)


class SessionTimeoutMiddleware:
    """Log out a session idle for SESSION_IDLE_TIMEOUT seconds or older than SESSION_ABSOLUTE_LIFETIME."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            started = request.session.get(SESSION_STARTED, now)
            last_seen = request.session.get(SESSION_LAST_SEEN, now)
            reason = None
            if now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                reason = "idle"
            elif now - started > settings.SESSION_ABSOLUTE_LIFETIME:
                reason = "lifetime"
            if reason:
                record_event(actor=user, action=f"logout.{reason}", details={"path": request.path})
                logout(request)
                if _is_api(request):
                    return JsonResponse(
                        {
                            "error": {
                                "status": 401,
                                "code": "session_expired",
                                "message": _("Your session ended."),
                            }
                        },
                        status=401,
                    )
                messages.info(
                    request,
                    _("You were logged out after a period without activity.")
                    if reason == "idle"
                    else _("Your session reached its maximum length. Please log in again."),
                )
                return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
            request.session.setdefault(SESSION_STARTED, now)
            # A request the page makes on its own (the autosave just before the idle logout) is not the
            # user's activity: it must not keep an unattended session open (docs/access.md).
            # Written at most every LAST_SEEN_STEP seconds: the timeout does not need the exact second, and a
            # session left unchanged is not saved again (no write on every page of a busy user).
            if request.headers.get(BACKGROUND_HEADER) != "1" and (
                SESSION_LAST_SEEN not in request.session
                or now - last_seen >= min(LAST_SEEN_STEP, settings.SESSION_IDLE_TIMEOUT / 10)
            ):
                request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)


class MFARequiredMiddleware:
    """A user who must use MFA reaches nothing but the MFA pages until the session is verified."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not self._allowed_before_code(request.path)
            and mfa.needs_code(user, mfa_required(user))
        ):
            if _is_api(request):
                return JsonResponse(
                    {"error": {"status": 403, "code": "mfa_required", "message": _("Complete MFA first.")}},
                    status=403,
                )
            target = "mfa-verify" if mfa.has_confirmed_device(user) else "mfa-enrol"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _allowed_before_code(path: str) -> bool:
        return path.startswith(MFA_PENDING_PREFIXES) or path in {reverse(n) for n in MFA_PENDING_PATHS}


class UserLanguageMiddleware:
    """Pages in the signed-in user's language when they chose one (User.language); otherwise
    LocaleMiddleware's choice from the browser stands. Runs after authentication, so it sees request.user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if language and language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
