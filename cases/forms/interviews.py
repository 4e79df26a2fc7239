"""The victim interview form (docs/cases.md "Victim interview"). The form only reads the input: every rule
(codes, amounts, the route, the Palermo derivation, the alarm total) is the service's
(cases/services/interviews.py), whose errors come back on these fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from people.models import Gender

from ..models import (
    Exploitation,
    ExploitationStage,
    PalermoAct,
    PalermoMeans,
    RecruitmentMethod,
    RouteStopKind,
    Willingness,
)
from ..services.interviews import TRANSPORTS, InterviewData, RouteStopData

ROUTE_ROWS = 4  # blank rows of the route, no script needed (an edit shows one more than the stops it has)
ROUTE_FIELDS = ("kind", "place", "country", "arrived_on", "left_on", "transport")


def _blank(choices):
    return [("", "—"), *choices]


class CodesField(forms.MultipleChoiceField):
    """Checkboxes whose codes the service checks (an unknown code is its error, with its message)."""

    widget = forms.CheckboxSelectMultiple

    def valid_value(self, value) -> bool:
        return True


class InterviewForm(forms.Form):
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    conducted_on = forms.DateField(
        label=_("Date of the interview"), widget=forms.DateInput(attrs={"type": "date"})
    )
    # Recruitment
    recruiter_identity = forms.IntegerField(
        label=_("Recruiter already known (person number)"),
        required=False,
        help_text=_("The number on the person's page; leave empty and give a name for someone new."),
    )
    recruiter_name = forms.CharField(label=_("Recruiter's name"), required=False, max_length=200)
    recruiter_phone = forms.CharField(label=_("Recruiter's phone"), required=False, max_length=32)
    recruiter_gender = forms.ChoiceField(
        label=_("Recruiter's gender"), choices=Gender.choices, required=False, initial=Gender.UNKNOWN
    )
    recruitment_method = forms.ChoiceField(
        label=_("How she was recruited"), choices=_blank(RecruitmentMethod.choices), required=False
    )
    promised = forms.CharField(
        label=_("What was promised"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    money_paid = forms.CharField(
        label=_("Money she paid"), required=False, widget=forms.NumberInput(attrs={"step": "0.01"})
    )
    debt = forms.CharField(label=_("Debt"), required=False, widget=forms.NumberInput(attrs={"step": "0.01"}))
    currency = forms.CharField(label=_("Currency"), required=False, initial="NPR")
    # Travel
    travelled_with = forms.CharField(
        label=_("Who travelled with her"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Exploitation and the Palermo checklist
    exploitation_stage = forms.ChoiceField(
        label=_("Exploitation"), choices=_blank(ExploitationStage.choices), required=False
    )
    acts = CodesField(label=_("Act"), choices=PalermoAct.choices, required=False)
    means = CodesField(label=_("Means"), choices=PalermoMeans.choices, required=False)
    purposes = CodesField(label=_("Purpose (exploitation)"), choices=Exploitation.choices, required=False)
    alarms = CodesField(label=_("Home-situation alarms"), required=False)
    # Willingness and narrative
    willing_to_file_complaint = forms.ChoiceField(
        label=_("Willing to file a complaint"), choices=_blank(Willingness.choices), required=False
    )
    willing_to_testify = forms.ChoiceField(
        label=_("Willing to testify"), choices=_blank(Willingness.choices), required=False
    )
    narrative = forms.CharField(
        label=_("Her account"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )

    def __init__(self, *args, alarms=(), route_rows: int = ROUTE_ROWS, **kwargs):
        super().__init__(*args, **kwargs)
        self.alarm_catalogue = list(alarms)
        self.route_count = max(ROUTE_ROWS, route_rows)
        self.fields["alarms"].choices = [(a.code, a.text) for a in self.alarm_catalogue]
        for i in range(self.route_count):
            self.fields[f"route_{i}_kind"] = forms.ChoiceField(
                label=_("Kind"), choices=_blank(RouteStopKind.choices), required=False
            )
            self.fields[f"route_{i}_place"] = forms.CharField(
                label=_("Place"),
                required=False,
                max_length=200,
                help_text=_("Municipality, district or town"),
            )
            self.fields[f"route_{i}_country"] = forms.CharField(
                label=_("Country (code)"),
                required=False,
                max_length=2,
                widget=forms.TextInput(attrs={"size": 2}),
            )
            self.fields[f"route_{i}_arrived_on"] = forms.DateField(
                label=_("Arrived"), required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"route_{i}_left_on"] = forms.DateField(
                label=_("Left"), required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"route_{i}_transport"] = forms.ChoiceField(
                label=_("Transport"), choices=_blank(TRANSPORTS), required=False
            )

    def route_rows(self):
        return [[self[f"route_{i}_{name}"] for name in ROUTE_FIELDS] for i in range(self.route_count)]

    def alarm_items(self):
        """The catalogue's alarms with their points and whether each is ticked (for the template)."""
        ticked = set(self["alarms"].value() or [])
        return [{"alarm": a, "checked": a.code in ticked} for a in self.alarm_catalogue]

    def to_data(self) -> InterviewData:
        d = self.cleaned_data
        route = []
        for i in range(self.route_count):
            row = {name: d.get(f"route_{i}_{name}") for name in ROUTE_FIELDS}
            if not any(row.values()):
                continue  # a blank row
            route.append(
                RouteStopData(
                    kind=row["kind"] or "",
                    text=row["place"] or "",
                    country=row["country"] or "",
                    arrived_on=row["arrived_on"],
                    left_on=row["left_on"],
                    transport=row["transport"] or "",
                )
            )
        self._route_rows = [
            i for i in range(self.route_count) if any(d.get(f"route_{i}_{n}") for n in ROUTE_FIELDS)
        ]
        return InterviewData(
            conducted_on=d.get("conducted_on"),
            recruiter_identity=d.get("recruiter_identity"),
            recruiter_name=d.get("recruiter_name", ""),
            recruiter_phone=d.get("recruiter_phone", ""),
            recruiter_gender=d.get("recruiter_gender") or Gender.UNKNOWN,
            recruitment_method=d.get("recruitment_method", ""),
            promised=d.get("promised", ""),
            money_paid=d.get("money_paid") or None,
            debt=d.get("debt") or None,
            currency=d.get("currency", ""),
            route=route,
            travelled_with=d.get("travelled_with", ""),
            exploitation_stage=d.get("exploitation_stage", ""),
            acts=d.get("acts", []),
            means=d.get("means", []),
            purposes=d.get("purposes", []),
            alarms=d.get("alarms", []),
            willing_to_file_complaint=d.get("willing_to_file_complaint", ""),
            willing_to_testify=d.get("willing_to_testify", ""),
            narrative=d.get("narrative", ""),
        )

    def add_service_errors(self, error) -> None:
        """Put the service's ValidationError on the fields it names (`route.<i>.<field>` on that row)."""
        rows = getattr(self, "_route_rows", [])
        for key, messages in error.message_dict.items():
            name = key
            if key.startswith("route."):
                _route, index, part = (key.split(".") + ["", ""])[:3]
                row = rows[int(index)] if index.isdigit() and int(index) < len(rows) else 0
                name = f"route_{row}_{'place' if part == 'text' else part}"
            if name not in self.fields or self.fields[name].widget.is_hidden:
                name = None  # shown above the form
            for message in messages:
                self.add_error(name, message)


