"""Forms of the victims of a legal case (docs/prosecution.md "Victims in the legal case"). They only parse
the input: every rule is checked by prosecution.services.victims."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import ContactStatus

CHOOSE = _("– choose –")
TESTIFY_CHOICES = [
    ("", _("– not known –")),
    ("yes", _("Yes")),
    ("no", _("No")),
    ("undecided", _("Not decided")),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class VictimAddForm(forms.Form):
    """Link a case file: one of the incident's (a choice), or any case file the user may see, by number."""

    victim_case = forms.ChoiceField(label=_("Case file from the incident"), required=False)
    case_number = forms.CharField(
        label=_("Or a case file number"),
        required=False,
        max_length=32,
        help_text=_("For example BHW-C-2026-00001."),
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["victim_case"].choices = [("", CHOOSE), *choices]
        if not choices:
            del self.fields["victim_case"]

    def clean(self):
        data = super().clean()
        if not data.get("victim_case") and not (data.get("case_number") or "").strip():
            raise forms.ValidationError(_("Choose a case file, or give its number."))
        return data


class VictimForm(forms.Form):
    contact_status = forms.ChoiceField(
        label=_("Contact status"), required=False, choices=[("", _("– not known –")), *ContactStatus.choices]
    )
    last_contacted_on = forms.DateField(label=_("Last contacted"), required=False, widget=DateInput())
    last_attempted_on = forms.DateField(label=_("Last attempted"), required=False, widget=DateInput())
    willing_to_testify = forms.ChoiceField(
        label=_("Willing to testify"), required=False, choices=TESTIFY_CHOICES
    )
    protection_measures = forms.CharField(
        label=_("Protection measures"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Sensitive: only those who see names read it."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "contact_status": data.get("contact_status") or "",
            "last_contacted_on": data.get("last_contacted_on"),
            "last_attempted_on": data.get("last_attempted_on"),
            "willing_to_testify": data.get("willing_to_testify") or "",
            "protection_measures": data.get("protection_measures") or "",
        }
