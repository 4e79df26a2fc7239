"""Referrals of a case in the API (docs/api.md "Case files"): the same rules as the pages. Every request
fetches the case through `selectors.access_case` (out of reach: 404; visible but not allowed: 403; the read
logged); every write goes through cases.services.referrals."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import StrictCharField
from people.masking import mask

from .. import policies, selectors
from ..policies import CasePolicy
from ..services import referrals as referral_services


class ReferralSerializer(serializers.Serializer):
    """One referral. `note` is sensitive. `state`: live, expired or revoked."""

    id = serializers.IntegerField(read_only=True)
    case = serializers.IntegerField(source="case_id", read_only=True)
    to_user = serializers.SerializerMethodField(help_text="The username referred to, or null.")
    to_station = serializers.SerializerMethodField(help_text="The station code referred to, or null.")
    note = serializers.SerializerMethodField(help_text="Sensitive: masked without view_sensitive.")
    expires_at = serializers.DateTimeField(read_only=True)
    state = serializers.SerializerMethodField()
    created_by = StrictCharField(source="created_by.username", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    revoked_by = serializers.SerializerMethodField()
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_to_user(self, referral) -> str | None:
        return referral.to_user.username if referral.to_user_id else None

    def get_to_station(self, referral) -> str | None:
        return referral.to_station.code if referral.to_station_id else None

    def get_note(self, referral) -> str:
        return mask(referral.note, bool(self.context.get("sensitive")))

    def get_state(self, referral) -> str:
        return selectors.referral_state(referral)

    def get_revoked_by(self, referral) -> str | None:
        return referral.revoked_by.username if referral.revoked_by_id else None


class ReferralInputSerializer(serializers.Serializer):
    to_user = StrictCharField(required=False, allow_blank=True, default="", help_text="A username.")
    to_station = StrictCharField(required=False, allow_blank=True, default="", help_text="A station code.")
    note = StrictCharField(required=False, allow_blank=True, default="")
    expires_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="The last day of access (default: 90 days)."
    )


class RevokeInputSerializer(serializers.Serializer):
    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=500)


def _context(case) -> dict:
    return {"sensitive": bool(case.can_see_sensitive)}


class ReferralListView(APIView):
    """The referrals of one case, newest first (GET); referring it to one user or one station (POST: needs
    her sharing consent or an unused override, else 400 on `consent`; optional Idempotency-Key)."""

    policy = CasePolicy
    required_actions = {"GET": policies.VIEW, "POST": policies.REFER}

    @extend_schema(responses=ReferralSerializer(many=True))
    def get(self, request, pk):
        case = selectors.access_case(request.user, pk, purpose="referrals")
        rows = selectors.referrals_of(case)
        return Response({"results": ReferralSerializer(rows, many=True, context=_context(case)).data})

    @extend_schema(request=ReferralInputSerializer, responses={201: ReferralSerializer})
    def post(self, request, pk):
        case = selectors.access_case(request.user, pk, policies.REFER, purpose="referral")
        serializer = ReferralInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        referral, created = referral_services.referral_create(
            actor=request.user,
            case=case,
            idempotency_key=request.headers.get("Idempotency-Key"),
            **serializer.validated_data,
        )
        return Response(
            ReferralSerializer(selectors.referral_of(case, referral.pk), context=_context(case)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={} if created else {"Idempotent-Replayed": "true"},
        )


class ReferralRevokeView(APIView):
    """Taking a referral back at once (POST). A referral revoked or expired already: 409
    illegal_transition."""

    policy = CasePolicy
    required_actions = {"POST": policies.REFER}

    @extend_schema(request=RevokeInputSerializer, responses=ReferralSerializer)
    def post(self, request, pk, referral_pk):
        case = selectors.access_case(request.user, pk, policies.REFER, purpose="referral_revoke")
        referral = selectors.referral_of(case, referral_pk)
        if referral is None:
            raise Http404("No such referral.")
        serializer = RevokeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        referral_services.referral_revoke(
            actor=request.user, case=case, referral=referral, reason=serializer.validated_data["reason"]
        )
        return Response(
            ReferralSerializer(selectors.referral_of(case, referral.pk), context=_context(case)).data
        )
