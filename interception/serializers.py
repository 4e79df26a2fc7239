from django.urls import reverse
from rest_framework import serializers

from core.fields import StrictBooleanField
from people.models import Gender

from . import presenters
from .models import IntercepteeRole, Outcome, RedFlag, Status
from .services import IntercepteeData, InterceptionData


class RedFlagSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code", default=None, read_only=True)

    class Meta:
        model = RedFlag
        fields = ["code", "group", "text", "points", "country"]


class IntercepteeSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, help_text="Give the id to edit an existing person row.")
    person_id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    gender = serializers.ChoiceField(choices=Gender.choices, default=Gender.UNKNOWN)
    age = serializers.IntegerField(
        required=False, allow_null=True, help_text="Years, 0 to 120 (checked by the service)."
    )
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    nationality = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=IntercepteeRole.choices)
    consent_to_use_information = StrictBooleanField(default=False)
    consent_to_use_photo = StrictBooleanField(default=False)


class InterceptionSerializer(serializers.Serializer):
    """An interception in JSON. `red_flag_score`, `number` and `version` are computed by the server."""

    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    station = serializers.CharField(max_length=10, write_only=True, help_text="Station code, e.g. BHW")
    occurred_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=200)
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
    monitors = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_monitors(self, obj) -> list[str]:
        return [u.username for u in obj.monitors.all()]

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
            "name",
            "gender",
            "age",
            "phone",
            "address",
            "nationality",
            "role",
            "consent_to_use_information",
            "consent_to_use_photo",
        ]
        return {
            "id": data.pop("id"),
            "number": data.pop("number"),
            "station": obj.station.code,
            **data,
            **presenters.narrative(obj),
            "sensitive_visible": presenters.sensitive_allowed(obj),
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
                nationality=p.get("nationality", ""),
                consent_to_use_information=p.get("consent_to_use_information", False),
                consent_to_use_photo=p.get("consent_to_use_photo", False),
            )
            for p in people
        ]

    def to_service_data(self, v: dict, base: InterceptionData | None = None) -> InterceptionData:
        """The validated input as service data; on PATCH, laid over `base` (the stored record)."""
        if base is None:
            base = InterceptionData(occurred_at=v["occurred_at"], place=v["place"])
        for field in ("occurred_at", "place", "certainty", "reason", "outcome", "outcome_notes"):
            if field in v:
                setattr(base, field, v[field])
        if "red_flags" in v:
            base.red_flag_codes = list(v["red_flags"])
        if "interceptees" in v:
            base.interceptees = self.people_data(v["interceptees"])
        return base


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
