"""The assign form of the case page (docs/cases.md "Assignment and My cases")."""

from django import forms
from django.utils.translation import gettext_lazy as _


class AssignForm(forms.Form):
    """`assigned_to` is a username, chosen among the station's active case managers (`choices`); the
    service checks it again."""

    assigned_to = forms.ChoiceField(label=_("Case manager"))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [("", _("Choose…")), *choices]
