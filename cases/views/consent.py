"""Pages of consent (docs/cases.md "Consent"): recording a decision, a station manager's override, and the
signed form's download. Every rule is the service's; a page only shows the form and its errors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .. import policies, selectors
from ..forms.consent import ConsentForm, OverrideForm
from ..services import consent as consent_services


def access(request, pk, action: str = policies.VIEW, *, purpose: str):
    """`selectors.access_case` for a page: an action the user may not do answers 404, as a case out of
    reach does."""
    try:
        return selectors.access_case(request.user, pk, action, purpose=purpose)
    except PermissionDenied:
        raise Http404("No such case.") from None


def show_errors(form, exc: ValidationError) -> None:
    """The service's errors on the form's fields (others above the form)."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, field_messages in errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def case_page(case, anchor: str) -> str:
    return reverse("cases:detail", kwargs={"pk": case.pk}) + f"#{anchor}"


@login_required
@require_http_methods(["GET", "POST"])
def consent_new(request, pk):
    case = access(request, pk, policies.CHANGE, purpose="consent")
    form = ConsentForm(request.POST, request.FILES) if request.method == "POST" else ConsentForm()
    if request.method == "POST" and form.is_valid():
        v = form.cleaned_data
        try:
            consent = consent_services.consent_record(
                actor=request.user,
                case=case,
                scope=v["scope"],
                decision=v["decision"],
                method=v["method"],
                decided_on=v["decided_on"],
                notes=v["notes"],
                signed_form=v["signed_form"],
                idempotency_key=v["idempotency_key"] or None,
            )
        except PermissionDenied:
            raise Http404("No such case.") from None
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(
                request,
                _("Consent recorded: %(scope)s – %(decision)s.")
                % {"scope": consent.get_scope_display(), "decision": consent.get_decision_display()},
            )
            return redirect(case_page(case, "consent"))
    return render(request, "cases/consent_form.html", {"case": case, "form": form})


@login_required
@require_GET
def consent_form(request, pk, consent_pk):
    """The signed form of one consent decision: only for those who may see her personal details (else 404,
    as for a case out of reach), streamed from private storage. `access_case` logs the read (purpose
    "consent_form")."""
    case = access(request, pk, purpose="consent_form")
    consent = selectors.consent_of(case, consent_pk) if case.can_see_sensitive else None
    if consent is None or not consent.signed_form:
        selectors.denied(request.user, pk, "consent_form", station=case.station)
        raise Http404("No such form.")
    response = FileResponse(
        consent.signed_form.open("rb"),
        content_type=consent.signed_form_type or "application/octet-stream",
        as_attachment=True,
        filename=consent.signed_form_name or "signed-form",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def override_new(request, pk):
    case = access(request, pk, policies.OVERRIDE, purpose="override")
    form = OverrideForm(request.POST) if request.method == "POST" else OverrideForm()
    if request.method == "POST" and form.is_valid():
        try:
            consent_services.consent_override(
                actor=request.user,
                case=case,
                scope=form.cleaned_data["scope"],
                reason=form.cleaned_data["reason"],
            )
        except PermissionDenied:
            raise Http404("No such case.") from None
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Override recorded. It allows one action without her consent."))
            return redirect(case_page(case, "consent"))
    return render(request, "cases/override_form.html", {"case": case, "form": form})
