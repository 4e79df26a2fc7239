from django.urls import reverse
from rest_framework import serializers

from core.fields import StrictBooleanField
from people.masking import mask
from people.models import Gender

from . import presenters
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
from .services import CompanionData, DocumentData, IntercepteeData, InterceptionData, RouteStopData


class RedFlagSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code", default=None, read_only=True)

    class Meta:
        model = RedFlag
        fields = ["code", "group", "text", "text_ne", "points", "country"]


def _place_code(**kwargs):
    return serializers.CharField(
        max_length=100,
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="A place code (GET /api/v1/places/); left empty, the text is matched to Nepal's places.",
        **kwargs,
    )


def _country(**kwargs):
    return serializers.CharField(
        max_length=2, required=False, allow_blank=True, default="", help_text="ISO 3166-1 alpha-2, e.g. IN"
    )


def _text(max_length=None, help_text=None):
    return serializers.CharField(
        max_length=max_length, required=False, allow_blank=True, default="", help_text=help_text
    )


def _choice(choices, help_text=None):
    return serializers.ChoiceField(
        choices=choices, required=False, allow_blank=True, default="", help_text=help_text
    )


class CompanionSerializer(serializers.Serializer):
    person = serializers.IntegerField(
        help_text="0-based index of the other person in this request's (or answer's) interceptees."
    )
    relationship = serializers.ChoiceField(
        choices=Relationship.choices, help_text="What the other person is to this one (e.g. their broker)."
    )


class DocumentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    whose = serializers.ChoiceField(choices=DocumentWhose.choices, default=DocumentWhose.OWN)
    looks_genuine = serializers.ChoiceField(choices=Genuine.choices, default=Genuine.NOT_SURE)
    number = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="Sensitive: masked without view_sensitive.",
    )


class RouteStopSerializer(serializers.Serializer):
    place = _place_code()
    text = _text(200)
    country = _country()


class IntercepteeSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, help_text="Give the id to edit an existing person row.")
    person_id = serializers.IntegerField(
        read_only=True, help_text="This appearance (what this record says of the person; docs/people.md)."
    )
    person = serializers.IntegerField(
        read_only=True, help_text="The identity this appearance belongs to: GET /api/v1/people/{person}/."
    )
    name = serializers.CharField(max_length=200)
    gender = serializers.ChoiceField(choices=Gender.choices, default=Gender.UNKNOWN)
    age = serializers.IntegerField(
        required=False, allow_null=True, help_text="Years, 0 to 120 (checked by the service)."
    )
    phone = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text="Any usual format; the station's country is the default region. Stored and returned in "
        "E.164 (+9779811111111). Text that is not a phone number is a 400 on interceptees.<i>.phone.",
    )
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    address_place = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="The home place: a place code or label (GET /api/v1/places/). Sensitive, like the address. "
        "Read back as the code, with address_place_label.",
    )
    nationality = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="ISO 3166-1 alpha-2 code (NP) or the exact English country name (Nepal). Read back as the "
        "code, with nationality_name.",
    )
    role = serializers.ChoiceField(choices=IntercepteeRole.choices)
    consent_to_use_information = StrictBooleanField(default=False)
    consent_to_use_photo = StrictBooleanField(default=False)
    destination_place = _place_code()
    destination_text = _text(200, "Where the person said they were going, as typed.")
    destination_country = _country()
    travel_purpose = _choice(TravelPurpose.choices)
    travel_purpose_notes = _text(help_text="Sensitive: masked without view_sensitive.")
    companions = CompanionSerializer(many=True, default=list)
    documents = DocumentSerializer(many=True, default=list)
    suspect_description = _text(help_text="Sensitive: masked without view_sensitive.")
    suspect_role = _choice(SuspectRole.choices)


