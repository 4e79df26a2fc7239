"""Services and follow-ups of a case in the API (docs/api.md "Case files"): the same rules as the pages.
Every request fetches the case through `selectors.access_case` (out of reach: 404; visible but not to be
worked on: 403; the read logged); every write goes through cases.services.care."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import StrictCharField
from people.masking import mask

from .. import policies, selectors
from ..models import (
    FollowUpMethod,
    InterceptionOutcome,
    ProviderKind,
    Risk,
    ServiceKind,
    ServiceStatus,
    Situation,
)
from ..policies import CasePolicy
from ..services import care

# --- output -----------------------------------------------------------------------------------------------


class ServiceSerializer(serializers.Serializer):
    """One service. `outcome` is sensitive: "[restricted]" without view_sensitive on the case."""

    id = serializers.IntegerField(read_only=True)
    case = serializers.IntegerField(source="case_id", read_only=True)
    kind = StrictCharField(read_only=True)
    provider_kind = StrictCharField(read_only=True)
    provider = StrictCharField(read_only=True)
    started_on = serializers.DateField(read_only=True)
    ended_on = serializers.DateField(read_only=True, allow_null=True)
    status = StrictCharField(read_only=True)
    outcome = serializers.SerializerMethodField(help_text="Sensitive: masked without view_sensitive.")
    version = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_outcome(self, service) -> str:
        return mask(service.outcome, bool(self.context.get("sensitive")))


class FollowUpSerializer(serializers.Serializer):
    """One follow-up. `notes` and `risk_reasons` are sensitive. `overdue`: due before today at the case's
    station and not done."""

    id = serializers.IntegerField(read_only=True)
    case = serializers.IntegerField(source="case_id", read_only=True)
    due_on = serializers.DateField(read_only=True)
    method = StrictCharField(read_only=True)
    overdue = serializers.SerializerMethodField()
    done_on = serializers.DateField(read_only=True, allow_null=True)
    situation = StrictCharField(read_only=True)
    notes = serializers.SerializerMethodField(help_text="Sensitive: masked without view_sensitive.")
    risk = StrictCharField(read_only=True)
    risk_reasons = serializers.SerializerMethodField(help_text="Sensitive: masked without view_sensitive.")
    interception_outcome = StrictCharField(read_only=True)
    done_by = serializers.SerializerMethodField(help_text="The username of who recorded it, or null.")
    version = serializers.IntegerField(read_only=True)

    def get_overdue(self, follow_up) -> bool:
        today = self.context.get("today")
        return follow_up.done_on is None and today is not None and follow_up.due_on < today

    def get_notes(self, follow_up) -> str:
        return mask(follow_up.notes, bool(self.context.get("sensitive")))

    def get_risk_reasons(self, follow_up) -> str:
        return mask(follow_up.risk_reasons, bool(self.context.get("sensitive")))

    def get_done_by(self, follow_up) -> str | None:
        return follow_up.done_by.username if follow_up.done_by_id else None


# --- input ------------------------------------------------------------------------------------------------


class ServiceInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ServiceKind.choices)
    provider = StrictCharField(max_length=200)
    started_on = serializers.DateField()
    provider_kind = serializers.ChoiceField(choices=ProviderKind.choices, default=ProviderKind.OWN)
    ended_on = serializers.DateField(required=False, allow_null=True, default=None)
    status = serializers.ChoiceField(choices=ServiceStatus.choices, default=ServiceStatus.ONGOING)
    outcome = StrictCharField(required=False, allow_blank=True, default="")


class ServicePatchSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ServiceKind.choices, required=False)
    provider = StrictCharField(max_length=200, required=False)
    started_on = serializers.DateField(required=False)
    provider_kind = serializers.ChoiceField(choices=ProviderKind.choices, required=False)
    ended_on = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=ServiceStatus.choices, required=False)
    outcome = StrictCharField(required=False, allow_blank=True)
    version = serializers.IntegerField(help_text="The version you edited (a stale one: 409 stale_version).")


class FollowUpInputSerializer(serializers.Serializer):
    due_on = serializers.DateField()
    method = serializers.ChoiceField(choices=FollowUpMethod.choices)


class FollowUpDoneSerializer(serializers.Serializer):
    done_on = serializers.DateField(help_text="Not in the future (the station's date).")
    situation = serializers.ChoiceField(choices=Situation.choices)
    notes = StrictCharField(required=False, allow_blank=True, default="")
    risk = serializers.ChoiceField(
        choices=Risk.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="The risk re-assessed: becomes the case's risk (with risk_reasons).",
    )
    risk_reasons = StrictCharField(required=False, allow_blank=True, default="")
    interception_outcome = serializers.ChoiceField(
        choices=InterceptionOutcome.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="What became of the interception for this person (cases opened from an interception only): "
        "becomes the case's.",
    )
    next_due_on = serializers.DateField(required=False, allow_null=True, default=None)
    next_method = serializers.ChoiceField(
        choices=FollowUpMethod.choices, required=False, allow_null=True, default=None
    )
    version = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Optional: the version you saw."
    )


def _context(case) -> dict:
    return {"sensitive": bool(case.can_see_sensitive), "today": care.local_today(case.station)}


def _key(request):
    return request.headers.get("Idempotency-Key")


# --- views ------------------------------------------------------------------------------------------------


class ServiceListView(APIView):
    """The services of one case (GET) and adding one (POST, with an optional Idempotency-Key)."""

    policy = CasePolicy
    required_actions = {"GET": policies.VIEW, "POST": policies.CHANGE}

    @extend_schema(responses=ServiceSerializer(many=True))
    def get(self, request, pk):
        case = selectors.access_case(request.user, pk, purpose="services")
        rows = selectors.services_of(case)
        return Response({"results": ServiceSerializer(rows, many=True, context=_context(case)).data})

    @extend_schema(request=ServiceInputSerializer, responses={201: ServiceSerializer})
    def post(self, request, pk):
        case = selectors.access_case(request.user, pk, policies.CHANGE, purpose="service_add")
        serializer = ServiceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service, created = care.service_add(
            actor=request.user, case=case, idempotency_key=_key(request), **serializer.validated_data
        )
        return Response(
            ServiceSerializer(service, context=_context(case)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={} if created else {"Idempotent-Replayed": "true"},
        )


class ServiceDetailView(APIView):
    """One service (GET) and changing it (PATCH, with the `version` edited)."""

    policy = CasePolicy
    required_actions = {"GET": policies.VIEW, "PATCH": policies.CHANGE}

    @extend_schema(responses=ServiceSerializer)
    def get(self, request, pk, service_pk):
        case = selectors.access_case(request.user, pk, purpose="service")
        service = selectors.service_of(case, service_pk)
        return Response(ServiceSerializer(service, context=_context(case)).data)

    @extend_schema(request=ServicePatchSerializer, responses=ServiceSerializer)
    def patch(self, request, pk, service_pk):
        case = selectors.access_case(request.user, pk, policies.CHANGE, purpose="service_change")
        service = selectors.service_of(case, service_pk)
        serializer = ServicePatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        version = fields.pop("version")
        service = care.service_update(actor=request.user, service=service, expected_version=version, **fields)
        return Response(ServiceSerializer(service, context=_context(case)).data)


class FollowUpListView(APIView):
    """The follow-ups of one case by due date (GET) and planning one (POST, optional Idempotency-Key)."""

    policy = CasePolicy
    required_actions = {"GET": policies.VIEW, "POST": policies.CHANGE}

    @extend_schema(responses=FollowUpSerializer(many=True))
    def get(self, request, pk):
        case = selectors.access_case(request.user, pk, purpose="follow_ups")
        rows = selectors.follow_ups_of(case)
        return Response({"results": FollowUpSerializer(rows, many=True, context=_context(case)).data})

    @extend_schema(request=FollowUpInputSerializer, responses={201: FollowUpSerializer})
    def post(self, request, pk):
        case = selectors.access_case(request.user, pk, policies.CHANGE, purpose="follow_up_add")
        serializer = FollowUpInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        follow_up, created = care.follow_up_add(
            actor=request.user, case=case, idempotency_key=_key(request), **serializer.validated_data
        )
        return Response(
            FollowUpSerializer(follow_up, context=_context(case)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={} if created else {"Idempotent-Replayed": "true"},
        )


class FollowUpDetailView(APIView):
    """One follow-up (GET), and recording it as done (PATCH): the answer is the follow-up, with `next`, the
    id of the next follow-up when `next_due_on` planned one."""

    policy = CasePolicy
    required_actions = {"GET": policies.VIEW, "PATCH": policies.CHANGE}

    @extend_schema(responses=FollowUpSerializer)
    def get(self, request, pk, follow_up_pk):
        case = selectors.access_case(request.user, pk, purpose="follow_up")
        follow_up = selectors.follow_up_of(case, follow_up_pk)
        return Response(FollowUpSerializer(follow_up, context=_context(case)).data)

    @extend_schema(request=FollowUpDoneSerializer, responses=FollowUpSerializer)
    def patch(self, request, pk, follow_up_pk):
        case = selectors.access_case(request.user, pk, policies.CHANGE, purpose="follow_up_done")
        follow_up = selectors.follow_up_of(case, follow_up_pk)
        serializer = FollowUpDoneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = dict(serializer.validated_data)
        if v.get("next_due_on") is None and v.get("next_method"):
            raise ValidationError({"next_due_on": _("Give the date of the next follow-up, or no method.")})
        done, following = care.follow_up_record(
            actor=request.user,
            follow_up=follow_up,
            expected_version=v.pop("version"),
            **v,
        )
        done = selectors.follow_up_of(case, done.pk)
        data = FollowUpSerializer(done, context=_context(case)).data
        data["next"] = following.pk if following else None
        return Response(data)
