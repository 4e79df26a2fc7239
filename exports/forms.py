from django import forms
from django.utils.translation import gettext_lazy as _

from interception.forms import InterceptionFilterForm

from .models import ExportFormat, ExportKind


class ExportForm(forms.Form):
    kind = forms.ChoiceField(choices=ExportKind.choices, initial=ExportKind.INTERCEPTIONS, label=_("What"))
    format = forms.ChoiceField(choices=ExportFormat.choices, initial=ExportFormat.CSV, label=_("Format"))
    deidentified = forms.BooleanField(
        required=False, label=_("De-identified (no names or contacts; pseudonyms; months; age bands)")
    )

    def filters_from(self, data) -> dict:
        """The list filters carried along with the request (the same names as on the list page)."""
        return {name: data.get(name) for name in InterceptionFilterForm.base_fields if data.get(name)}
