from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases.models import CaseStatus
from interception.forms import InterceptionFilterForm, StationSelect
from prosecution.models import Stage

from .models import ExportFormat, ExportKind
from .selectors import CaseExportFilters, LegalCaseExportFilters


class CaseExportFilterForm(forms.Form):
    """The filters of a `cases` export (page and API, the same names): station, opened since / until,
    status."""

    station = forms.CharField(required=False, max_length=10, label=_("Station"))
    date_from = forms.DateField(
        required=False, label=_("Opened since"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=_("Opened until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(
        required=False, label=_("Status"), choices=[("", _("Any status")), *CaseStatus.choices]
    )

    def __init__(self, *args, stations=(), **kwargs):
        """`stations`: the station picker's choices, as (code, name) pairs (or a callable returning them)."""
        super().__init__(*args, **kwargs)
        self.fields["station"].widget = StationSelect(choices=stations, empty_label=_("All my stations"))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(_("The start date is after the end date."))
        return data

    def filters(self) -> CaseExportFilters:
        d = self.cleaned_data
        return CaseExportFilters(
            station=d.get("station") or None,
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
            status=d.get("status") or None,
        )


class LegalCaseExportFilterForm(forms.Form):
    """The filters of a `legal_cases` export (page and API, the same names): station, legal case opened
    since / until, stage."""

    station = forms.CharField(required=False, max_length=10, label=_("Station"))
    date_from = forms.DateField(
        required=False, label=_("Opened since"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=_("Opened until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    stage = forms.ChoiceField(
        required=False, label=_("Stage"), choices=[("", _("Any stage")), *Stage.choices]
    )

    def __init__(self, *args, stations=(), **kwargs):
        """`stations`: the station picker's choices, as (code, name) pairs (or a callable returning them)."""
        super().__init__(*args, **kwargs)
        self.fields["station"].widget = StationSelect(choices=stations, empty_label=_("All my stations"))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(_("The start date is after the end date."))
        return data

    def filters(self) -> LegalCaseExportFilters:
        d = self.cleaned_data
        return LegalCaseExportFilters(
            station=d.get("station") or None,
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
            stage=d.get("stage") or None,
        )


FILTER_FORMS = {ExportKind.CASES: CaseExportFilterForm, ExportKind.LEGAL_CASES: LegalCaseExportFilterForm}


def filter_form_class(kind: str) -> type[forms.Form]:
    """The form that validates the filters of an export of `kind`."""
    return FILTER_FORMS.get(kind, InterceptionFilterForm)


class ExportForm(forms.Form):
    kind = forms.ChoiceField(choices=ExportKind.choices, initial=ExportKind.INTERCEPTIONS, label=_("What"))
    format = forms.ChoiceField(choices=ExportFormat.choices, initial=ExportFormat.CSV, label=_("Format"))
    deidentified = forms.BooleanField(
        required=False, label=_("De-identified (no names or contacts; pseudonyms; months; age bands)")
    )

    def filters_from(self, data) -> dict:
        """The list filters carried along with the request (the same names as on the list page, or as on
        the case-file and legal-case export forms for the `cases` and `legal_cases` kinds)."""
        kind = (self.cleaned_data or {}).get("kind", ExportKind.INTERCEPTIONS)
        return {name: data.get(name) for name in filter_form_class(kind).base_fields if data.get(name)}
