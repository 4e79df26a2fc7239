"""The case page's workflow panel: risk, closure request, approval or refusal, reopening
(docs/cases.md "Closure, reopening"). Each answers a POST: done → back to the case page with a message;
bad input → the case page again with the form's errors; an illegal transition, a stale version or one's
own closure request → back to the case page with the message, nothing changed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import StaleVersionError, TransitionError

from .. import policies, selectors
from ..forms.workflow import ClosureDecisionForm, ClosureRequestForm, ReopenForm, RiskForm
from ..services import workflow as services
from .detail import access, page_context, rights_of


def _errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _run(request, case, form, form_name: str, run, done: str):
    """Parse `form`, run the service, answer."""
    if not form.is_valid():
        return render(
            request, "cases/detail.html", page_context(request, case, **{form_name: form}), status=200
        )
    try:
        run(form.cleaned_data)
    except ValidationError as exc:
        _errors_to_form(form, exc)
        return render(
            request, "cases/detail.html", page_context(request, case, **{form_name: form}), status=200
        )
    except (TransitionError, StaleVersionError) as exc:
        messages.error(request, str(exc))
    except PermissionDenied as exc:
        if not rights_of(request.user, case)["approver"]:
            raise Http404("No such case.") from None
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("cases:detail", pk=case.pk)


@login_required
@require_POST
def case_risk(request, pk):
    case = access(request, pk, policies.CHANGE, purpose="risk")
    return _run(
        request,
        case,
        RiskForm(request.POST),
        "risk_form",
        lambda v: services.case_risk_set(
            actor=request.user,
            case=case,
            risk=v["risk"],
            reasons=v["risk_reasons"],
            expected_version=v.get("version"),
        ),
        _("Risk saved."),
    )


@login_required
@require_POST
def request_closure(request, pk):
    case = access(request, pk, policies.CHANGE, purpose="request-closure")
    return _run(
        request,
        case,
        ClosureRequestForm(request.POST),
        "closure_form",
        lambda v: services.closure_request(
            actor=request.user,
            case=case,
            reason=v["reason"],
            notes=v["notes"],
            expected_version=v.get("version"),
        ),
        _("Closure requested: a station manager will decide."),
    )


def _approver(request, pk, purpose: str):
    """The case for an approval or a refusal: only a station manager of its station reaches it (others:
    404); the one who asked is told they cannot decide on their own request."""
    case = access(request, pk, purpose=purpose)
    if not rights_of(request.user, case)["approver"]:
        selectors.denied(request.user, pk, policies.APPROVE, station=case.station)
        raise Http404("No such case.")
    return case


@login_required
@require_POST
def approve_closure(request, pk):
    case = _approver(request, pk, "approve-closure")
    return _run(
        request,
        case,
        ClosureDecisionForm(request.POST),
        "decision_form",
        lambda v: services.closure_approve(actor=request.user, case=case, expected_version=v.get("version")),
        _("Closure approved: the case is closed."),
    )


@login_required
@require_POST
def refuse_closure(request, pk):
    case = _approver(request, pk, "refuse-closure")
    return _run(
        request,
        case,
        ClosureDecisionForm(request.POST),
        "decision_form",
        lambda v: services.closure_refuse(
            actor=request.user, case=case, note=v["note"], expected_version=v.get("version")
        ),
        _("Closure refused: the case is active again."),
    )


@login_required
@require_POST
def reopen(request, pk):
    case = access(request, pk, policies.CHANGE, purpose="reopen")
    return _run(
        request,
        case,
        ReopenForm(request.POST),
        "reopen_form",
        lambda v: services.case_reopen(
            actor=request.user, case=case, reason=v["reason"], expected_version=v.get("version")
        ),
        _("Case reopened."),
    )
