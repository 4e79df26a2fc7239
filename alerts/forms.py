from django import forms

from .models import Rule

HELP = {
    Rule.HIGH_RISK: "A submitted interception at your station with a high red-flag total or certainty 4–5.",
    Rule.SUSPECT_PHONE: "A suspect's phone number was seen on an earlier interception you can see.",
    Rule.EXPORT_FINISHED: "An export you asked for is ready, or has failed.",
    Rule.SECURITY: "Repeated failed logins or denied accesses (administrators).",
}


class PreferencesForm(forms.Form):
    """One checkbox per rule: ticked = in-app and e-mail, unticked = in-app only."""

    def __init__(self, *args, initial_email: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        for rule in Rule:
            self.fields[rule.value] = forms.BooleanField(
                label=rule.label,
                required=False,
                initial=initial_email.get(rule.value, False),
                help_text=HELP[rule],
            )

    def email_choices(self) -> dict[str, bool]:
        return {rule.value: bool(self.cleaned_data.get(rule.value)) for rule in Rule}
