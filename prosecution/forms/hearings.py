"""Forms of hearings and comments (docs/prosecution.md "Hearings, reminders and the timeline"). They only
parse the input: every rule is checked by prosecution.services.hearings."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .victims import DateInput

NONE = _("– none –")


class HearingForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=DateInput())
    court_case = forms.TypedChoiceField(label=_("Court case"), required=False, coerce=int, empty_value=None)
    court = forms.TypedChoiceField(
        label=_("Court"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Leave it empty to use the court of the court case."),
    )
    purpose = forms.CharField(
        label=_("Purpose"), max_length=200, help_text=_("Bail, evidence, witness statement, verdict...")
    )
    outcome = forms.CharField(label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    next_on = forms.DateField(
        label=_("Next date"),
        required=False,
        widget=DateInput(),
        help_text=_("The next hearing on this date is added to the list (and reminded)."),
    )
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, court_cases=(), courts=(), edit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["court_case"].choices = [("", NONE), *court_cases]
        self.fields["court"].choices = [("", NONE), *courts]
        if edit:
            del self.fields["idempotency_key"]
            self.fields["version"].required = True
        else:
            del self.fields["version"]
            self.fields["idempotency_key"].initial = uuid.uuid4().hex

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "held_on": data["held_on"],
            "court_case": data.get("court_case"),
            "court": data.get("court"),
            "purpose": data["purpose"],
            "outcome": data.get("outcome") or "",
            "next_on": data.get("next_on"),
        }


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = uuid.uuid4().hex
