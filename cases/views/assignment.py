"""Assigning a case to a case manager (docs/cases.md "Assignment and My cases").

The case page (cases/views/detail.py) merges `assign_context(request, case)` into its context and includes
`cases/_assign.html`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import StaleVersionError, TransitionError

from .. import policies, selectors
from ..forms.assignment import AssignForm
from ..models import CaseStatus
from ..services.assignment import assignee_by_username
from ..services.assignment import case_assign as assign


def _choices(case) -> list[tuple[str, str]]:
    return [
        (u.username, u.get_full_name() or u.username)
        for u in selectors.case_managers_at(case.station).only("username", "first_name", "last_name")
    ]


def assign_context(request, case, *, rights=None) -> dict:
    """What `cases/_assign.html` needs: `may_assign` (bool) and, when true and the case is not closed,
    `assign_form` (the station's active case managers to choose from; one query)."""
    may = policies.may_assign(request.user, case, rights=rights) and case.status != CaseStatus.CLOSED
    form = None
    if may:
        form = AssignForm(
            choices=_choices(case),
            initial={
                "assigned_to": case.assigned_to.username if case.assigned_to_id else "",
                "version": case.version,
            },
        )
    return {"may_assign": may, "assign_form": form}


@login_required
@require_POST
def case_assign(request, pk):
    try:
        case = selectors.access_case(request.user, pk, policies.ASSIGN, purpose="assign")
    except PermissionDenied:
        raise Http404("No such case.") from None
    form = AssignForm(request.POST, choices=_choices(case))
    if not form.is_valid():
        messages.error(
            request, _("Choose an active case manager of station %(code)s.") % {"code": case.station.code}
        )
        return redirect("cases:detail", pk=case.pk)
    try:
        assignee = assignee_by_username(case=case, username=form.cleaned_data["assigned_to"])
        assign(
            actor=request.user,
            case=case,
            assigned_to=assignee,
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as e:
        messages.error(request, " ".join(m for ms in e.message_dict.values() for m in ms))
    except (TransitionError, StaleVersionError) as e:
        messages.error(request, str(e))
    else:
        messages.success(
            request,
            _("Case %(number)s is now assigned to %(user)s.")
            % {"number": case.number, "user": assignee.username},
        )
    return redirect("cases:detail", pk=case.pk)
