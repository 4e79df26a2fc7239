"""Forms of the case list (filters) and of opening a case by hand (docs/cases.md)."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from people.models import Gender

from ..models import CaseSource, CaseStatus
from ..selectors import CaseFilters
from ..services.opening import PersonData

MINE, ALL = "mine", "all"


class CaseFilterForm(forms.Form):
    """The list filters, shared by the page and the API (same names as the API's query parameters, but
    the page's interception filter takes the interception's number)."""

    status = forms.ChoiceField(
        required=False, label=_("Status"), choices=[("", _("Any status")), *CaseStatus.choices]
    )
    assigned_to = forms.CharField(required=False, max_length=150, label=_("Assigned to (username)"))
    # A code; the picker's choices are set after the list is read (`set_stations`), so they come from the
    # cache keyed by the user's memoised access profile (as interception's station picker).
    station = forms.CharField(required=False, max_length=10, label=_("Station"), widget=forms.Select)
    interception_number = forms.CharField(required=False, max_length=32, label=_("Interception number"))

    def set_stations(self, stations) -> None:
        self.fields["station"].widget.choices = [("", _("All my stations")), *stations]

    def filters(self, *, mine: bool = False) -> CaseFilters:
        d = self.cleaned_data
        return CaseFilters(
            status=d.get("status") or None,
            assigned_to=(d.get("assigned_to") or "").strip() or None,
            station=(d.get("station") or "").strip().upper() or None,
            interception_number=(d.get("interception_number") or "").strip() or None,
            mine=mine,
        )


class CaseApiFilterForm(forms.Form):
    """The API list's query parameters: `interception` (an id), `status`, `assigned_to` (a username),
    `station` (a code), `mine` (true/false)."""

    interception = forms.IntegerField(required=False, min_value=1)
    status = forms.ChoiceField(required=False, choices=[("", ""), *CaseStatus.choices])
    assigned_to = forms.CharField(required=False, max_length=150)
    station = forms.CharField(required=False, max_length=10)
    mine = forms.ChoiceField(required=False, choices=[("", ""), ("true", "true"), ("false", "false")])

    def clean(self):
        cleaned = super().clean()
        for name in ("interception", "status", "mine"):  # given, a parameter needs a value
            if name in self.data and self.data[name] == "":
                self.add_error(name, _("Give a value, or leave the parameter out."))
        return cleaned

    def filters(self) -> CaseFilters:
        d = self.cleaned_data
        return CaseFilters(
            interception=d.get("interception"),
            status=d.get("status") or None,
            assigned_to=(d.get("assigned_to") or "").strip() or None,
            station=(d.get("station") or "").strip().upper() or None,
            mine=d.get("mine") == "true",
        )


HAND_SOURCES = [(v, label) for v, label in CaseSource.choices if v != CaseSource.INTERCEPTION]


class CaseOpenForm(forms.Form):
    """Opening a case by hand: where, how she came, and who she is (a new person, or one already known:
    `identity`, e.g. from the identity page's link `?person=<id>`)."""

    station = forms.ChoiceField(label=_("Station"))
    source = forms.ChoiceField(label=_("How the case came"), choices=HAND_SOURCES)
    source_notes = forms.CharField(
        required=False, label=_("Notes on the source"), widget=forms.Textarea(attrs={"rows": 3})
    )
    full_name = forms.CharField(required=False, max_length=200, label=_("Name"))
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, initial=Gender.UNKNOWN)
    age = forms.IntegerField(required=False, min_value=0, max_value=120, label=_("Age"))
    phone = forms.CharField(required=False, max_length=40, label=_("Phone"))
    address = forms.CharField(required=False, max_length=300, label=_("Address"))
    nationality = forms.CharField(required=False, max_length=2, label=_("Nationality (country code)"))
    identity = forms.IntegerField(required=False, widget=forms.HiddenInput)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, stations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].choices = list(stations)
        if not self.is_bound and not self.initial.get("idempotency_key"):
            self.initial["idempotency_key"] = uuid.uuid4().hex

    def clean_nationality(self):
        return (self.cleaned_data.get("nationality") or "").strip().upper()

    def person(self) -> PersonData:
        d = self.cleaned_data
        return PersonData(
            full_name=d.get("full_name") or "",
            gender=d.get("gender") or Gender.UNKNOWN,
            age=d.get("age"),
            phone=d.get("phone") or "",
            address=d.get("address") or "",
            nationality=d.get("nationality") or "",
            identity=d.get("identity"),
        )
