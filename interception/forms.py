import html
import uuid
from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from people import countries
from people.models import Gender

from .models import (
    DocumentKind,
    DocumentWhose,
    Genuine,
    HowStarted,
    IntercepteeRole,
    Outcome,
    RedFlag,
    Relationship,
    Status,
    SuspectRole,
    Transport,
    TravelPurpose,
)
from .selectors import NUMBER_MIN_LENGTH, InterceptionFilters, monitor_candidates_at
from .services import CompanionData, DocumentData, IntercepteeData, InterceptionData, RouteStopData

# Rows of the whole record's small tables on the form (more appear when a saved record has more).
ROUTE_ROWS = 3
COMPANION_ROWS = 3
DOCUMENT_ROWS = 3


def _blank(choices):
    return [("", "–"), *choices]


_PLACE_SUGGEST = {"data-place-suggest": reverse_lazy("api:places"), "autocomplete": "off"}


def _country_choices():
    return [("", "–"), *countries.choices()]


class StationSelect(forms.Select):
    """The list filter's station picker: a plain `<select>` (works without JavaScript, labelled like any
    field) whose options are written directly, "CODE – Name", not through a template per option: 500
    stations take ~1 ms instead of 19–75 ms (docs/interceptions.md, "Station picker")."""

    def __init__(self, *, choices=(), empty_label="", attrs=None):
        super().__init__(attrs=attrs)
        self.stations = choices  # (code, name) pairs, or a callable returning them
        self.empty_label = empty_label

    def station_pairs(self):
        return self.stations() if callable(self.stations) else self.stations

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, {"name": name, **(attrs or {})})
        chosen = str(value or "").upper()
        e = html.escape  # what django.utils.html.escape does, without a SafeString per call
        options = [f'<option value=""{" selected" if not chosen else ""}>{e(str(self.empty_label))}</option>']
        for code, station_name in self.station_pairs():
            selected = " selected" if code.upper() == chosen else ""
            options.append(f'<option value="{e(code)}"{selected}>{e(code)} – {e(station_name)}</option>')
        return mark_safe(f"<select{flatatt(attrs)}>{''.join(options)}</select>")  # noqa: S308 - escaped above


class InterceptionFilterForm(forms.Form):
    """The list filters, shared by the page and the API (same names as the query parameters)."""

    station = forms.CharField(required=False, max_length=10, label=_("Station"))
    date_from = forms.DateField(
        required=False, label=_("Date from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=_("Date to"), widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(
        required=False, label=_("Status"), choices=[("", _("Any status")), *Status.choices]
    )
    min_score = forms.IntegerField(required=False, min_value=0, label=_("Minimum score"))
    # 3 characters at least: shorter fragments cannot use the number's trigram index (docs/interceptions.md).
    number = forms.CharField(
        required=False,
        max_length=32,
        min_length=NUMBER_MIN_LENGTH,
        label=_("Number"),
        error_messages={"min_length": _("Type at least %(limit_value)d characters of the number.")},
    )

    def __init__(self, *args, stations=(), person_search: bool | None = None, **kwargs):
        """`stations`: the station picker's choices, as (code, name) pairs, or a callable returning them
        when the picker is rendered (the list page: `selectors.station_choices`). `person_search`: None
        leaves out the person filter (exports); True offers it; False refuses it with a clear message (the
        API, for a user who may not search people: people.policies.may_search)."""
        super().__init__(*args, **kwargs)
        self.fields["station"].widget = StationSelect(choices=stations, empty_label=_("All my stations"))
        self.person_search = person_search
        if person_search is not None:
            self.fields["person"] = forms.CharField(
                required=False,
                max_length=200,
                min_length=2,
                label=_("Person (name or phone)"),
                error_messages={
                    "min_length": _("Type at least %(limit_value)d characters of a name or phone.")
                },
            )

    def clean_person(self):
        value = (self.cleaned_data.get("person") or "").strip()
        if value and not self.person_search:
            raise ValidationError(_("You may not search people: it needs access to names."))
        return value

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(_("The start date is after the end date."))
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
            person=d.get("person") or None,
        )


