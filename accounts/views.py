from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from . import mfa, services
from .forms import LanguageForm

WRONG_CODE = _lazy(
    "That code is not valid. Wait a moment, then use the newest code from your app or a recovery code."
)


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def _to(name: str, request):
    return redirect(f"{reverse(name)}?{urlencode({'next': _next(request)})}")


def _end_after_too_many(request):
    logout(request)
    messages.error(request, _("Too many wrong codes. Log in again."))
    return redirect("login")


@login_required
@require_http_methods(["GET", "POST"])
def mfa_enrol(request):
    """First enrolment (no confirmed device), or replacing the authenticator right after re-entering a
    current code on the "Two-step login" page. Anyone else is sent to enter a code first."""
    mode = mfa.enrol_mode(request)
    if mode is None:
        return _to("mfa-manage" if request.user.is_verified() else "mfa-verify", request)
    device = mfa.pending_totp_device(request.user)
    if request.method == "POST":
        try:
            codes = mfa.enrol_confirm(request=request, device=device, code=request.POST.get("code", ""))
        except PermissionDenied:  # the re-entered code is older than MFA_REAUTH_SECONDS
            messages.error(request, _("Enter a current code again, then set up the new authenticator."))
            return _to("mfa-manage", request)
        if codes is not None:
            return render(
                request, "registration/mfa_recovery_codes.html", {"codes": codes, "next": _next(request)}
            )
        messages.error(
            request,
            _(
                "That code did not match. Wait a moment, check the time on your phone and try the newest "
                "code."
            ),
        )
    return render(
        request,
        "registration/mfa_enrol.html",
        {
            "qr": mfa.qr_data_uri(device),
            "secret": mfa.secret_base32(device),
            "next": _next(request),
            "replacing": mode == mfa.REPLACE,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify(request):
    if request.user.is_verified():
        return redirect(_next(request))
    if not mfa.has_confirmed_device(request.user):
        return _to("mfa-enrol", request)
    if request.method == "POST":
        if mfa.verify(request=request, code=request.POST.get("code", "")):
            return redirect(_next(request))
        if mfa.too_many_failures(request):
            return _end_after_too_many(request)
        messages.error(request, WRONG_CODE)
    return render(request, "registration/mfa_verify.html", {"next": _next(request)})


@login_required
@require_http_methods(["GET", "POST"])
def mfa_manage(request):
    """ "Two-step login" for a verified session: re-enter a current code, then replace the authenticator
    (a new phone) or get new recovery codes."""
    if not mfa.has_confirmed_device(request.user):
        return _to("mfa-enrol", request)
    if not request.user.is_verified():
        return _to("mfa-verify", request)
    if request.method == "POST":
        if mfa.reauthenticate(request=request, code=request.POST.get("code", "")):
            if request.POST.get("action") == "recovery_codes":
                codes = mfa.recovery_codes_issue(request=request)
                return render(
                    request, "registration/mfa_recovery_codes.html", {"codes": codes, "next": _next(request)}
                )
            return _to("mfa-enrol", request)
        if mfa.too_many_failures(request):
            return _end_after_too_many(request)
        messages.error(request, WRONG_CODE)
    return render(request, "registration/mfa_manage.html", {"next": _next(request)})


@login_required
@require_http_methods(["GET", "POST"])
def language(request):
    """The user's language for pages and e-mails; empty follows the browser."""
    form = LanguageForm(request.POST or None, initial={"language": request.user.language})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_language(actor=request.user, language=form.cleaned_data["language"])
        except ValidationError as e:
            form.add_error(None, e)
        else:
            translation.activate(request.user.language or translation.get_language_from_request(request))
            messages.success(request, _("Language saved."))
            return redirect("language")
    return render(request, "registration/language.html", {"form": form})


@login_required
@require_http_methods(["POST"])
def keep_alive(request):
    """The "Stay signed in" button and typing on a page: the request itself refreshes the session's
    last-seen time (accounts.middleware.SessionTimeoutMiddleware); the answer gives the timeout."""
    from django.conf import settings
    from django.http import JsonResponse

    return JsonResponse({"ok": True, "idle_timeout": settings.SESSION_IDLE_TIMEOUT})
