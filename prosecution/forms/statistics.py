"""The filters of the prosecution statistics, for the page, its CSV downloads and the API alike."""

from django import forms
from django.utils.translation import gettext_lazy as _

from prosecution import statistics


class StatisticsFilterForm(forms.Form):
    country = forms.ChoiceField(label=_("Country"), required=False)
    station = forms.ChoiceField(label=_("Station"), required=False)
    since = forms.DateField(label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("All my countries")), *statistics.country_choices(user)]
        self.fields["station"].choices = [("", _("All my stations")), *statistics.station_choices(user)]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("“Until” must be on or after “Since”."))
        return data

    def filters(self) -> statistics.Filters:
        data = self.cleaned_data
        return statistics.Filters(
            country=data.get("country") or None,
            station=data.get("station") or None,
            since=data.get("since"),
            until=data.get("until"),
        )
