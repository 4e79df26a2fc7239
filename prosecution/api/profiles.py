"""Trafficker profiles in the API (docs/api.md "Prosecution", docs/prosecution.md "Trafficker profile and
recidivism"): the same rules as the pages. Every request fetches the profile through
`selectors.access_profile` (out of reach: 404; visible but not editable: 403; the read logged); every write
goes through prosecution.services.profiles."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import StrictBooleanField, StrictCharField, StrictDecimalField
from people import places
from people.masking import mask

from .. import policies, selectors
from ..models import HierarchyRole, MoneyUse, Pathway, Relationship
from ..recidivism import recidivism
from ..services import profiles as profile_services


class ProfilePolicy:
    """Reads: any signed-in user (the selector decides which profiles: 404 otherwise); PATCH and POST: the
    selector checks `change` on a legal case of the identity (403 when visible but not allowed)."""

    @staticmethod
    def allows(user, action: str, obj=None) -> bool:
        return True

    @staticmethod
    def message(action: str) -> str:
        return policies.message(action)


# --- output -----------------------------------------------------------------------------------------------


def _money(value) -> str | None:
    return None if value is None else str(value)


def profile_data(found) -> dict:
    """The profile as the reader may see it: codes (pathway, roles, organised network, money uses,
    relationship) as they are; texts, the home district and amounts masked without view_sensitive."""
    p, s = found.profile, found.sensitive
    facts = recidivism(found.identity.pk, visible={c.pk for c in found.legal_cases}, profile=p)
    data = {
        "identity": found.identity.pk,
        "exists": p is not None,
        "station": p.station.code if p is not None else None,
        "version": p.version if p is not None else 0,
        "sensitive": s,
        **selectors.profile_demographics(found),
        "ethnicity": mask(p.ethnicity, s) if p else "",
        "education": mask(p.education, s) if p else "",
        "occupation": mask(p.occupation, s) if p else "",
        "marital_status": mask(p.marital_status, s) if p else "",
        "home_district": mask(p.home_district.code if p and p.home_district_id else "", s),
        "home_district_label": mask(places.label(p.home_district) if p else "", s),
        "income_level": mask(p.income_level, s) if p else "",
        "owns_land_or_house": p.owns_land_or_house if p and s else None,
        "debts": mask(p.debts, s) if p else "",
        "pathway": p.pathway if p else "",
        "pathway_narrative": mask(p.pathway_narrative, s) if p else "",
        "roles": list(p.roles) if p else [],
        "organised_network": p.organised_network if p else None,
        "amount_per_victim": mask(_money(p.amount_per_victim), s) if p else None,
        "amount_currency": mask(p.amount_currency, s) if p else "",
        "money_uses": list(p.money_uses) if p else [],
        "relationship_to_victims": p.relationship_to_victims if p else "",
        "legal_cases": [
            {"id": c.pk, "number": c.number, "station": c.station.code, "stage": c.stage}
            for c in found.legal_cases
        ],
        "recidivism": {
            "legal_cases": facts.legal_cases,
            "arrests": facts.arrest_count,
            "convictions": facts.conviction_count,
            "is_reoffender": facts.is_reoffender,
            "repeat": facts.repeat,
            "arrest_rows": [
                {
                    "legal_case": a["legal_case"]["id"],
                    "number": a["legal_case"]["number"],
                    "status": a["status"],
                    "arrested_on": a["on"].isoformat() if a["on"] else None,
                }
                for a in facts.arrests
            ],
            "conviction_rows": [
                {
                    "legal_case": c["legal_case"]["id"],
                    "number": c["legal_case"]["number"],
                    "statute": c["statute"],
                    "is_trafficking": c["is_trafficking"],
                    "verdict_on": c["on"].isoformat() if c["on"] else None,
                    "imprisonment_total_days": c["imprisonment_total_days"],
                    "fine_amount": _money(c["fine_amount"]),
                    "fine_currency": c["fine_currency"],
                }
                for c in facts.convictions
            ],
            "prior_records": len(facts.prior_records),
        },
    }
    return data


def prior_record_data(record, sensitive: bool) -> dict:
    return {
        "id": record.pk,
        "kind": record.kind,
        "occurred_on": record.occurred_on.isoformat() if record.occurred_on else None,
        "description": mask(record.description, sensitive),
        "sentence": mask(record.sentence, sensitive),
        "source": mask(record.source, sensitive),
        "created_at": record.created_at.isoformat(),
    }


# --- input ------------------------------------------------------------------------------------------------


class ProfileInputSerializer(serializers.Serializer):
    """The fields to change (those left out stay); `version`: the version you saw (0 before the profile
    exists; a stale one: 409)."""

    version = serializers.IntegerField(required=False, allow_null=True, default=None)
    ethnicity = StrictCharField(required=False, allow_blank=True)
    education = StrictCharField(required=False, allow_blank=True)
    occupation = StrictCharField(required=False, allow_blank=True)
    marital_status = StrictCharField(required=False, allow_blank=True)
    home_district = StrictCharField(
        required=False, allow_blank=True, help_text="A place: its label or name (docs/places.md)."
    )
    income_level = StrictCharField(required=False, allow_blank=True)
    owns_land_or_house = StrictBooleanField(required=False, allow_null=True)
    debts = StrictCharField(required=False, allow_blank=True)
    pathway = serializers.ChoiceField(choices=Pathway.choices, required=False, allow_blank=True)
    pathway_narrative = StrictCharField(required=False, allow_blank=True)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=HierarchyRole.choices), required=False
    )
    organised_network = StrictBooleanField(required=False, allow_null=True)
    amount_per_victim = StrictDecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, help_text="A decimal string."
    )
    amount_currency = StrictCharField(required=False, allow_blank=True)
    money_uses = serializers.ListField(
        child=serializers.ChoiceField(choices=MoneyUse.choices), required=False
    )
    relationship_to_victims = serializers.ChoiceField(
        choices=Relationship.choices, required=False, allow_blank=True
    )


class PriorRecordInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("arrest", "arrest"), ("conviction", "conviction")])
    occurred_on = serializers.DateField(required=False, allow_null=True, default=None)
    description = StrictCharField(allow_blank=True)
    sentence = StrictCharField(required=False, allow_blank=True, default="")
    source = StrictCharField(allow_blank=True, help_text="Where this comes from: required.")


# --- views ------------------------------------------------------------------------------------------------


class ProfileView(APIView):
    """The trafficker profile of an identity with its recidivism (GET), and changing it (PATCH: created on
    the first change)."""

    policy = ProfilePolicy
    required_actions = {"GET": policies.VIEW, "PATCH": policies.CHANGE}

    @extend_schema(responses={200: dict})
    def get(self, request, identity_pk):
        found = selectors.access_profile(request.user, identity_pk, purpose="profile")
        return Response(profile_data(found))

    @extend_schema(request=ProfileInputSerializer, responses={200: dict})
    def patch(self, request, identity_pk):
        found = selectors.access_profile(request.user, identity_pk, policies.CHANGE, purpose="profile_edit")
        serializer = ProfileInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        profile_services.profile_update(
            actor=request.user, identity=found.identity, data=data, expected_version=version
        )
        found.profile = selectors.profile_of_identity(found.identity.pk)
        return Response(profile_data(found))


class PriorRecordListView(APIView):
    """The prior records entered by hand (GET), and adding one (POST; optional Idempotency-Key)."""

    policy = ProfilePolicy
    required_actions = {"GET": policies.VIEW, "POST": policies.CHANGE}

    @extend_schema(responses={200: dict})
    def get(self, request, identity_pk):
        found = selectors.access_profile(request.user, identity_pk, purpose="prior_records")
        rows = selectors.prior_records_of(found.profile)
        return Response({"results": [prior_record_data(r, found.sensitive) for r in rows]})

    @extend_schema(request=PriorRecordInputSerializer, responses={201: dict})
    def post(self, request, identity_pk):
        found = selectors.access_profile(request.user, identity_pk, policies.CHANGE, purpose="prior_record")
        serializer = PriorRecordInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = profile_services.prior_record_add(
            actor=request.user,
            identity=found.identity,
            idempotency_key=request.headers.get("Idempotency-Key"),
            **serializer.validated_data,
        )
        replayed = getattr(record, "replayed", False)
        return Response(
            prior_record_data(record, found.sensitive),
            status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
            headers={"Idempotent-Replayed": "true"} if replayed else {},
        )
