"""Forms of the trafficker profile and its prior records (docs/prosecution.md "Trafficker profile and
recidivism"). They only parse the input: every rule is checked by prosecution.services.profiles."""

import uuid

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from ..models import HierarchyRole, MoneyUse, Pathway, Relationship

CHOOSE = _("– choose –")
UNKNOWN = _("Not known")
YES_NO = [("", UNKNOWN), ("yes", _("Yes")), ("no", _("No"))]
_PLACE_SUGGEST = {"data-place-suggest": reverse_lazy("api:places"), "autocomplete": "off"}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _yes_no(value: str):
    return {"yes": True, "no": False}.get(value)


def yes_no_initial(value) -> str:
    return {True: "yes", False: "no"}.get(value, "")


class ProfileForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Demographics (age, gender and nationality come from the person's records)
    ethnicity = forms.CharField(label=_("Ethnicity or caste"), required=False, max_length=100)
    education = forms.CharField(label=_("Education"), required=False, max_length=100)
    occupation = forms.CharField(label=_("Occupation"), required=False, max_length=100)
    marital_status = forms.CharField(label=_("Marital status"), required=False, max_length=40)
    home_district = forms.CharField(
        label=_("Home district"), required=False, max_length=200, widget=forms.TextInput(attrs=_PLACE_SUGGEST)
    )
    # Socioeconomic
    income_level = forms.CharField(label=_("Income level"), required=False, max_length=40)
    owns_land_or_house = forms.ChoiceField(label=_("Owns land or a house"), choices=YES_NO, required=False)
    debts = forms.CharField(label=_("Debts"), required=False, max_length=200)
    # Pathway into trafficking
    pathway = forms.ChoiceField(
        label=_("Pathway into trafficking"), choices=[("", CHOOSE), *Pathway.choices], required=False
    )
    pathway_narrative = forms.CharField(
        label=_("How they came into trafficking"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    # Role in the hierarchy
    roles = forms.MultipleChoiceField(
        label=_("Roles in the hierarchy"),
        choices=HierarchyRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    organised_network = forms.ChoiceField(
        label=_("Part of an organised network (no: freelance)"), choices=YES_NO, required=False
    )
    # Use of money
    amount_per_victim = forms.DecimalField(
        label=_("Amount received per victim"), required=False, max_digits=14, decimal_places=2
    )
    amount_currency = forms.CharField(label=_("Currency"), required=False, max_length=3, initial="NPR")
    money_uses = forms.MultipleChoiceField(
        label=_("What the money paid for"),
        choices=MoneyUse.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    relationship_to_victims = forms.ChoiceField(
        label=_("Relationship to the victims"), choices=[("", CHOOSE), *Relationship.choices], required=False
    )

    def data_for_service(self) -> dict:
        """The cleaned values in the service's shape (every field: the form edits the whole profile)."""
        d = dict(self.cleaned_data)
        d.pop("version", None)
        for name in ("owns_land_or_house", "organised_network"):
            d[name] = _yes_no(d[name])
        return d


class PriorRecordForm(forms.Form):
    # The key that makes a re-submitted form (bad connection) record one prior record, not two.
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", CHOOSE), ("arrest", _("Arrest")), ("conviction", _("Conviction"))]
    )
    occurred_on = forms.DateField(label=_("Date"), required=False, widget=DateInput())
    description = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}))
    sentence = forms.CharField(label=_("Sentence"), required=False, max_length=200)
    source = forms.CharField(
        label=_("Source"),
        max_length=200,
        help_text=_("Where this comes from: a court record, the police, a newspaper..."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and not self.initial.get("idempotency_key"):
            self.initial["idempotency_key"] = uuid.uuid4().hex
