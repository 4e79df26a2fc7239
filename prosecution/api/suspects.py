"""Suspects (defendants) of a legal case in the API (docs/api.md "Prosecution"): list and add them, record
an arrest, verify it with evidence. Reads go through `selectors.access_legal_case` (out of reach: 404; the
read logged); writes through prosecution/services/suspects.py. Without `view_sensitive` the name and phone
read "[restricted]" and the identity is left out."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import StrictCharField, StrictFileField
from people.masking import mask

from .. import policies, selectors
from ..models import ArrestStatus, HierarchyRole
from ..policies import LegalCasePolicy
from ..services import suspects as services

MAX_ID = 2**31 - 1  # larger numbers name no row


def _text(max_length, help_text=None):
    return StrictCharField(
        max_length=max_length, required=False, allow_blank=True, default="", help_text=help_text
    )


class SuspectInputSerializer(serializers.Serializer):
    person = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_ID,
        help_text="An appearance to pick: a suspect of the case's interceptions or an interview's recruiter.",
    )
    identity = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_ID,
        help_text="A known person (identity) you may see.",
    )
    name = _text(200, "A new person: their name.")
    gender = _text(10)
    age = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0, max_value=120)
    phone = _text(32)
    role = _text(20, ", ".join(HierarchyRole.values))
    arrest_status = _text(20, ", ".join(ArrestStatus.values))


class ArrestInputSerializer(serializers.Serializer):
    arrest_status = StrictCharField(max_length=20, help_text=", ".join(ArrestStatus.values))
    arrested_on = serializers.DateField(required=False, allow_null=True, default=None)
    arrest_source = _text(300, "How it is known.")
    version = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=MAX_ID
    )


class VerifyInputSerializer(serializers.Serializer):
    evidence = StrictFileField(help_text="The evidence of the arrest: PDF, JPEG or PNG.")


def suspect_data(suspect, sensitive: bool) -> dict:
    person = suspect.person
    return {
        "id": suspect.pk,
        "legal_case": suspect.legal_case_id,
        "identity": person.identity_id if sensitive else None,
        "name": mask(person.full_name, sensitive),
        "phone": mask(person.phone, sensitive),
        "gender": person.gender,
        "age": person.age,
        "role": suspect.role,
        "arrest_status": suspect.arrest_status,
        "arrested_on": suspect.arrested_on.isoformat() if suspect.arrested_on else None,
        "arrest_source": mask(suspect.arrest_source, sensitive),
        "arrest_recorded_by": suspect.arrest_recorded_by.username if suspect.arrest_recorded_by_id else None,
        "arrest_verified_by": suspect.arrest_verified_by.username if suspect.arrest_verified_by_id else None,
        "arrest_verified_at": suspect.arrest_verified_at.isoformat() if suspect.arrest_verified_at else None,
        "has_evidence": bool(suspect.arrest_evidence),
        "version": suspect.version,
    }


class SuspectListView(APIView):
    """GET: the legal case's suspects. POST: add one (`person`, `identity` or a new person's `name`)."""

    policy = LegalCasePolicy
    required_actions = {"GET": policies.VIEW, "POST": policies.CHANGE}

    @extend_schema(operation_id="legal_case_suspects_list", responses={200: dict})
    def get(self, request, pk):
        legal_case = selectors.access_legal_case(request.user, pk, purpose="suspects")
        sensitive = bool(legal_case.can_see_sensitive)
        return Response({"results": [suspect_data(s, sensitive) for s in selectors.suspects_of(legal_case)]})

    @extend_schema(
        operation_id="legal_case_suspects_create", request=SuspectInputSerializer, responses={201: dict}
    )
    def post(self, request, pk):
        legal_case = selectors.access_legal_case(request.user, pk, policies.CHANGE, purpose="suspect-add")
        serializer = SuspectInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        suspect = services.suspect_add(
            actor=request.user,
            legal_case=legal_case,
            person=v["person"],
            identity=v["identity"],
            name=v["name"],
            gender=v["gender"],
            age=v["age"],
            phone=v["phone"],
            role=v["role"],
            arrest_status=v["arrest_status"] or ArrestStatus.NOT_ARRESTED,
        )
        suspect = selectors.suspect_of(legal_case, suspect.pk)
        return Response(
            suspect_data(suspect, bool(legal_case.can_see_sensitive)), status=status.HTTP_201_CREATED
        )


class SuspectDetailView(APIView):
    """GET: one suspect. PATCH: record the arrest (`arrest_status`, `arrested_on`, `arrest_source`,
    `version`); a change of status clears a previous verification."""

    policy = LegalCasePolicy
    required_actions = {"GET": policies.VIEW, "PATCH": policies.CHANGE}

    @extend_schema(operation_id="legal_case_suspect_retrieve", responses={200: dict})
    def get(self, request, pk, suspect_pk):
        legal_case = selectors.access_legal_case(request.user, pk, purpose="suspect")
        suspect = selectors.suspect_of(legal_case, suspect_pk)
        return Response(suspect_data(suspect, bool(legal_case.can_see_sensitive)))

    @extend_schema(
        operation_id="legal_case_suspect_arrest", request=ArrestInputSerializer, responses={200: dict}
    )
    def patch(self, request, pk, suspect_pk):
        legal_case = selectors.access_legal_case(request.user, pk, policies.CHANGE, purpose="arrest")
        suspect = selectors.suspect_of(legal_case, suspect_pk)
        serializer = ArrestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        if v["version"] is None:
            raise ValidationError(
                {"version": _("Send the version you edited, so a colleague's save is not overwritten.")}
            )
        services.arrest_record(
            actor=request.user,
            suspect=suspect,
            arrest_status=v["arrest_status"],
            arrested_on=v["arrested_on"],
            arrest_source=v["arrest_source"],
            expected_version=v["version"],
        )
        suspect = selectors.suspect_of(legal_case, suspect_pk)
        return Response(suspect_data(suspect, bool(legal_case.can_see_sensitive)))


class VerifyArrestView(APIView):
    """POST (multipart, `evidence`): verify the suspect's arrest. Not the user who recorded it."""

    policy = LegalCasePolicy
    required_actions = {"POST": policies.VERIFY}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="legal_case_suspect_verify_arrest",
        request={"multipart/form-data": VerifyInputSerializer},
        responses={200: dict},
    )
    def post(self, request, pk, suspect_pk):
        legal_case = selectors.access_legal_case(request.user, pk, policies.VERIFY, purpose="arrest-verify")
        suspect = selectors.suspect_of(legal_case, suspect_pk)
        serializer = VerifyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.arrest_verify(
            actor=request.user, suspect=suspect, evidence=serializer.validated_data["evidence"]
        )
        suspect = selectors.suspect_of(legal_case, suspect_pk)
        return Response(suspect_data(suspect, bool(legal_case.can_see_sensitive)))