class InterceptionSerializer(serializers.Serializer):
    """An interception in JSON. `red_flag_score`, `number` and `version` are computed by the server."""

    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    station = serializers.CharField(max_length=10, write_only=True, help_text="Station code, e.g. BHW")
    occurred_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=200)
    place_ref = _place_code()
    place_country = _country()
    how_started = _choice(HowStarted.choices)
    how_started_notes = _text(help_text="Sensitive (may name an informant): masked without view_sensitive.")
    transport = _choice(Transport.choices)
    journey_start_place = _place_code()
    journey_start_text = _text(200)
    journey_start_country = _country()
    route = RouteStopSerializer(many=True, default=list, help_text="The intended route, in order.")
    red_flags = serializers.ListField(
        child=serializers.CharField(max_length=20), default=list, write_only=True
    )
    red_flag_score = serializers.IntegerField(read_only=True)
    certainty = serializers.IntegerField(
        required=False, allow_null=True, help_text="How sure the monitor is, 1 to 5 (checked by the service)."
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, default="")
    outcome_notes = serializers.CharField(required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=Status.choices, default=Status.DRAFT)
    version = serializers.IntegerField(required=False, help_text="Required on PATCH: the version you edited.")
    interceptees = IntercepteeSerializer(many=True, default=list, write_only=True)
    monitors = serializers.ListField(
        child=serializers.CharField(max_length=150),
        required=False,
        write_only=True,
        help_text="Usernames of the monitors present (members of the station). Default: the creator.",
    )
    attachments = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_attachments(self, obj) -> list[dict]:
        if not presenters.sensitive_allowed(obj):
            # Photos and documents are sensitive: without view_sensitive only their kind is shown.
            return [{"id": a.pk, "kind": a.kind, "restricted": True} for a in obj.attachments.all()]
        request = self.context.get("request")
        out = []
        for a in obj.attachments.all():
            url = reverse("api:interception-attachment", args=[obj.pk, a.pk])
            out.append(
                {
                    "id": a.pk,
                    "kind": a.kind,
                    "name": a.original_name,
                    "content_type": a.content_type,
                    "size": a.size,
                    "url": request.build_absolute_uri(url) if request else url,
                    "interceptee": a.interceptee_id,
                }
            )
        return out

    def to_representation(self, obj):
        # station, red_flags and interceptees are write-only fields; their read form is built here, with
        # sensitive values masked by the same presenters the pages use.
        data = super().to_representation(obj)
        api_keys = [
            "id",
            "person_id",
            "person",
            "name",
            "gender",
            "age",
            "phone",
            "address",
            "address_place",
            "address_place_label",
            "nationality",
            "nationality_name",
            "role",
            "consent_to_use_information",
            "consent_to_use_photo",
            *presenters.WHOLE_RECORD_PERSON_KEYS,
        ]
        return {
            "id": data.pop("id"),
            "number": data.pop("number"),
            "station": obj.station.code,
            **data,
            **presenters.narrative(obj),
            "sensitive_visible": presenters.sensitive_allowed(obj),
            **presenters.whole_record(obj),
            "monitors": [u.username for u in obj.monitors.all()],
            "red_flags": [f.code for f in obj.red_flags.all()],
            "interceptees": [{k: row[k] for k in api_keys} for row in presenters.interceptee_rows(obj)],
        }

    @staticmethod
    def people_data(people: list[dict]) -> list[IntercepteeData]:
        return [
            IntercepteeData(
                id=p.get("id"),
                full_name=p["name"],
                role=p["role"],
                gender=p.get("gender", Gender.UNKNOWN),
                age=p.get("age"),
                phone=p.get("phone", ""),
                address=p.get("address", ""),
                address_place=p.get("address_place", ""),
                nationality=p.get("nationality", ""),
                consent_to_use_information=p.get("consent_to_use_information", False),
                consent_to_use_photo=p.get("consent_to_use_photo", False),
                destination_place=p.get("destination_place") or None,
                destination_text=p.get("destination_text", ""),
                destination_country=p.get("destination_country", ""),
                travel_purpose=p.get("travel_purpose", ""),
                travel_purpose_notes=p.get("travel_purpose_notes", ""),
                companions=[CompanionData(**c) for c in p.get("companions", [])],
                documents=[DocumentData(**d) for d in p.get("documents", [])],
                suspect_description=p.get("suspect_description", ""),
                suspect_role=p.get("suspect_role", ""),
            )
            for p in people
        ]

    def to_service_data(self, v: dict, base: InterceptionData | None = None) -> InterceptionData:
        """The validated input as service data; on PATCH, laid over `base` (the stored record)."""
        if base is None:
            base = InterceptionData(occurred_at=v["occurred_at"], place=v["place"])
        for field in (
            "occurred_at",
            "place",
            "certainty",
            "reason",
            "outcome",
            "outcome_notes",
            "place_ref",
            "place_country",
            "how_started",
            "how_started_notes",
            "transport",
            "journey_start_place",
            "journey_start_text",
            "journey_start_country",
            "monitors",
        ):
            if field in v:
                setattr(
                    base,
                    field,
                    v[field] if v[field] != "" or not field.endswith(("_place", "_ref")) else None,
                )
        if "route" in v:
            base.route = [
                RouteStopData(place=s.get("place") or None, text=s["text"], country=s["country"])
                for s in v["route"]
            ]
        if "red_flags" in v:
            base.red_flag_codes = list(v["red_flags"])
        if "interceptees" in v:
            base.interceptees = self.people_data(v["interceptees"])
        return base


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    interceptee = serializers.IntegerField(
        required=False, allow_null=True, help_text="The id of the person on this record the photo shows."
    )