def initial_from(interview, *, place_label) -> dict:
    """The edit form's initial values from a stored interview (`place_label`: people.places.label)."""
    recruiter = interview.recruiter
    initial = {
        "version": interview.version,
        "conducted_on": interview.conducted_on,
        "recruiter_name": recruiter.full_name if recruiter else "",
        "recruiter_phone": recruiter.phone if recruiter else "",
        "recruiter_gender": recruiter.gender if recruiter else Gender.UNKNOWN,
        "recruitment_method": interview.recruitment_method,
        "promised": interview.promised,
        "money_paid": interview.money_paid,
        "debt": interview.debt,
        "currency": interview.currency,
        "travelled_with": interview.travelled_with,
        "exploitation_stage": interview.exploitation_stage,
        "acts": list(interview.acts),
        "means": list(interview.means),
        "purposes": list(interview.purposes),
        "alarms": [t.alarm.code for t in interview.alarm_ticks.all()],
        "willing_to_file_complaint": interview.willing_to_file_complaint,
        "willing_to_testify": interview.willing_to_testify,
        "narrative": interview.narrative,
    }
    for i, stop in enumerate(interview.route.all()):
        initial.update(
            {
                f"route_{i}_kind": stop.kind,
                f"route_{i}_place": stop.place_text or (place_label(stop.place) if stop.place_id else ""),
                f"route_{i}_country": stop.country,
                f"route_{i}_arrived_on": stop.arrived_on,
                f"route_{i}_left_on": stop.left_on,
                f"route_{i}_transport": stop.transport,
            }
        )
    return initial
