"""Victim interview pages (docs/cases.md "Victim interview"): record one, read one, edit one."""

import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import IdempotencyConflict, StaleVersionError, TransitionError
from people.masking import mask
from people.places import label as place_label

from .. import policies, selectors
from ..forms.interviews import InterviewForm, initial_from
from ..models import CaseStatus, Exploitation, PalermoAct, PalermoMeans
from ..services import interviews as services


def _access(request, pk, action: str = policies.VIEW, *, purpose: str):
    """`selectors.access_case` for a page: an action the user may not do answers 404, as a case out of
    reach does."""
    try:
        return selectors.access_case(request.user, pk, action, purpose=purpose)
    except PermissionDenied:
        raise Http404("No such case.") from None


def _render_form(request, case, form, *, interview=None, problem: str = "", status: int = 200):
    return render(
        request,
        "cases/interview_form.html",
        {
            "case": case,
            "form": form,
            "interview": interview,
            "problem": problem,
            "closed": case.status == CaseStatus.CLOSED,
            "threshold": settings.CASES_HOME_ALARM_THRESHOLD,
        },
        status=status,
    )


def _save(request, case, form, save, *, interview=None):
    """Run `save(data)` for a valid form; on a refusal re-render the form with the input kept."""
    if not form.is_valid():
        return None, _render_form(request, case, form, interview=interview)
    try:
        return save(form.to_data()), None
    except IdempotencyConflict as error:
        return None, _render_form(request, case, form, interview=interview, problem=error.conflict_message)
    except ValidationError as error:
        form.add_service_errors(error)
        return None, _render_form(request, case, form, interview=interview)
    except (StaleVersionError, TransitionError) as error:
        return None, _render_form(request, case, form, interview=interview, problem=str(error))


@login_required
@require_http_methods(["GET", "POST"])
def interview_new(request, pk):
    case = _access(request, pk, policies.CHANGE, purpose="interview")
    alarms = selectors.home_alarm_catalogue(case)
    if request.method == "GET":
        form = InterviewForm(
            alarms=alarms,
            initial={"idempotency_key": uuid.uuid4().hex, "conducted_on": case.station.local_today()},
        )
        return _render_form(request, case, form)
    form = InterviewForm(request.POST, alarms=alarms)

    def save(data):
        interview, _created = services.interview_create(
            actor=request.user, case=case, data=data, idempotency_key=form.cleaned_data.get("idempotency_key")
        )
        return interview

    interview, response = _save(request, case, form, save)
    if response is not None:
        return response
    return redirect("cases:interview", pk=case.pk, interview_pk=interview.pk)


def _labels(codes, choices) -> list[str]:
    labels = dict(choices.choices)
    return [str(labels.get(code, code)) for code in codes]


def present(interview, sensitive: bool) -> dict:
    """What a reader may see of an interview: the recruiter's name and phone, what was promised, who
    travelled with her, the narrative and the route's place texts need `view_sensitive`; the codes, the
    willingness, the derivation and the alarm score do not."""
    recruiter = interview.recruiter
    return {
        "recruiter_name": mask(recruiter.full_name, sensitive) if recruiter else "",
        "recruiter_phone": mask(recruiter.phone, sensitive) if recruiter else "",
        "recruiter_identity": recruiter.identity_id if recruiter and sensitive else None,
        "promised": mask(interview.promised, sensitive),
        "travelled_with": mask(interview.travelled_with, sensitive),
        "narrative": mask(interview.narrative, sensitive),
        "acts": _labels(interview.acts, PalermoAct),
        "means": _labels(interview.means, PalermoMeans),
        "purposes": _labels(interview.purposes, Exploitation),
        "route": [
            {
                "stop": stop,
                "transport": str(dict(services.TRANSPORTS).get(stop.transport, stop.transport)),
                "place": mask(
                    stop.place_text or (place_label(stop.place) if stop.place_id else ""), sensitive
                ),
            }
            for stop in interview.route.all()
        ],
    }


@login_required
@require_GET
def interview_detail(request, pk, interview_pk):
    case = _access(request, pk, purpose="interview")
    interview = selectors.interview_of(request.user, case, interview_pk)
    sensitive = bool(case.can_see_sensitive)
    return render(
        request,
        "cases/interview_detail.html",
        {
            "case": case,
            "interview": interview,
            "sensitive": sensitive,
            "shown": present(interview, sensitive),
            "can_change": policies.may_change(request.user, case) and case.status != CaseStatus.CLOSED,
            "threshold": settings.CASES_HOME_ALARM_THRESHOLD,
            "ticks": list(interview.alarm_ticks.all()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def interview_edit(request, pk, interview_pk):
    case = _access(request, pk, policies.CHANGE, purpose="interview-edit")
    interview = selectors.interview_of(request.user, case, interview_pk)
    ticks = list(interview.alarm_ticks.all())
    alarms = selectors.home_alarm_catalogue(case, keep=[t.alarm.code for t in ticks])
    rows = len(interview.route.all()) + 1
    if request.method == "GET":
        form = InterviewForm(
            alarms=alarms, route_rows=rows, initial=initial_from(interview, place_label=place_label)
        )
        return _render_form(request, case, form, interview=interview)
    form = InterviewForm(request.POST, alarms=alarms, route_rows=rows)

    def save(data):
        version = form.cleaned_data.get("version")
        if version is None:
            raise ValidationError({"version": _("Reload the page: the form lost its version.")})
        return services.interview_update(
            actor=request.user, interview=interview, data=data, expected_version=version
        )

    saved, response = _save(request, case, form, save, interview=interview)
    if response is not None:
        return response
    return redirect("cases:interview", pk=case.pk, interview_pk=saved.pk)