_DATETIME = serializers.DateTimeField()  # the detail's format ("...Z"), one field for every row


class InterceptionSummarySerializer(serializers.Serializer):
    """One row of the API list: a summary of the record (GET `url` gives the whole record). Built from the
    plain dicts of `selectors.interception_rows` (after `with_interceptee_counts`) by `to_representation`,
    a few dictionary look-ups a row; the fields below describe it for the schema."""

    id = serializers.IntegerField(read_only=True)
    url = serializers.URLField(read_only=True, help_text="The whole record (GET).")
    number = serializers.CharField(read_only=True)
    station = serializers.CharField(read_only=True, help_text="Station code")
    occurred_at = serializers.DateTimeField(read_only=True)
    place = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    version = serializers.IntegerField(read_only=True)
    certainty = serializers.IntegerField(read_only=True, allow_null=True)
    red_flag_score = serializers.IntegerField(read_only=True)
    victim_count = serializers.IntegerField(read_only=True, help_text="People on it as potential victims")
    suspect_count = serializers.IntegerField(read_only=True, help_text="People on it as suspects")
    sensitive_visible = serializers.BooleanField(
        read_only=True, help_text="Whether the whole record shows its sensitive fields to you"
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    _base_url: str | None = None

    def base_url(self) -> str:
        if self._base_url is None:
            request = self.context.get("request")
            url = reverse("api:interception-list")
            self._base_url = request.build_absolute_uri(url) if request else url
        return self._base_url

    def to_representation(self, row: dict) -> dict:
        allowed = bool(row["can_see_sensitive"])
        dt = _DATETIME.to_representation
        data = {
            "id": row["id"],
            "url": f"{self.base_url()}{row['id']}/",
            "number": row["number"],
            "station": row["station"],
            "occurred_at": dt(row["occurred_at"]),
            "place": row["place"],
            "status": row["status"],
            "version": row["version"],
            "certainty": row["certainty"],
            "red_flag_score": row["red_flag_score"],
            "victim_count": row["victim_count"],
            "suspect_count": row["suspect_count"],
            "sensitive_visible": allowed,
            "created_at": dt(row["created_at"]),
            "updated_at": dt(row["updated_at"]),
        }
        # Masked as the detail masks them, should a sensitive column ever join the summary.
        for field in presenters.SENSITIVE_FIELDS:
            if field in row:
                data[field] = mask(row[field], allowed)
        return data
