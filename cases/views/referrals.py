"""Pages of referrals (docs/cases.md "Referral"): referring a case to a station or a named user, and taking
a referral back. Every rule is the service's; a page only shows the form and its errors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import IdempotencyConflict, TransitionError

from .. import policies, selectors
from ..forms.referrals import ReferralForm, RevokeForm
from ..services import referrals as referral_services
from .consent import access, case_page, show_errors


@login_required
@require_http_methods(["GET", "POST"])
def referral_new(request, pk):
    case = access(request, pk, policies.REFER, purpose="referral")
    form = ReferralForm(request.POST) if request.method == "POST" else ReferralForm()
    if request.method == "POST" and form.is_valid():
        v = form.cleaned_data
        try:
            referral, _created = referral_services.referral_create(
                actor=request.user,
                case=case,
                to_user=v["to_user"],
                to_station=v["to_station"],
                note=v["note"],
                expires_on=v["expires_on"],
                idempotency_key=v["idempotency_key"] or None,
            )
        except PermissionDenied:
            raise Http404("No such case.") from None
        except (ValidationError, IdempotencyConflict) as exc:
            show_errors(form, exc)
        except TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            target = referral.to_user.username if referral.to_user_id else referral.to_station.code
            messages.success(request, _("Referred to %(target)s.") % {"target": target})
            return redirect(case_page(case, "referrals"))
    return render(request, "cases/referral_form.html", {"case": case, "form": form})


@login_required
@require_POST
def referral_revoke(request, pk, referral_pk):
    case = access(request, pk, policies.REFER, purpose="referral_revoke")
    referral = selectors.referral_of(case, referral_pk)
    if referral is None:
        raise Http404("No such referral.")
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        referral_services.referral_revoke(actor=request.user, case=case, referral=referral, reason=reason)
    except PermissionDenied:
        raise Http404("No such case.") from None
    except (TransitionError, ValidationError) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, _("Referral revoked: access ends now."))
    return redirect(case_page(case, "referrals"))
