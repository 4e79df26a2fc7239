"""The person search page and the identity page (docs/people.md "Search", "The identity page")."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from people import policies, selectors


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name or phone"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "autofocus": True}),
    )


def _searcher(request):
    """Pages of people answer 404 to users who may not search people (as if they did not exist)."""
    if not policies.may_search(request.user):
        raise Http404("No such page.")


@login_required
@require_GET
def person_search(request):
    _searcher(request)
    form = PersonSearchForm(request.GET or None)
    results = None
    if form.is_bound and form.is_valid() and "q" in request.GET:
        try:
            results = selectors.search_people(request.user, form.cleaned_data["q"])
        except ValidationError as exc:
            for message in exc.message_dict.get("q", exc.messages):
                form.add_error("q", message)
    return render(request, "people/search.html", {"form": form, "results": results})


@login_required
@require_GET
def identity_detail(request, pk):
    _searcher(request)
    try:
        identity = selectors.access_identity(request.user, pk)
    except selectors.IdentityMerged as merged:
        return redirect("people:identity", pk=merged.survivor)
    reviewer = policies.may_review(request.user)
    return render(
        request,
        "people/identity.html",
        {
            "identity": identity,
            "network_url": reverse("people:network", args=[identity["id"]]),
            # The review queue (for reviewers): the suggestions this user may see, this person's among them.
            "matches_url": reverse("people:matches") if reviewer else "",
            # Unmerge one appearance (reviewers; an identity of one appearance has nothing to split off).
            "can_unmerge": reviewer and len(identity["appearances"]) > 1,
        },
    )
