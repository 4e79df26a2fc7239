"""The routes page: source district -> border station -> destination, with counts (interception/routes.py)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from . import routes


class RouteFilterForm(forms.Form):
    """The routes' filters, for the page and the API alike."""

    country = forms.ChoiceField(label=_("Country"), required=False)
    since = forms.DateField(label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    period = forms.ChoiceField(
        label=_("Counts per"),
        required=False,
        choices=[
            ("", _("whole period")),
            ("month", _("month")),
            ("quarter", _("quarter")),
            ("year", _("year")),
        ],
    )

    def __init__(self, *args, countries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("All my countries")), *countries]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("“Until” must be on or after “Since”."))
        return data

    def filters(self) -> routes.RouteFilters:
        data = self.cleaned_data
        return routes.RouteFilters(
            country=data.get("country") or None,
            since=data.get("since"),
            until=data.get("until"),
            period=data.get("period") or None,
        )


@login_required
@require_GET
def route_list(request):
    form = RouteFilterForm(request.GET or None, countries=routes.country_choices(request.user))
    result = None
    if not form.is_bound:
        result = routes.route_counts(user=request.user, filters=routes.RouteFilters())
    elif form.is_valid():
        result = routes.route_counts(user=request.user, filters=form.filters())
    return render(
        request,
        "interception/routes.html",
        {
            "form": form,
            "result": result,
            "chart": {"rows": result["results"]} if result else {"rows": []},
        },
        status=200,
    )