def station_now(station) -> datetime:
    """Now at the station, as the naive wall-clock time a datetime-local input shows (to the minute)."""
    return timezone.now().astimezone(station.tzinfo).replace(tzinfo=None, second=0, microsecond=0)


class RedFlagChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.text


class InterceptionForm(forms.Form):
    station = forms.ModelChoiceField(queryset=None, empty_label=None, label=_("Station"))
    occurred_at = forms.DateTimeField(
        label=_("When (station's local time)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    # Not required here: a draft may be saved before the place is known; the service asks for it on submit.
    place = forms.CharField(max_length=200, label=_("Where"), required=False)
    red_flags = RedFlagChoiceField(
        queryset=None,
        label=_("Red flags"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        to_field_name="code",
    )
    # The rule (1 to 5) is the service's: the form only offers the choices and reads a whole number.
    certainty = forms.IntegerField(
        label=_("How sure are you?"),
        widget=forms.Select(choices=[("", "—"), *((i, str(i)) for i in range(1, 6))]),
        required=False,
    )
    reason = forms.CharField(
        label=_("Why did you intercept?"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    outcome = forms.ChoiceField(label=_("What happened next"), choices=Outcome.choices, required=False)
    outcome_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Notes on what happened next")
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # The whole record (docs/interceptions.md "The whole record"). Parsed here, checked by the service.
    how_started = forms.ChoiceField(
        label=_("How did the interception start?"), choices=_blank(HowStarted.choices), required=False
    )
    how_started_notes = forms.CharField(
        label=_("Notes on how it started"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    transport = forms.ChoiceField(label=_("Transport"), choices=_blank(Transport.choices), required=False)
    journey_start_text = forms.CharField(
        label=_("Where the journey started"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs=_PLACE_SUGGEST),
    )
    journey_start_country = forms.ChoiceField(
        label=_("Country where it started"), choices=_country_choices, required=False
    )
    monitors = forms.ModelMultipleChoiceField(
        label=_("Monitors present"),
        queryset=None,
        required=False,
        to_field_name="username",
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: you, on a new record; on an edit, the list stays as it was."),
    )

    def __init__(self, *args, stations, red_flags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations
        self.fields["red_flags"].queryset = red_flags
        if stations is not None:
            self.fields["monitors"].queryset = monitor_candidates_at(stations)
        self._add_rows()
        if not self.is_bound and not self.initial.get("idempotency_key"):
            self.initial["idempotency_key"] = uuid.uuid4().hex
        station = self.initial.get("station")
        if not self.is_bound and not self.initial.get("occurred_at") and station is not None:
            # A new form: now, on the station's wall clock (the monitor corrects it when it was earlier).
            self.initial["occurred_at"] = station_now(station)

    def clean_occurred_at(self):
        value: datetime = self.cleaned_data["occurred_at"]
        station = self.cleaned_data.get("station") or self.initial.get("station")
        if station is not None and timezone.is_aware(value):
            # The browser sends the wall-clock time at the station; read it in the station's zone.
            value = timezone.make_aware(timezone.make_naive(value), station.tzinfo)
        return value

    def _rows(self, prefix: str, minimum: int) -> int:
        """How many rows of a small table to show: the minimum, one more than the saved ones, and as many
        as the posted data names."""
        count = max(minimum, len(self.initial.get(prefix, [])) + 1)
        for key in self.data if self.is_bound else ():
            if key.startswith(f"{prefix}-"):
                number = key.split("-")[1]
                if number.isdigit():
                    count = max(count, min(int(number) + 1, 50))
        return count

    def _add_rows(self) -> None:
        """Fields of the route, companions and documents tables: `route-<n>-text`, `companions-<n>-person`…"""
        person = {"min_value": 1, "max_value": 50, "required": False}
        for n in range(self._rows("route", ROUTE_ROWS)):
            self.fields[f"route-{n}-text"] = forms.CharField(
                label=_("Stop %(n)s") % {"n": n + 1},
                max_length=200,
                required=False,
                widget=forms.TextInput(attrs=_PLACE_SUGGEST),
            )
            self.fields[f"route-{n}-country"] = forms.ChoiceField(
                label=_("Country"), choices=_country_choices, required=False
            )
        for n in range(self._rows("companions", COMPANION_ROWS)):
            self.fields[f"companions-{n}-person"] = forms.IntegerField(label=_("Person no."), **person)
            self.fields[f"companions-{n}-relationship"] = forms.ChoiceField(
                label=_("Relationship"), choices=_blank(Relationship.choices), required=False
            )
            self.fields[f"companions-{n}-other"] = forms.IntegerField(
                label=_("Companion's person no."), **person
            )
        for n in range(self._rows("documents", DOCUMENT_ROWS)):
            self.fields[f"documents-{n}-person"] = forms.IntegerField(label=_("Person no."), **person)
            self.fields[f"documents-{n}-kind"] = forms.ChoiceField(
                label=_("Document"), choices=_blank(DocumentKind.choices), required=False
            )
            self.fields[f"documents-{n}-whose"] = forms.ChoiceField(
                label=_("Whose"), choices=DocumentWhose.choices, required=False
            )
            self.fields[f"documents-{n}-looks_genuine"] = forms.ChoiceField(
                label=_("Looks genuine"), choices=Genuine.choices, initial=Genuine.NOT_SURE, required=False
            )
            self.fields[f"documents-{n}-number"] = forms.CharField(
                label=_("Number (optional)"), max_length=64, required=False
            )
        for prefix in ("route", "companions", "documents"):
            for n, row in enumerate(self.initial.get(prefix, [])):
                for key, value in row.items():
                    self.initial[f"{prefix}-{n}-{key}"] = value

    def table(self, prefix: str, names: tuple[str, ...]) -> list[list]:
        """The bound fields of one small table, row by row (for the template)."""
        rows = []
        n = 0
        while f"{prefix}-{n}-{names[0]}" in self.fields:
            rows.append([self[f"{prefix}-{n}-{name}"] for name in names])
            n += 1
        return rows

    def route_rows(self):
        return self.table("route", ("text", "country"))

    def companion_rows(self):
        return self.table("companions", ("person", "relationship", "other"))

    def document_rows(self):
        return self.table("documents", ("person", "kind", "whose", "looks_genuine", "number"))

    def _whole_record(self, people: list[IntercepteeData]) -> dict:
        """The route, monitors, and each person's companions and documents from the small tables. Person
        numbers count the people rows from the top, as shown (`people.positions`, from formset_people)."""
        d = self.cleaned_data
        positions = getattr(people, "positions", {i: i for i in range(len(people))})
        for p in people:
            p.companions, p.documents = [], []
        n = 0
        while f"companions-{n}-person" in self.fields:
            a, b = d.get(f"companions-{n}-person"), d.get(f"companions-{n}-other")
            relationship = d.get(f"companions-{n}-relationship") or ""
            n += 1
            if a is None and b is None and not relationship:
                continue
            if a is None or positions.get(a - 1) is None:
                self.add_error(f"companions-{n - 1}-person", _("No person with this number on the form."))
                continue
            other = positions.get(b - 1, -1) if b is not None else -1
            people[positions[a - 1]].companions.append(CompanionData(person=other, relationship=relationship))
        n = 0
        while f"documents-{n}-person" in self.fields:
            a, kind = d.get(f"documents-{n}-person"), d.get(f"documents-{n}-kind") or ""
            n += 1
            if a is None and not kind:
                continue
            if a is None or positions.get(a - 1) is None:
                self.add_error(f"documents-{n - 1}-person", _("No person with this number on the form."))
                continue
            people[positions[a - 1]].documents.append(
                DocumentData(
                    kind=kind,
                    whose=d.get(f"documents-{n - 1}-whose") or DocumentWhose.OWN,
                    looks_genuine=d.get(f"documents-{n - 1}-looks_genuine") or Genuine.NOT_SURE,
                    number=d.get(f"documents-{n - 1}-number", ""),
                )
            )
        route = []
        n = 0
        while f"route-{n}-text" in self.fields:
            text, country = d.get(f"route-{n}-text", ""), d.get(f"route-{n}-country", "")
            n += 1
            if text or country:
                route.append(RouteStopData(text=text, country=country))
        monitors = [u.username for u in d.get("monitors") or []]
        return {
            "how_started": d.get("how_started", ""),
            "how_started_notes": d.get("how_started_notes", ""),
            "transport": d.get("transport", ""),
            "journey_start_text": d.get("journey_start_text", ""),
            "journey_start_country": d.get("journey_start_country", ""),
            "route": route,
            "monitors": monitors or None,
        }

    def service_data(self, people: list[IntercepteeData]) -> InterceptionData:
        d = self.cleaned_data
        return InterceptionData(
            **self._whole_record(people),
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
        """The red-flag checkboxes grouped as on the paper form, each with its points; per group the
        number ticked and their points (shown in the group's collapsed summary) and whether it starts open
        (something ticked in it, or the red flags have an error)."""
        selected = (
            set(self.data.getlist("red_flags")) if self.is_bound else set(self.initial.get("red_flags", []))
        )
        has_error = bool(self.is_bound and self.errors.get("red_flags"))
        groups: dict[str, dict] = {}
        flag: RedFlag
        for flag in self.fields["red_flags"].queryset:
            group = groups.setdefault(
                flag.group,
                {"code": flag.group, "label": flag.get_group_display(), "flags": [], "ticked": 0},
            )
            checked = flag.code in selected
            group["flags"].append({"flag": flag, "checked": checked})
            if checked:
                group["ticked"] += 1
                group["points"] = group.get("points", 0) + flag.points
        for group in groups.values():
            group.setdefault("points", 0)
            group["open"] = has_error or group["ticked"] > 0
        return list(groups.values())


class IntercepteeForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    role = forms.ChoiceField(choices=IntercepteeRole.choices, label=_("Role"))
    full_name = forms.CharField(max_length=200, label=_("Name"))
    gender = forms.ChoiceField(choices=Gender.choices, initial=Gender.UNKNOWN, label=_("Gender"))
    age = forms.IntegerField(
        required=False, label=_("Age"), help_text=_("Years (0 to 120)")
    )  # checked by the service
    # Checked and stored in E.164 by the service (people/phones.py); any usual format is fine here.
    phone = forms.CharField(
        max_length=32,
        required=False,
        label=_("Phone"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}),
    )
    address = forms.CharField(max_length=300, required=False, label=_("Address"))
    # The home place: suggestions are fetched as the monitor types (static/js/places.js, docs/places.md).
    address_place = forms.CharField(
        max_length=200,
        required=False,
        label=_("Home municipality, district"),
        widget=forms.TextInput(attrs=_PLACE_SUGGEST),
    )
    # Nepal, India, then every country by name (people/countries.py); the service checks the code.
    nationality = forms.ChoiceField(choices=_country_choices, required=False, label=_("Nationality"))
    consent_to_use_information = forms.BooleanField(required=False, label=_("Consents to use of information"))
    consent_to_use_photo = forms.BooleanField(required=False, label=_("Consents to use of photo"))
    # The whole record: where to and why; for suspects, their apparent role and a description.
    destination_text = forms.CharField(
        max_length=200,
        required=False,
        label=_("Going to"),
        widget=forms.TextInput(attrs=_PLACE_SUGGEST),
    )
    destination_country = forms.ChoiceField(
        choices=_country_choices, required=False, label=_("Destination country")
    )
    travel_purpose = forms.ChoiceField(
        choices=_blank(TravelPurpose.choices), required=False, label=_("Purpose of travel")
    )
    travel_purpose_notes = forms.CharField(max_length=1000, required=False, label=_("About the purpose"))
    suspect_role = forms.ChoiceField(
        choices=_blank(SuspectRole.choices), required=False, label=_("Apparent role (suspects)")
    )
    suspect_description = forms.CharField(
        required=False, label=_("Description (suspects)"), widget=forms.Textarea(attrs={"rows": 2})
    )

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
            address_place=d.get("address_place", ""),
            nationality=d.get("nationality", ""),
            consent_to_use_information=d.get("consent_to_use_information", False),
            consent_to_use_photo=d.get("consent_to_use_photo", False),
            destination_text=d.get("destination_text", ""),
            destination_country=d.get("destination_country", ""),
            travel_purpose=d.get("travel_purpose", ""),
            travel_purpose_notes=d.get("travel_purpose_notes", ""),
            suspect_role=d.get("suspect_role", ""),
            suspect_description=d.get("suspect_description", ""),
        )


def person_whole_record_initial(row) -> dict:
    """One people row's whole-record fields as the edit form shows them."""
    from people.places import label

    return {
        "destination_text": row.destination_text
        or (label(row.destination_place) if row.destination_place else ""),
        "destination_country": str(row.destination_country or ""),
        "travel_purpose": row.travel_purpose,
        "travel_purpose_notes": row.travel_purpose_notes,
        "suspect_role": row.suspect_role,
        "suspect_description": row.suspect_description,
    }


def whole_record_initial(interception) -> dict:
    """The record's whole-record fields as the edit form shows them (person numbers count the people rows
    from 1, in the order the form lists them)."""
    from people.places import label

    rows = list(interception.interceptees.all())
    number = {row.pk: n + 1 for n, row in enumerate(rows)}
    return {
        "how_started": interception.how_started,
        "how_started_notes": interception.how_started_notes,
        "transport": interception.transport,
        "journey_start_text": interception.journey_start_text
        or (label(interception.journey_start_place) if interception.journey_start_place else ""),
        "journey_start_country": str(interception.journey_start_country or ""),
        "monitors": [u.username for u in interception.monitors.all()],
        "route": [
            {
                "text": stop.text or (label(stop.place) if stop.place else ""),
                "country": str(stop.country or ""),
            }
            for stop in interception.route.all()
        ],
        "companions": [
            {
                "person": number[c.from_interceptee_id],
                "relationship": c.relationship,
                "other": number[c.to_interceptee_id],
            }
            for row in rows
            for c in row.companions.all()
            if c.to_interceptee_id in number
        ],
        "documents": [
            {
                "person": number[row.pk],
                "kind": d.kind,
                "whose": d.whose,
                "looks_genuine": d.looks_genuine,
                "number": d.number,
            }
            for row in rows
            for d in row.documents.all()
        ],
    }


class PeopleList(list):
    """The people of a form, with `positions`: the form row's index (as numbered on the page, from 0) to
    the index in this list, for the companions and documents tables."""

    positions: dict[int, int]


class BaseIntercepteeFormSet(forms.BaseFormSet):
    """A row that carries a person's id is that stored person, wherever it sits: rows added on the page
    after the form was loaded count as "extra" rows for Django, which skips an unchanged extra row. After
    an autosave gave such a row its id, its values equal the stored ones; skipping it would remove the
    person (and their photos' link) on the next save."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if self.is_bound and form.empty_permitted and (self.data.get(form.add_prefix("id")) or "").strip():
            form.empty_permitted = False
            form.use_required_attribute = False
        return form


IntercepteeFormSet = forms.formset_factory(
    IntercepteeForm, formset=BaseIntercepteeFormSet, extra=0, can_delete=True, max_num=50
)


def formset_people(formset) -> list[IntercepteeData]:
    people = PeopleList()
    people.positions = {}
    for n, f in enumerate(formset.forms):
        if (
            (f.cleaned_data.get("id") or f.has_changed())
            and not f.cleaned_data.get("DELETE")
            and f.cleaned_data.get("full_name")
        ):
            people.positions[n] = len(people)
            people.append(f.to_data())
    return people


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Photo or document (JPEG, PNG or PDF)"))
    # The person on the record a photo shows (an interceptee id of this record; checked by the service).
    interceptee = forms.IntegerField(required=False, label=_("Photo of"))


class ShareForm(forms.Form):
    """Share one record with one user, or take the share back (level "none"). Records are shared with
    users only, not groups: each share names the person who may read it."""

    name = forms.CharField(max_length=150, label=_("Username"))
    level = forms.ChoiceField(
        choices=[
            ("view", _("May see it (names masked)")),
            ("view_sensitive", _("May see it with names and contacts")),
            ("none", _("Remove access")),
        ],
        label=_("Access"),
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
