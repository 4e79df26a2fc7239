"""Forms of services and follow-ups (docs/cases.md "Risk, services and follow-ups"). They only parse the
input: every rule (dates, who may, closed cases) is checked by cases.services.care."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import (
    FollowUpMethod,
    InterceptionOutcome,
    ProviderKind,
    Risk,
    ServiceKind,
    ServiceStatus,
    Situation,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


CHOOSE = _("– choose –")


def _blank(choices, label=CHOOSE):
    return [("", label), *choices]


class ServiceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Service"), choices=_blank(ServiceKind.choices))
    provider_kind = forms.ChoiceField(
        label=_("Provided by"), choices=ProviderKind.choices, initial=ProviderKind.OWN
    )
    provider = forms.CharField(
        label=_("Provider"),
        max_length=200,
        help_text=_("Our office, the partner organisation, the clinic..."),
    )
    started_on = forms.DateField(label=_("Started on"), widget=DateInput())
    ended_on = forms.DateField(label=_("Ended on"), required=False, widget=DateInput())
    status = forms.ChoiceField(
        label=_("Status"), choices=ServiceStatus.choices, initial=ServiceStatus.ONGOING
    )
    outcome = forms.CharField(label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # A new service: the key that makes a re-submitted form (bad connection) create one service, not two.
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100)
    # An edit: the version edited, so a colleague's save in between is not overwritten.
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, edit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if edit:
            del self.fields["idempotency_key"]
            self.fields["version"].required = True
        else:
            del self.fields["version"]
            self.fields["idempotency_key"].initial = uuid.uuid4().hex

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "provider_kind": data["provider_kind"],
            "provider": data["provider"],
            "started_on": data["started_on"],
            "ended_on": data.get("ended_on"),
            "status": data["status"],
            "outcome": data.get("outcome", ""),
        }


class FollowUpForm(forms.Form):
    due_on = forms.DateField(label=_("Due on"), widget=DateInput())
    method = forms.ChoiceField(label=_("How"), choices=FollowUpMethod.choices, initial=FollowUpMethod.PHONE)
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = uuid.uuid4().hex


class FollowUpDoneForm(forms.Form):
    done_on = forms.DateField(label=_("Done on"), widget=DateInput())
    situation = forms.ChoiceField(label=_("Her situation"), choices=_blank(Situation.choices))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    risk = forms.ChoiceField(
        label=_("Risk, re-assessed"),
        required=False,
        choices=_blank(Risk.choices, _("– unchanged –")),
        help_text=_("Leave it unchanged to keep the case's current risk."),
    )
    risk_reasons = forms.CharField(
        label=_("Reasons for the risk"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    interception_outcome = forms.ChoiceField(
        label=_("What became of the interception"),
        required=False,
        choices=_blank(InterceptionOutcome.choices, _("– not classified now –")),
        help_text=_("For this person, as far as you know now. It becomes the case's classification."),
    )
    next_due_on = forms.DateField(label=_("Next follow-up due on"), required=False, widget=DateInput())
    next_method = forms.ChoiceField(
        label=_("Next follow-up by"), choices=FollowUpMethod.choices, required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, from_interception: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not from_interception:
            del self.fields["interception_outcome"]

    def record_values(self) -> dict:
        data = self.cleaned_data
        return {
            "done_on": data["done_on"],
            "situation": data["situation"],
            "notes": data.get("notes", ""),
            "risk": data.get("risk", ""),
            "risk_reasons": data.get("risk_reasons", ""),
            "interception_outcome": data.get("interception_outcome", ""),
            "next_due_on": data.get("next_due_on"),
            "next_method": data.get("next_method") or None,
            "expected_version": data["version"],
        }
