"""Consent decisions and overrides of a case in the API (docs/api.md "Case files"): the same rules as the
pages. Every request fetches the case through `selectors.access_case` (out of reach: 404; visible but not
allowed: 403; the read logged); every write goes through cases.services.consent."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import StrictCharField, StrictFileField
from people.masking import mask

from .. import policies, selectors
from ..models import ConsentDecision, ConsentMethod, ConsentScope
from ..policies import CasePolicy
from ..services import consent as consent_services

# --- output -----------------------------------------------------------------------------------------------


class ConsentSerializer(serializers.Serializer):
    """One consent decision. `notes` is sensitive; `signed_form` is the download URL of the signed form (for
    readers with view_sensitive), or null."""

    id = serializers.IntegerField(read_only=True)
    case = serializers.IntegerField(source="case_id", read_only=True)
    scope = StrictCharField(read_only=True)
    decision = StrictCharField(read_only=True)
    method = StrictCharField(read_only=True)
    decided_on = serializers.DateField(read_only=True)
    notes = serializers.SerializerMethodField(help_text="Sensitive: masked without view_sensitive.")
    signed_form = serializers.SerializerMethodField(help_text="The signed form's download path, or null.")
    recorded_by = StrictCharField(source="recorded_by.username", read_only=True)
    recorded_at = serializers.DateTimeField(read_only=True)

    def get_notes(self, consent) -> str:
        return mask(consent.notes, bool(self.context.get("sensitive")))

    def get_signed_form(self, consent) -> str | None:
        if not consent.signed_form or not self.context.get("sensitive"):
            return None
        from django.urls import reverse

        return reverse("cases:consent-form", kwargs={"pk": consent.case_id, "consent_pk": consent.pk})


class OverrideSerializer(serializers.Serializer):
    """One override. `reason` is sensitive. `used_for`: "referral:<id>" once used, else empty."""

    id = serializers.IntegerField(read_only=True)
    case = serializers.IntegerField(source="case_id", read_only=True)
    scope = StrictCharField(read_only=True)
    reason = serializers.SerializerMethodField(help_text="Sensitive: masked without view_sensitive.")
    used_for = StrictCharField(read_only=True)
    created_by = StrictCharField(source="created_by.username", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    def get_reason(self, override) -> str:
        return mask(override.reason, bool(self.context.get("sensitive")))


# --- input ------------------------------------------------------------------------------------------------


class ConsentJsonSerializer(serializers.Serializer):
    """A decision sent as JSON (no signed form: send it multipart)."""

    scope = serializers.ChoiceField(choices=ConsentScope.choices)
    decision = serializers.ChoiceField(choices=ConsentDecision.choices)
    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    decided_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Not in the future; today when left out."
    )
    notes = StrictCharField(required=False, allow_blank=True, default="")


class ConsentInputSerializer(ConsentJsonSerializer):
    """A decision sent multipart, with its signed form (optional)."""

    signed_form = StrictFileField(
        required=False, allow_null=True, default=None, help_text="Multipart only: PDF, JPEG or PNG."
    )


class OverrideInputSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=ConsentScope.choices)
    reason = StrictCharField(allow_blank=True, help_text="Why acting without her consent: required.")


def _context(case) -> dict:
    return {"sensitive": bool(case.can_see_sensitive)}


def _current(case, context) -> dict:
    return {
        scope: (ConsentSerializer(c, context=context).data if c else None)
        for scope, c in selectors.current_consents(case).items()
    }


# --- views ------------------------------------------------------------------------------------------------


class ConsentListView(APIView):
    """Every consent decision of one case, newest first, with `current`, the decision in force per scope
    (GET); recording a decision (POST: JSON, or multipart with `signed_form`; optional Idempotency-Key)."""

    policy = CasePolicy
    required_actions = {"GET": policies.VIEW, "POST": policies.CHANGE}
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(responses={200: dict})
    def get(self, request, pk):
        case = selectors.access_case(request.user, pk, purpose="consents")
        context = _context(case)
        rows = selectors.consents_of(case)
        return Response(
            {
                "current": _current(case, context),
                "results": ConsentSerializer(rows, many=True, context=context).data,
            }
        )

    @extend_schema(
        request={"application/json": ConsentJsonSerializer, "multipart/form-data": ConsentInputSerializer},
        responses={201: ConsentSerializer},
    )
    def post(self, request, pk):
        case = selectors.access_case(request.user, pk, policies.CHANGE, purpose="consent")
        serializer = ConsentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consent = consent_services.consent_record(
            actor=request.user,
            case=case,
            idempotency_key=request.headers.get("Idempotency-Key"),
            **serializer.validated_data,
        )
        replayed = getattr(consent, "replayed", False)
        return Response(
            ConsentSerializer(selectors.consent_of(case, consent.pk), context=_context(case)).data,
            status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
            headers={"Idempotent-Replayed": "true"} if replayed else {},
        )


class OverrideView(APIView):
    """The consent overrides of one case (GET), and recording one (POST: station managers, with a reason)."""

    policy = CasePolicy
    required_actions = {"GET": policies.VIEW, "POST": policies.OVERRIDE}

    @extend_schema(responses=OverrideSerializer(many=True))
    def get(self, request, pk):
        case = selectors.access_case(request.user, pk, purpose="overrides")
        rows = selectors.overrides_of(case)
        return Response({"results": OverrideSerializer(rows, many=True, context=_context(case)).data})

    @extend_schema(request=OverrideInputSerializer, responses={201: OverrideSerializer})
    def post(self, request, pk):
        case = selectors.access_case(request.user, pk, policies.OVERRIDE, purpose="override")
        serializer = OverrideInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        override = consent_services.consent_override(
            actor=request.user, case=case, **serializer.validated_data
        )
        return Response(
            OverrideSerializer(override, context=_context(case)).data, status=status.HTTP_201_CREATED
        )
