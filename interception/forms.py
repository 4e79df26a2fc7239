import uuid
from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from people.models import Gender

from .models import IntercepteeRole, Outcome, RedFlag, Status
from .selectors import InterceptionFilters
from .services import IntercepteeData, InterceptionData


class InterceptionFilterForm(forms.Form):
    """The list filters, shared by the page and the API (same names as the query parameters)."""

    station = forms.CharField(required=False, max_length=10)
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Status.choices])
    min_score = forms.IntegerField(required=False, min_value=0, label="Minimum score")
    number = forms.CharField(required=False, max_length=32, label="Number")

    def __init__(self, *args, stations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].widget = forms.Select(
            choices=[("", "All my stations"), *((s.code, str(s)) for s in stations)]
        )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("The start date is after the end date.")
        return data

    def filters(self) -> InterceptionFilters:
        d = self.cleaned_data
        return InterceptionFilters(
            station=d.get("station") or None,
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
            status=d.get("status") or None,
            min_score=d.get("min_score"),
            number=d.get("number") or None,
        )


class RedFlagChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.text


class InterceptionForm(forms.Form):
    station = forms.ModelChoiceField(queryset=None, empty_label=None)
    occurred_at = forms.DateTimeField(
        label="When (station's local time)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    place = forms.CharField(max_length=200, label="Where")
    red_flags = RedFlagChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, to_field_name="code"
    )
    # The rule (1 to 5) is the service's: the form only offers the choices and reads a whole number.
    certainty = forms.IntegerField(
        label="How sure are you?",
        widget=forms.Select(choices=[("", "—"), *((i, str(i)) for i in range(1, 6))]),
        required=False,
    )
    reason = forms.CharField(
        label="Why did you intercept?", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    outcome = forms.ChoiceField(label="What happened next", choices=Outcome.choices, required=False)
    outcome_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Notes on what happened next"
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, stations, red_flags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations
        self.fields["red_flags"].queryset = red_flags
        if not self.is_bound and not self.initial.get("idempotency_key"):
            self.initial["idempotency_key"] = uuid.uuid4().hex

    def clean_occurred_at(self):
        value: datetime = self.cleaned_data["occurred_at"]
        station = self.cleaned_data.get("station") or self.initial.get("station")
        if station is not None and timezone.is_aware(value):
            # The browser sends the wall-clock time at the station; read it in the station's zone.
            value = timezone.make_aware(timezone.make_naive(value), station.tzinfo)
        return value

    def service_data(self, people: list[IntercepteeData]) -> InterceptionData:
        d = self.cleaned_data
        return InterceptionData(
            occurred_at=d["occurred_at"],
            place=d["place"],
            certainty=d.get("certainty"),
            reason=d.get("reason", ""),
            outcome=d.get("outcome", ""),
            outcome_notes=d.get("outcome_notes", ""),
            red_flag_codes=[f.code for f in d.get("red_flags", [])],
            interceptees=people,
        )

    def grouped_flags(self):
        """The red-flag checkboxes grouped as on the paper form, each with its points."""
        selected = (
            set(self.data.getlist("red_flags")) if self.is_bound else set(self.initial.get("red_flags", []))
        )
        groups: dict[str, dict] = {}
        flag: RedFlag
        for flag in self.fields["red_flags"].queryset:
            group = groups.setdefault(flag.group, {"label": flag.get_group_display(), "flags": []})
            group["flags"].append({"flag": flag, "checked": flag.code in selected})
        return list(groups.values())


class IntercepteeForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    role = forms.ChoiceField(choices=IntercepteeRole.choices)
    full_name = forms.CharField(max_length=200, label="Name")
    gender = forms.ChoiceField(choices=Gender.choices, initial=Gender.UNKNOWN)
    age = forms.IntegerField(required=False, help_text="Years (0 to 120)")  # checked by the service
    phone = forms.CharField(max_length=32, required=False, widget=forms.TextInput(attrs={"type": "tel"}))
    address = forms.CharField(max_length=300, required=False)
    nationality = forms.CharField(max_length=2, required=False, help_text="Two letters, e.g. NP")
    consent_to_use_information = forms.BooleanField(required=False, label="Consents to use of information")
    consent_to_use_photo = forms.BooleanField(required=False, label="Consents to use of photo")

    def to_data(self) -> IntercepteeData:
        d = self.cleaned_data
        return IntercepteeData(
            id=d.get("id"),
            full_name=d["full_name"],
            role=d["role"],
            gender=d.get("gender") or Gender.UNKNOWN,
            age=d.get("age"),
            phone=d.get("phone", ""),
            address=d.get("address", ""),
            nationality=d.get("nationality", ""),
            consent_to_use_information=d.get("consent_to_use_information", False),
            consent_to_use_photo=d.get("consent_to_use_photo", False),
        )


IntercepteeFormSet = forms.formset_factory(IntercepteeForm, extra=0, can_delete=True, max_num=50)


def formset_people(formset) -> list[IntercepteeData]:
    return [
        f.to_data()
        for f in formset.forms
        if (f.cleaned_data.get("id") or f.has_changed())
        and not f.cleaned_data.get("DELETE")
        and f.cleaned_data.get("full_name")
    ]


class AttachmentForm(forms.Form):
    file = forms.FileField(label="Photo or document (JPEG, PNG or PDF)")


class ShareForm(forms.Form):
    """Share one record with one user, or take the share back (level "none"). Records are shared with
    users only, not groups: each share names the person who may read it."""

    name = forms.CharField(max_length=150, label="Username")
    level = forms.ChoiceField(
        choices=[
            ("view", "May see it (names masked)"),
            ("view_sensitive", "May see it with names and contacts"),
            ("none", "Remove access"),
        ],
        initial="view_sensitive",
    )

    def clean(self):
        from .services import share_target

        data = super().clean()
        name = data.get("name", "").strip()
        if name:
            try:
                data["user"] = share_target(user=name)["user"]
            except ValidationError as exc:
                raise ValidationError({"name": exc.messages}) from None
        return data
