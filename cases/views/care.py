"""Pages of services and follow-ups (docs/cases.md "Risk, services and follow-ups"): add and edit a service,
plan a follow-up, record one as done. Each page fetches the case through `selectors.access_case` with the
`change` action (a viewer who may not work on the case gets 404, as for a case out of reach); every write
goes through cases.services.care."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import StaleVersionError, TransitionError

from .. import policies, selectors
from ..forms.care import FollowUpDoneForm, FollowUpForm, ServiceForm
from ..models import CaseSource, CaseStatus
from ..services import care


def _access(request, pk, *, purpose: str):
    try:
        return selectors.access_case(request.user, pk, policies.CHANGE, purpose=purpose)
    except PermissionDenied:
        raise Http404("No such case.") from None


def _back(case, anchor: str):
    return redirect(reverse("cases:detail", args=[case.pk]) + f"#{anchor}")


def _closed(request, case, anchor: str):
    """A closed case takes no new services or follow-ups: back to the case page with the reason."""
    messages.error(
        request, _("This case is closed: reopen it before adding or changing its services and follow-ups.")
    )
    return _back(case, anchor)


def _show_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _render(request, template, case, form, **extra):
    return render(request, template, {"case": case, "form": form, **extra})


@login_required
@require_http_methods(["GET", "POST"])
def service_new(request, pk):
    case = _access(request, pk, purpose="service_add")
    if case.status == CaseStatus.CLOSED:
        return _closed(request, case, "services")
    form = ServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _service, created = care.service_add(
                actor=request.user,
                case=case,
                idempotency_key=form.cleaned_data.get("idempotency_key") or None,
                **form.service_values(),
            )
        except ValidationError as exc:
            _show_errors(form, exc)
        except TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            if created:
                messages.success(request, _("Service added."))
            else:
                messages.info(request, _("This service was added already (the form was sent twice)."))
            return _back(case, "services")
    return _render(request, "cases/service_form.html", case, form, service=None)


@login_required
@require_http_methods(["GET", "POST"])
def service_edit(request, pk, service_pk):
    case = _access(request, pk, purpose="service_change")
    service = selectors.service_of(case, service_pk)
    if case.status == CaseStatus.CLOSED:
        return _closed(request, case, "services")
    initial = {
        "kind": service.kind,
        "provider_kind": service.provider_kind,
        "provider": service.provider,
        "started_on": service.started_on,
        "ended_on": service.ended_on,
        "status": service.status,
        "outcome": service.outcome,
        "version": service.version,
    }
    form = ServiceForm(request.POST or None, initial=initial, edit=True)
    if request.method == "POST" and form.is_valid():
        try:
            care.service_update(
                actor=request.user,
                service=service,
                expected_version=form.cleaned_data["version"],
                **form.service_values(),
            )
        except ValidationError as exc:
            _show_errors(form, exc)
        except (StaleVersionError, TransitionError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Service saved."))
            return _back(case, "services")
    return _render(request, "cases/service_form.html", case, form, service=service)


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_new(request, pk):
    case = _access(request, pk, purpose="follow_up_add")
    if case.status == CaseStatus.CLOSED:
        return _closed(request, case, "follow-ups")
    form = FollowUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _follow_up, created = care.follow_up_add(
                actor=request.user,
                case=case,
                due_on=form.cleaned_data["due_on"],
                method=form.cleaned_data["method"],
                idempotency_key=form.cleaned_data.get("idempotency_key") or None,
            )
        except ValidationError as exc:
            _show_errors(form, exc)
        except TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            if created:
                messages.success(request, _("Follow-up planned."))
            else:
                messages.info(request, _("This follow-up was planned already (the form was sent twice)."))
            return _back(case, "follow-ups")
    return _render(request, "cases/follow_up_form.html", case, form)


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_done(request, pk, follow_up_pk):
    case = _access(request, pk, purpose="follow_up_done")
    follow_up = selectors.follow_up_of(case, follow_up_pk)
    if case.status == CaseStatus.CLOSED:
        return _closed(request, case, "follow-ups")
    if follow_up.done_on is not None:
        messages.info(request, _("This follow-up was recorded as done already."))
        return _back(case, "follow-ups")
    from_interception = case.source == CaseSource.INTERCEPTION
    initial = {
        "done_on": care.local_today(case.station),
        "version": follow_up.version,
        "next_method": follow_up.method,
    }
    form = FollowUpDoneForm(request.POST or None, initial=initial, from_interception=from_interception)
    if request.method == "POST" and form.is_valid():
        try:
            _done, following = care.follow_up_record(
                actor=request.user, follow_up=follow_up, **form.record_values()
            )
        except ValidationError as exc:
            _show_errors(form, exc)
        except (StaleVersionError, TransitionError) as exc:
            form.add_error(None, str(exc))
        else:
            if following is not None:
                messages.success(request, _("Follow-up recorded; the next one is planned."))
            else:
                messages.success(request, _("Follow-up recorded."))
            return _back(case, "follow-ups")
    return _render(request, "cases/follow_up_done.html", case, form, follow_up=follow_up)
