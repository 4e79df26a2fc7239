"""The victims of a legal case in the API (docs/api.md "Prosecution"): the same rules as the pages. Every
request fetches the legal case through `selectors.access_legal_case` (out of reach: 404; visible but not
to be worked on: 403; the read logged); every write goes through prosecution.services.victims."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import StrictCharField
from people.masking import mask

from .. import policies, selectors
from ..models import ContactStatus
from ..policies import LegalCasePolicy
from ..services import victims as services

TESTIFY = [("yes", "yes"), ("no", "no"), ("undecided", "undecided")]


class VictimSerializer(serializers.Serializer):
    """One victim in the legal case. `name` and `protection_measures` are sensitive: "[restricted]" without
    view_sensitive on the legal case."""

    id = serializers.IntegerField(read_only=True)
    legal_case = serializers.IntegerField(source="legal_case_id", read_only=True)
    victim_case = serializers.IntegerField(source="victim_case_id", read_only=True)
    case_number = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField(help_text="Sensitive: masked without view_sensitive.")
    contact_status = StrictCharField(read_only=True)
    last_contacted_on = serializers.DateField(read_only=True, allow_null=True)
    last_attempted_on = serializers.DateField(read_only=True, allow_null=True)
    willing_to_testify = StrictCharField(read_only=True)
    protection_measures = serializers.SerializerMethodField(
        help_text="Sensitive: masked without view_sensitive."
    )
    version = serializers.IntegerField(read_only=True)

    def get_case_number(self, victim) -> str:
        return victim.victim_case.number

    def get_name(self, victim) -> str:
        return mask(victim.victim_case.person.full_name, bool(self.context.get("sensitive")))

    def get_protection_measures(self, victim) -> str:
        return mask(victim.protection_measures, bool(self.context.get("sensitive")))


class VictimInputSerializer(serializers.Serializer):
    victim_case = serializers.IntegerField(help_text="The id of a case file you may see.")


class VictimPatchSerializer(serializers.Serializer):
    contact_status = serializers.ChoiceField(choices=ContactStatus.choices, required=False, allow_blank=True)
    last_contacted_on = serializers.DateField(required=False, allow_null=True)
    last_attempted_on = serializers.DateField(required=False, allow_null=True)
    willing_to_testify = serializers.ChoiceField(choices=TESTIFY, required=False, allow_blank=True)
    protection_measures = StrictCharField(required=False, allow_blank=True, max_length=4000)
    version = serializers.IntegerField(help_text="The version you edited (a stale one: 409 stale_version).")


def _context(legal_case) -> dict:
    return {"sensitive": bool(legal_case.can_see_sensitive)}


class VictimListView(APIView):
    """The victims of one legal case (GET) and linking a case file (POST `{"victim_case"}`; linking it
    again answers 200 with the first link)."""

    policy = LegalCasePolicy
    required_actions = {"GET": policies.VIEW, "POST": policies.CHANGE}

    @extend_schema(responses=VictimSerializer(many=True))
    def get(self, request, pk):
        legal_case = selectors.access_legal_case(request.user, pk, purpose="victims")
        rows = selectors.victims_of(legal_case)
        return Response({"results": VictimSerializer(rows, many=True, context=_context(legal_case)).data})

    @extend_schema(request=VictimInputSerializer, responses={201: VictimSerializer})
    def post(self, request, pk):
        legal_case = selectors.access_legal_case(request.user, pk, policies.CHANGE, purpose="victim_add")
        serializer = VictimInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        victim, created = services.victim_add(
            actor=request.user, legal_case=legal_case, victim_case=serializer.validated_data["victim_case"]
        )
        victim = selectors.victim_of(legal_case, victim.pk)
        return Response(
            VictimSerializer(victim, context=_context(legal_case)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class VictimDetailView(APIView):
    """One victim (GET) and what we know of her part (PATCH, with the `version` edited)."""

    policy = LegalCasePolicy
    required_actions = {"GET": policies.VIEW, "PATCH": policies.CHANGE}

    @extend_schema(responses=VictimSerializer)
    def get(self, request, pk, victim_pk):
        legal_case = selectors.access_legal_case(request.user, pk, purpose="victim")
        victim = selectors.victim_of(legal_case, victim_pk)
        return Response(VictimSerializer(victim, context=_context(legal_case)).data)

    @extend_schema(request=VictimPatchSerializer, responses=VictimSerializer)
    def patch(self, request, pk, victim_pk):
        legal_case = selectors.access_legal_case(request.user, pk, policies.CHANGE, purpose="victim_change")
        victim = selectors.victim_of(legal_case, victim_pk)
        serializer = VictimPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        version = fields.pop("version")
        services.victim_update(actor=request.user, victim=victim, expected_version=version, **fields)
        victim = selectors.victim_of(legal_case, victim_pk)
        return Response(VictimSerializer(victim, context=_context(legal_case)).data)
