"""Forms of the case page's workflow panel: risk, closure request, refusal, reopening. They only parse;
the rules are in cases/services/workflow.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import ClosureReason, Risk


class RiskForm(forms.Form):
    risk = forms.ChoiceField(label=_("Risk"), choices=Risk.choices)
    risk_reasons = forms.CharField(
        label=_("Why"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ClosureRequestForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why close it"), choices=[("", "—"), *ClosureReason.choices], required=True
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ClosureDecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why reopen it"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
