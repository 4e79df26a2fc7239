from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class LanguageForm(forms.Form):
    """The user's language; parsing only (accounts.services.user_set_language validates and saves)."""

    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("As my browser asks"))] + list(settings.LANGUAGES),
    )
