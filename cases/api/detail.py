"""One case (GET), its risk (PATCH) and its timeline (docs/api.md "Case files")."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import StrictCharField
from people.masking import mask

from .. import policies, related, selectors, timeline
from ..models import Risk
from ..services import workflow as services
from .serializers import CaseSerializer


class LegalSummarySerializer(serializers.Serializer):
    """The legal status of one legal case her case file is in: no names, no narratives."""

    number = StrictCharField()
    stage = StrictCharField()
    stage_label = StrictCharField()
    charges = serializers.IntegerField()
    charge_counts = serializers.DictField(child=serializers.IntegerField())
    charges_text = StrictCharField()
    next_hearing = serializers.DateField(allow_null=True)
    contact_status = StrictCharField()
    contact_status_label = StrictCharField()
    willing_to_testify = StrictCharField()
    willing_to_testify_label = StrictCharField()


class CaseDetailSerializer(CaseSerializer):
    """A case with its closure, its risk reasons (masked without view_sensitive) and its summary: the
    consent decision in force per scope, the latest interview's willingness to testify, the latest done
    follow-up's situation (`contact_status`)."""

    risk_reasons = serializers.SerializerMethodField(help_text="Sensitive: masked without view_sensitive.")
    closure_reason = StrictCharField(read_only=True)
    closure_notes = serializers.SerializerMethodField(help_text="Sensitive: masked without view_sensitive.")
    closure_requested_by = serializers.SerializerMethodField()
    closure_requested_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_by = serializers.SerializerMethodField()
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    reopen_reason = serializers.SerializerMethodField(help_text="Sensitive: masked without view_sensitive.")
    consents = serializers.SerializerMethodField(help_text="The decision in force per scope (absent: none).")
    willing_to_testify = serializers.SerializerMethodField()
    contact_status = serializers.SerializerMethodField()
    legal = serializers.SerializerMethodField(
        help_text="The legal status of the legal cases her case file is in (docs/prosecution.md): number, "
        "stage, charges in words and counts, next hearing, her contact status and willingness to testify."
    )

    def _sensitive(self, case) -> bool:
        return bool(getattr(case, "can_see_sensitive", False))

    def _summary(self, case) -> dict:
        cache = self.context.setdefault("summaries", {})
        if case.pk not in cache:
            cache[case.pk] = selectors.case_summary(case)
        return cache[case.pk]

    def get_risk_reasons(self, case) -> str:
        return mask(case.risk_reasons, self._sensitive(case))

    def get_closure_notes(self, case) -> str:
        return mask(case.closure_notes, self._sensitive(case))

    def get_reopen_reason(self, case) -> str:
        return mask(case.reopen_reason, self._sensitive(case))

    def get_closure_requested_by(self, case) -> str | None:
        return case.closure_requested_by.username if case.closure_requested_by_id else None

    def get_closed_by(self, case) -> str | None:
        return case.closed_by.username if case.closed_by_id else None

    def get_consents(self, case) -> dict:
        return self._summary(case)["consents"]

    def get_willing_to_testify(self, case) -> str:
        return self._summary(case)["willing_to_testify"]

    def get_contact_status(self, case) -> str:
        return self._summary(case)["contact_status"]

    @extend_schema_field(LegalSummarySerializer(many=True))
    def get_legal(self, case) -> list[dict]:
        user = self.context.get("user")
        if user is None:
            return []
        return [
            {**row, "next_hearing": row["next_hearing"].isoformat() if row["next_hearing"] else None}
            for row in related.legal_summaries(user, case)
        ]


class RiskSerializer(serializers.Serializer):
    risk = serializers.ChoiceField(choices=Risk.choices)
    risk_reasons = StrictCharField(required=False, allow_blank=True, max_length=4000, default="")
    version = serializers.IntegerField(
        required=True, help_text="The version you edited: a stale one answers 409 stale_version."
    )


def case_answer(user, case) -> Response:
    """The case as it is now (after a write in this request), with the reader's access flag."""
    fresh = selectors.reload(case)
    return Response(CaseDetailSerializer(fresh, context={"user": user}).data)


class CaseDetailView(APIView):
    """GET one case; PATCH its risk `{"risk", "risk_reasons", "version"}`."""

    policy = policies.CasePolicy
    required_actions = {"GET": policies.VIEW, "PATCH": policies.CHANGE}

    @extend_schema(responses=CaseDetailSerializer)
    def get(self, request, pk):
        case = selectors.access_case(request.user, pk, purpose="view")
        return Response(CaseDetailSerializer(case, context={"user": request.user}).data)

    @extend_schema(request=RiskSerializer, responses=CaseDetailSerializer)
    def patch(self, request, pk):
        case = selectors.access_case(request.user, pk, policies.CHANGE, purpose="risk")
        serializer = RiskSerializer(data=request.data)
        if not serializer.is_valid():
            errors = dict(serializer.errors)
            if "version" in errors:
                errors["version"] = [
                    _("Send the version you edited, so a colleague's save is not overwritten.")
                ]
            raise ValidationError({k: [str(m) for m in v] for k, v in errors.items()})
        v = serializer.validated_data
        services.case_risk_set(
            actor=request.user,
            case=case,
            risk=v["risk"],
            reasons=v.get("risk_reasons", ""),
            expected_version=v["version"],
        )
        return case_answer(request.user, case)


class TimelineItemSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    user = StrictCharField()
    kind = StrictCharField()
    text = StrictCharField()
    url = StrictCharField(allow_blank=True)
    codes = serializers.DictField(required=False)


class CaseTimelineView(APIView):
    """The case's timeline, newest first (no personal data: codes, labels and usernames)."""

    policy = policies.CasePolicy
    required_actions = {"GET": policies.VIEW}

    @extend_schema(responses=TimelineItemSerializer(many=True))
    def get(self, request, pk):
        case = selectors.access_case(request.user, pk, purpose="timeline")
        items = [item.as_dict() for item in timeline.timeline(case)]
        return Response({"results": TimelineItemSerializer(items, many=True).data})
