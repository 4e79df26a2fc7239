import re
from datetime import UTC, date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from .selectors import EventFilters, end_of, start_of

_OFFSET_AFTER_SPACE = re.compile(r"(:\d\d(?:\.\d+)?) (\d\d(?::?\d\d)?)$")


class DateOrDateTimeField(forms.CharField):
    """`YYYY-MM-DD` (a whole day) or an ISO 8601 date and time (without an offset: UTC)."""

    default_error_messages = {
        "invalid": _("Enter a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM, UTC)."),
    }

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
            # An unencoded "+" of a UTC offset arrives as a space: "2025-01-01T10:00 05:45".
            parsed = parse_datetime(_OFFSET_AFTER_SPACE.sub(r"\1+\2", value))
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class EventFilterForm(forms.Form):
    """The access-log filters, shared by the page and the API (same names as the query parameters)."""

    actor = forms.CharField(required=False, max_length=150, label=_("User"))
    action = forms.CharField(
        required=False,
        max_length=64,
        label=_("Action"),
        help_text=_('Exact, or a prefix ending in "." (e.g. "interception.")'),
    )
    object_type = forms.CharField(required=False, max_length=64, label=_("Record type"))
    object_id = forms.CharField(required=False, max_length=64, label=_("Record id"))
    number = forms.CharField(
        required=False,
        max_length=32,
        label=_("Record number"),
        help_text=_("An interception number, e.g. BHW-2025-00012: every event about that record"),
    )
    station = forms.CharField(required=False, max_length=10, label=_("Station"))
    since = DateOrDateTimeField(required=False, label=_("From"))
    until = DateOrDateTimeField(required=False, label=_("To"))

    def __init__(self, *args, stations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].widget = forms.Select(
            choices=[("", _("All my stations")), *((s.code, str(s)) for s in stations)]
        )
        for name in ("since", "until"):
            self.fields[name].widget.attrs["placeholder"] = "YYYY-MM-DD"

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and start_of(since) >= end_of(until):
            raise ValidationError(_("The start is after the end."))
        return data

    def filters(self) -> EventFilters:
        d = self.cleaned_data
        return EventFilters(
            actor=d.get("actor") or None,
            action=d.get("action") or None,
            object_type=d.get("object_type") or None,
            object_id=d.get("object_id") or None,
            station=d.get("station") or None,
            number=(d.get("number") or "").strip().upper() or None,
            since=d.get("since"),
            until=d.get("until"),
        )

    def error_dict(self) -> dict[str, list[str]]:
        """The errors as {field: [messages]} (for a ValidationError the API answers with 400)."""
        return {k: [e["message"] for e in v] for k, v in self.errors.get_json_data().items()}
