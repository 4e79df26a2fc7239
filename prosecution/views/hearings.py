"""Pages of hearings and comments (docs/prosecution.md "Hearings, reminders and the timeline"): add a
hearing, record its outcome and next date, the upcoming hearings of every legal case one may see (by
week), add a comment to the timeline and delete one (softly). Each page of a legal case fetches it through
`selectors.access_legal_case` with the `change` action (404 for a viewer who may not work on it); every
write goes through prosecution.services.hearings."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import StaleVersionError, TransitionError

from .. import policies, selectors
from ..forms.hearings import CommentForm, HearingForm
from ..services import hearings as services
from .victims import access_for_change, back, show_errors


def _choices(legal_case) -> dict:
    return {
        "court_cases": [
            (cc.pk, f"{cc.court} {cc.number}")
            for cc in selectors.court_cases_of(legal_case).select_related("court")
        ],
        "courts": [(c.pk, c.name) for c in selectors.courts_of(legal_case)],
    }


def _render(request, legal_case, form, hearing=None):
    return render(
        request,
        "prosecution/hearing_form.html",
        {"legal_case": legal_case, "form": form, "hearing": hearing},
    )


@login_required
@require_http_methods(["GET", "POST"])
def hearing_new(request, pk):
    legal_case = access_for_change(request, pk, purpose="hearing_add")
    form = HearingForm(request.POST or None, **_choices(legal_case))
    if request.method == "POST" and form.is_valid():
        try:
            _hearing, created = services.hearing_add(
                actor=request.user,
                legal_case=legal_case,
                idempotency_key=form.cleaned_data.get("idempotency_key") or None,
                **form.values(),
            )
        except ValidationError as exc:
            show_errors(form, exc)
        except TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            if created:
                messages.success(request, _("Hearing added."))
            else:
                messages.info(request, _("This hearing was added already (the form was sent twice)."))
            return back(legal_case, "hearings")
    return _render(request, legal_case, form)


@login_required
@require_http_methods(["GET", "POST"])
def hearing_edit(request, pk, hearing_pk):
    legal_case = access_for_change(request, pk, purpose="hearing_change")
    hearing = selectors.hearing_of(legal_case, hearing_pk)
    initial = {
        "held_on": hearing.held_on,
        "court_case": hearing.court_case_id,
        "court": hearing.court_id,
        "purpose": hearing.purpose,
        "outcome": hearing.outcome,
        "next_on": hearing.next_on,
        "version": hearing.version,
    }
    form = HearingForm(request.POST or None, initial=initial, edit=True, **_choices(legal_case))
    if request.method == "POST" and form.is_valid():
        try:
            _hearing, following = services.hearing_update(
                actor=request.user,
                hearing=hearing,
                expected_version=form.cleaned_data["version"],
                **form.values(),
            )
        except ValidationError as exc:
            show_errors(form, exc)
        except (StaleVersionError, TransitionError) as exc:
            form.add_error(None, str(exc))
        else:
            if following is not None:
                messages.success(request, _("Hearing saved; the next hearing is on the list."))
            else:
                messages.success(request, _("Hearing saved."))
            return back(legal_case, "hearings")
    return _render(request, legal_case, form, hearing)


def week_groups(rows) -> list[dict]:
    """Hearings grouped by the week (Monday to Sunday) they fall in, in date order."""
    groups: list[dict] = []
    for row in rows:
        monday = row.held_on - timedelta(days=row.held_on.weekday())
        if not groups or groups[-1]["monday"] != monday:
            groups.append({"monday": monday, "sunday": monday + timedelta(days=6), "hearings": []})
        groups[-1]["hearings"].append(row)
    return groups


@login_required
@require_GET
def upcoming_hearings(request):
    today = timezone.localdate()
    rows = selectors.log_hearing_list(
        request.user, selectors.upcoming_hearings(request.user, since=today), since=today
    )
    return render(
        request,
        "prosecution/hearings.html",
        {"groups": week_groups(rows), "today": today, "count": len(rows)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def comment_new(request, pk):
    legal_case = access_for_change(request, pk, purpose="comment_add")
    form = CommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _comment, created = services.comment_add(
                actor=request.user,
                legal_case=legal_case,
                text=form.cleaned_data["text"],
                idempotency_key=form.cleaned_data.get("idempotency_key") or None,
            )
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            if created:
                messages.success(request, _("Comment added."))
            return back(legal_case, "comments")
    return render(request, "prosecution/comment_form.html", {"legal_case": legal_case, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def comment_delete(request, pk, comment_pk):
    """GET: the confirmation (or, for a comment deleted already, who deleted it); POST: delete it."""
    try:
        legal_case = selectors.access_legal_case(request.user, pk, purpose="comment_delete")
    except PermissionDenied:
        raise Http404("No such legal case.") from None
    comment = selectors.comment_of(legal_case, comment_pk)
    if not services.may_delete_comment(request.user, comment):
        selectors.denied(request.user, pk, policies.DELETE, station=legal_case.station)
        raise Http404("No such comment.")
    if request.method == "POST":
        try:
            services.comment_delete(actor=request.user, comment=comment)
        except TransitionError as exc:
            messages.info(request, str(exc))
        else:
            messages.success(request, _("Comment deleted."))
        return back(legal_case, "comments")
    return render(request, "prosecution/comment_delete.html", {"legal_case": legal_case, "comment": comment})
