"""Closure and reopening of a case (docs/api.md "Case files"). Each answers 200 with the case; 400 bad input,
403 not allowed (the requester approving their own closure), 404 out of reach, 409 `illegal_transition`
(approving a closure nobody requested, reopening an open case) or `stale_version` (with `version`)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from core.fields import StrictCharField

from .. import policies, selectors
from ..models import ClosureReason
from ..services import workflow as services
from .detail import CaseDetailSerializer, case_answer


class ClosureRequestSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ClosureReason.choices)
    notes = StrictCharField(required=False, allow_blank=True, max_length=4000, default="")
    version = serializers.IntegerField(required=False)


class DecisionSerializer(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, max_length=4000, default="")
    version = serializers.IntegerField(required=False)


class ReopenSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=4000)
    version = serializers.IntegerField(required=False)


class _Action(APIView):
    policy = policies.CasePolicy
    input_serializer = DecisionSerializer
    action = policies.VIEW  # checked by the service (which also tells the requester why)
    purpose = ""

    def run(self, user, case, data: dict):  # pragma: no cover - each subclass says
        raise NotImplementedError

    def post(self, request, pk):
        case = selectors.access_case(request.user, pk, self.action, purpose=self.purpose)
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.run(request.user, case, serializer.validated_data)
        return case_answer(request.user, case)


class RequestClosureView(_Action):
    """`{"reason": code, "notes"}`: from new or active."""

    required_actions = {"POST": policies.CHANGE}
    input_serializer = ClosureRequestSerializer
    action = policies.CHANGE
    purpose = "request-closure"

    def run(self, user, case, v):
        services.closure_request(
            actor=user, case=case, reason=v["reason"], notes=v["notes"], expected_version=v.get("version")
        )

    @extend_schema(request=ClosureRequestSerializer, responses=CaseDetailSerializer)
    def post(self, request, pk):
        return super().post(request, pk)


class ApproveClosureView(_Action):
    """Approve a requested closure: a station manager other than the one who asked."""

    required_actions = {"POST": policies.APPROVE}
    purpose = "approve-closure"

    def run(self, user, case, v):
        services.closure_approve(actor=user, case=case, expected_version=v.get("version"))

    @extend_schema(request=DecisionSerializer, responses=CaseDetailSerializer)
    def post(self, request, pk):
        return super().post(request, pk)


class RefuseClosureView(_Action):
    """Refuse a requested closure (`{"note"}` optional): the case is active again."""

    required_actions = {"POST": policies.APPROVE}
    purpose = "refuse-closure"

    def run(self, user, case, v):
        services.closure_refuse(actor=user, case=case, note=v["note"], expected_version=v.get("version"))

    @extend_schema(request=DecisionSerializer, responses=CaseDetailSerializer)
    def post(self, request, pk):
        return super().post(request, pk)


class ReopenView(_Action):
    """`{"reason": text}`: a closed case becomes active."""

    required_actions = {"POST": policies.CHANGE}
    input_serializer = ReopenSerializer
    action = policies.CHANGE
    purpose = "reopen"

    def run(self, user, case, v):
        services.case_reopen(actor=user, case=case, reason=v["reason"], expected_version=v.get("version"))

    @extend_schema(request=ReopenSerializer, responses=CaseDetailSerializer)
    def post(self, request, pk):
        return super().post(request, pk)
