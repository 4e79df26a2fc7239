from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Rule

HELP = {
    Rule.HIGH_RISK: _(
        "A submitted interception at your station with a high red-flag total or certainty 4–5."
    ),
    Rule.SUSPECT_SEEN_AGAIN: _(
        "A suspect of a new interception is the same person as a suspect on an earlier interception you "
        "can see: confirmed by a reviewer, or a probable match."
    ),
    Rule.EXPORT_FINISHED: _("An export you asked for is ready, or has failed."),
    Rule.SECURITY: _("Repeated failed logins or denied accesses (administrators)."),
    # case files (docs/alerts.md)
    Rule.CASE_UNASSIGNED: _("A new case at your station has no case manager yet (station managers)."),
    Rule.CASE_ASSIGNED: _("A case was assigned to you."),
    Rule.HOME_ALARM: _(
        "An interview's home-situation alarms total at or above the threshold, in a case you manage or at "
        "your station."
    ),
    Rule.FOLLOW_UP_DUE: _("A follow-up of a case you manage is due or overdue (once a day until done)."),
    Rule.CLOSURE_REQUESTED: _("A case at your station waits for your approval to close (station managers)."),
    # legal cases (docs/alerts.md)
    Rule.HEARING_DUE: _("A legal case at your station has a hearing in 3 days, or today (legal officers)."),
    Rule.REOFFENDING: _(
        "Someone convicted in an earlier legal case is a suspect in a new one at your station "
        "(legal officers)."
    ),
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


class NotificationFilterForm(forms.Form):
    """The list's filter: one rule, or all (an unknown rule is an error, and the list shows all)."""

    rule = forms.ChoiceField(label=_("Kind of alert"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [("", _("All kinds")), *Rule.choices]

    def chosen_rule(self) -> str | None:
        return (self.cleaned_data.get("rule") or None) if self.is_valid() else None
