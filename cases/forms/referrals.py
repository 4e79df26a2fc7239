"""The referral form (docs/cases.md "Referral"). It only parses the input: every rule (consent, one user or
one station, the expiry, who may) is checked by cases.services.referrals."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .consent import DateInput, KeyedForm


class ReferralForm(KeyedForm):
    to_user = forms.CharField(
        label=_("To a user (username)"),
        required=False,
        max_length=150,
        help_text=_("A named person of a partner organisation."),
    )
    to_station = forms.CharField(
        label=_("Or to a station (code)"), required=False, max_length=10, help_text=_("For example BRG.")
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    expires_on = forms.DateField(label=_("Access until"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = settings.CASES_REFERRAL_DAYS
        self.fields["expires_on"].help_text = ngettext(
            "%(days)d day when left empty.", "%(days)d days when left empty.", days
        ) % {"days": days}


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
