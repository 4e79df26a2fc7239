"""Forms of court cases, charges, verdicts and appeals (docs/prosecution.md "Court cases, charges,
verdicts, sentences, appeals"). The rules are checked by prosecution/services/charges.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import AppealOutcome, Verdict

DATE = {"type": "date"}


def _statute_choices(statutes):
    return [
        (s.code, f"{s.code} – {s.title} ({_('trafficking') if s.is_trafficking else _('lesser')})")
        for s in statutes
    ]


class CourtCaseForm(forms.Form):
    court = forms.TypedChoiceField(label=_("Court"), coerce=int)
    number = forms.CharField(label=_("Court case number"), max_length=60)
    filed_on = forms.DateField(label=_("Filed on"), required=False, widget=forms.DateInput(attrs=DATE))

    def __init__(self, *args, courts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["court"].choices = [(c.pk, c.name) for c in courts]


class ChargeForm(forms.Form):
    suspect = forms.TypedChoiceField(label=_("Suspect"), coerce=int)
    court_case = forms.TypedChoiceField(label=_("Court case"), coerce=int)
    charge = forms.ChoiceField(label=_("Charge"))

    def __init__(self, *args, suspects=(), court_cases=(), statutes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["suspect"].choices = suspects
        self.fields["court_case"].choices = [(c.pk, f"{c.court.name} {c.number}") for c in court_cases]
        self.fields["charge"].choices = _statute_choices(statutes)


class SentenceFields(forms.Form):
    years = forms.IntegerField(label=_("Imprisonment: years"), min_value=0, max_value=150, required=False)
    months = forms.IntegerField(label=_("months"), min_value=0, max_value=11, required=False)
    days = forms.IntegerField(label=_("days"), min_value=0, max_value=30, required=False)
    fine_amount = forms.DecimalField(
        label=_("Fine"), min_value=0, max_digits=14, decimal_places=2, required=False
    )
    fine_currency = forms.CharField(label=_("Currency"), max_length=3, required=False, initial="NPR")

    def sentence(self) -> dict:
        data = self.cleaned_data
        return {
            "years": data.get("years"),
            "months": data.get("months"),
            "days": data.get("days"),
            "fine_amount": data.get("fine_amount"),
            "fine_currency": (data.get("fine_currency") or "").upper()
            if data.get("fine_amount") is not None
            else "",
        }


class VerdictForm(SentenceFields):
    verdict = forms.ChoiceField(label=_("Status"), choices=Verdict.choices)
    verdict_on = forms.DateField(label=_("Verdict date"), required=False, widget=forms.DateInput(attrs=DATE))
    convicted_under = forms.ChoiceField(
        label=_("Convicted under"),
        required=False,
        help_text=_("On conviction: the statute actually convicted under, if not the charge itself."),
    )
    compensation_amount = forms.DecimalField(
        label=_("Compensation to the victim"), min_value=0, max_digits=14, decimal_places=2, required=False
    )
    compensation_currency = forms.CharField(label=_("Currency"), max_length=3, required=False, initial="NPR")
    version = forms.IntegerField(widget=forms.HiddenInput)

    field_order = [
        "verdict",
        "verdict_on",
        "convicted_under",
        "years",
        "months",
        "days",
        "fine_amount",
        "fine_currency",
        "compensation_amount",
        "compensation_currency",
        "version",
    ]

    def __init__(self, *args, statutes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["convicted_under"].choices = [("", _("The charge itself")), *_statute_choices(statutes)]


class AppealForm(SentenceFields):
    filed_on = forms.DateField(label=_("Filed on"), widget=forms.DateInput(attrs=DATE))
    court = forms.TypedChoiceField(label=_("Court"), coerce=int, required=False, empty_value=None)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=AppealOutcome.choices)
    decided_on = forms.DateField(label=_("Decided on"), required=False, widget=forms.DateInput(attrs=DATE))

    field_order = ["filed_on", "court", "outcome", "decided_on", "years", "months", "days", "fine_amount"]

    def __init__(self, *args, courts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["court"].choices = [("", "–"), *[(c.pk, c.name) for c in courts]]
