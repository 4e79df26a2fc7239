"""Forms of the legal case: the list filters, opening one, its complaint, its stage. They only parse; the
rules are in prosecution/services/cases.py."""

import re
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import NotFiledReason, Stage
from ..selectors import LegalCaseFilters
from ..services.cases import REOPEN


def numbers(text: str) -> list[str]:
    """Record numbers typed in a box, separated by commas, spaces or new lines."""
    return [n.upper() for n in re.split(r"[\s,;]+", text or "") if n]


class LegalCaseFilterForm(forms.Form):
    stage = forms.ChoiceField(
        required=False, label=_("Stage"), choices=[("", _("Any stage")), *Stage.choices]
    )
    station = forms.CharField(required=False, max_length=10, label=_("Station"), widget=forms.Select)

    def set_stations(self, stations) -> None:
        self.fields["station"].widget.choices = [("", _("All my stations")), *stations]

    def filters(self) -> LegalCaseFilters:
        d = self.cleaned_data
        return LegalCaseFilters(
            stage=d.get("stage") or None, station=(d.get("station") or "").strip().upper() or None
        )


class ComplaintFields(forms.Form):
    complaint_number = forms.CharField(required=False, max_length=60, label=_("Complaint / FIR number"))
    complaint_filed_on = forms.DateField(
        required=False, label=_("Complaint filed on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    police_station = forms.CharField(required=False, max_length=200, label=_("Police station"))
    district = forms.CharField(
        required=False,
        max_length=120,
        label=_("District"),
        help_text=_("A district of Nepal by name, or any place as text."),
    )
    summary = forms.CharField(
        required=False, label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10000
    )


class LegalCaseOpenForm(ComplaintFields):
    """Opening a legal case: where, from which interceptions and case files (by number), the complaint."""

    station = forms.ChoiceField(label=_("Station"))
    interceptions = forms.CharField(
        required=False,
        label=_("Interceptions"),
        help_text=_("Their numbers, separated by commas (e.g. BHW-2026-00012)."),
    )
    victim_cases = forms.CharField(
        required=False,
        label=_("Victims' case files"),
        help_text=_(
            "Their numbers, separated by commas. The case files of the interceptions are linked too."
        ),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    field_order = ["station", "interceptions", "victim_cases"]

    def __init__(self, *args, stations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].choices = list(stations)
        if not self.is_bound and not self.initial.get("idempotency_key"):
            self.initial["idempotency_key"] = uuid.uuid4().hex


class LegalCaseEditForm(ComplaintFields):
    version = forms.IntegerField(widget=forms.HiddenInput)


def stage_choices(next_stages, back_label: str = "") -> list[tuple[str, str]]:
    labels = dict(Stage.choices)
    return [
        (s, _("Reopen (back to %(stage)s)") % {"stage": back_label} if s == REOPEN else labels[s])
        for s in next_stages
    ]


class StageForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("Move to"), choices=[(s, label) for s, label in Stage.choices] + [(REOPEN, _("Reopen"))]
    )
    reason = forms.CharField(
        required=False,
        max_length=1000,
        label=_("Reason"),
        help_text=_("Not filed: choose why. Reopening: say why (at most 100 characters)."),
    )
    not_filed_reason = forms.ChoiceField(
        required=False, label=_("Why not filed"), choices=[("", "—"), *NotFiledReason.choices]
    )
    notes = forms.CharField(
        required=False, label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if choices is not None:
            self.fields["stage"].choices = list(choices)

    def reason_for_service(self) -> str:
        d = self.cleaned_data
        return d.get("not_filed_reason") or "" if d.get("stage") == Stage.NOT_FILED else d.get("reason") or ""
