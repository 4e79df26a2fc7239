"""Forms of suspects and arrests (docs/prosecution.md "Suspects and arrests"). The rules are checked by
prosecution/services/suspects.py; these only shape the input."""

from django import forms
from django.utils.translation import gettext_lazy as _

from people.models import Gender

from ..models import ArrestStatus, HierarchyRole

SOURCE_LABELS = {"interception": _("suspect on an interception"), "case": _("named in a victim interview")}


class SuspectForm(forms.Form):
    person = forms.TypedChoiceField(
        label=_("Pick a person already recorded"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_(
            "The suspects of this case's interceptions and the recruiters named in its victims' interviews."
        ),
    )
    identity = forms.IntegerField(
        label=_("Or a known person's number (P-…)"), required=False, min_value=1, widget=forms.TextInput
    )
    name = forms.CharField(label=_("Or a new person: name"), max_length=200, required=False)
    gender = forms.ChoiceField(
        label=_("Gender"), choices=Gender.choices, initial=Gender.UNKNOWN, required=False
    )
    age = forms.IntegerField(label=_("Age"), min_value=0, max_value=120, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    role = forms.ChoiceField(
        label=_("Role in the hierarchy"), choices=[("", "–"), *HierarchyRole.choices], required=False
    )
    arrest_status = forms.ChoiceField(
        label=_("Arrest"), choices=ArrestStatus.choices, initial=ArrestStatus.NOT_ARRESTED
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "–")] + [
            (p.pk, f"{p.full_name} ({SOURCE_LABELS.get(p.source, p.source)})") for p in candidates
        ]

    def clean_identity(self):
        return self.cleaned_data.get("identity")


class ArrestForm(forms.Form):
    arrest_status = forms.ChoiceField(label=_("Arrest"), choices=ArrestStatus.choices)
    arrested_on = forms.DateField(
        label=_("Arrested on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    arrest_source = forms.CharField(label=_("How it is known"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class VerifyArrestForm(forms.Form):
    evidence = forms.FileField(
        label=_("Evidence of the arrest"),
        help_text=_("A PDF, JPEG or PNG file: the police record, a court order, a photo of the document."),
    )
