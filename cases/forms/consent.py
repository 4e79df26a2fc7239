"""Forms of consent decisions and overrides (docs/cases.md "Consent"). They only parse the input: every
rule (dates, withdrawals, the signed form's type and size, who may) is checked by cases.services.consent."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import ConsentDecision, ConsentMethod, ConsentScope


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


CHOOSE = _("– choose –")


def _blank(choices):
    return [("", CHOOSE), *choices]


class KeyedForm(forms.Form):
    # The key that makes a re-submitted form (bad connection) record one decision, not two.
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and not self.initial.get("idempotency_key"):
            self.initial["idempotency_key"] = uuid.uuid4().hex


class ConsentForm(KeyedForm):
    scope = forms.ChoiceField(label=_("Consent to"), choices=_blank(ConsentScope.choices))
    decision = forms.ChoiceField(label=_("Her decision"), choices=_blank(ConsentDecision.choices))
    method = forms.ChoiceField(label=_("How"), choices=_blank(ConsentMethod.choices))
    decided_on = forms.DateField(
        label=_("Date"), required=False, widget=DateInput(), help_text=_("Today when left empty.")
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    signed_form = forms.FileField(
        label=_("Signed form (PDF, JPEG or PNG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )


class OverrideForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("Consent overridden"),
        choices=ConsentScope.choices,
        initial=ConsentScope.INFORMATION_SHARING,
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why acting without her consent protects her. Kept in the record and its history."),
    )
