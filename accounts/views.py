from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from . import mfa


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@login_required
@require_http_methods(["GET", "POST"])
def mfa_enrol(request):
    if request.user.is_verified():
        return redirect(_next(request))
    device = mfa.pending_totp_device(request.user)
    if request.method == "POST":
        codes = mfa.enrol_confirm(request=request, device=device, code=request.POST.get("code", ""))
        if codes is not None:
            return render(
                request, "registration/mfa_recovery_codes.html", {"codes": codes, "next": _next(request)}
            )
        messages.error(
            request,
            "That code did not match. Wait a moment, check the time on your phone and try the newest code.",
        )
    return render(
        request,
        "registration/mfa_enrol.html",
        {"qr": mfa.qr_data_uri(device), "secret": mfa.secret_base32(device), "next": _next(request)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify(request):
    if request.user.is_verified():
        return redirect(_next(request))
    if request.method == "POST":
        if mfa.verify(request=request, code=request.POST.get("code", "")):
            return redirect(_next(request))
        if mfa.too_many_failures(request):
            logout(request)
            messages.error(request, "Too many wrong codes. Log in again.")
            return redirect("login")
        messages.error(
            request,
            "That code is not valid. Wait a moment, then use the newest code from your app "
            "or a recovery code.",
        )
    return render(request, "registration/mfa_verify.html", {"next": _next(request)})
