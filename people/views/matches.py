"""Match review pages (reviewers only: `people.policies.may_review`, else 404) and the suggestions shown
under a name while a person is typed on the interception form (docs/people.md "Match review")."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from people import review, services
from people.policies import may_review

REASON_MAX = 1000


def _reviewer(request) -> None:
    if not may_review(request.user):
        raise Http404("No such page.")


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _reason(request) -> str:
    return (request.POST.get("reason") or "").strip()[:REASON_MAX]


@login_required
@require_GET
def match_list(request):
    _reviewer(request)
    return render(request, "people/matches.html", {"pairs": review.review_queue(request.user)})


@login_required
@require_GET
def match_detail(request, pk):
    _reviewer(request)
    pair = review.access_suggestion(request.user, pk)
    return render(request, "people/match.html", {"pair": pair, "reason_max": REASON_MAX})


@login_required
@require_POST
def match_confirm(request, pk):
    _reviewer(request)
    suggestion = review.suggestion_for_decision(request.user, pk)
    try:
        services.identity_merge(
            actor=request.user,
            identity=suggestion.identity,
            other=suggestion.candidate,
            suggestion=suggestion,
            reason=_reason(request),
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect("people:match", pk=pk)
    messages.success(request, _("Confirmed: the two records now belong to one person."))
    return redirect("people:matches")


@login_required
@require_POST
def match_reject(request, pk):
    _reviewer(request)
    suggestion = review.suggestion_for_decision(request.user, pk)
    try:
        services.match_reject(actor=request.user, suggestion=suggestion, reason=_reason(request))
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect("people:match", pk=pk)
    messages.success(request, _("Rejected: these two will not be suggested again."))
    return redirect("people:matches")


@login_required
@require_POST
def unmerge(request, pk):
    _reviewer(request)
    identity = review.identity_for_review(request.user, pk)
    appearance = review.appearance_for_unmerge(request.user, identity, request.POST.get("appearance"))
    if appearance is None:
        messages.error(request, _("Choose an appearance of this person to unmerge."))
        return redirect("people:identity", pk=identity.pk)
    try:
        record = services.identity_unmerge(
            actor=request.user, identity=identity, appearance=appearance, reason=_reason(request)
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect("people:identity", pk=identity.pk)
    messages.success(
        request,
        ngettext(
            "Unmerged: %(count)s appearance now belongs to person P-%(other)s.",
            "Unmerged: %(count)s appearances now belong to person P-%(other)s.",
            len(record.appearances),
        )
        % {"count": len(record.appearances), "other": record.other_id},
    )
    return redirect("people:identity", pk=identity.pk)


@login_required
@require_GET
def suggest(request):
    """An HTML fragment (htmx) under the name being typed: people the user may see who are probably the
    same human. Information only: nothing is stored or merged."""
    people = review.form_suggestions(request.user, request.GET)
    return render(request, "people/suggest_fragment.html", {"people": people})
