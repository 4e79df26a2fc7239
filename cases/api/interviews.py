"""Victim interviews in the API (docs/api.md "Case files"): list and record them, read and edit one.

Reads go through `selectors.access_case` (fetch, check, log); writes through cases/services/interviews.py,
which checks every rule (codes, amounts, route) and derives `meets_definition`, `child_at_time` and
`alarm_score`. Without `view_sensitive` the recruiter's name and phone, what was promised, who travelled
with her, the narrative and the route's place texts read "[restricted]"."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import IdempotencyConflict
from core.fields import StrictCharField, StrictDecimalField
from people.masking import mask
from people.places import label as place_label

from .. import policies, selectors
from ..models import (
    Exploitation,
    ExploitationStage,
    PalermoAct,
    PalermoMeans,
    RecruitmentMethod,
    Willingness,
)
from ..policies import CasePolicy
from ..services import interviews as services

# --- input -----------------------------------------------------------------------------------------------


def _text(max_length=None, help_text=None):
    return StrictCharField(
        max_length=max_length, required=False, allow_blank=True, default="", help_text=help_text
    )


def _codes(help_text):
    return serializers.ListField(
        child=StrictCharField(max_length=40), required=False, default=list, help_text=help_text
    )


class PalermoSerializer(serializers.Serializer):
    acts = _codes(", ".join(PalermoAct.values))
    means = _codes(", ".join(PalermoMeans.values))
    purposes = _codes(", ".join(Exploitation.values))


class RecruiterInputSerializer(serializers.Serializer):
    identity = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="A person (identity) you may see: GET /api/v1/people/{id}/.",
    )
    name = _text(200, "Someone new: their name (a new person is recorded).")
    phone = _text(32)
    gender = _text(10)


class RouteStopInputSerializer(serializers.Serializer):
    kind = StrictCharField(max_length=20, help_text="source, transit or destination")
    place = StrictCharField(
        max_length=100,
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="A place code (GET /api/v1/places/); or give `text`.",
    )
    text = _text(200, "The place as she said it (resolved to Nepal's places when it names one).")
    country = _text(2, "ISO 3166-1 alpha-2, e.g. IN")
    arrived_on = serializers.DateField(required=False, allow_null=True, default=None)
    left_on = serializers.DateField(required=False, allow_null=True, default=None)
    transport = _text(20, "bus, jeep, motorbike, on_foot, air, train, other")


class InterviewInputSerializer(serializers.Serializer):
    """An interview to record (POST) or the fields to change (PATCH, with `version`). Codes are checked by
    the service (400 naming the field)."""

    version = serializers.IntegerField(required=False, help_text="Required on PATCH: the version you edited.")
    conducted_on = serializers.DateField(required=False, allow_null=True, default=None)
    palermo = PalermoSerializer(required=False)
    recruitment_method = _text(20, ", ".join(RecruitmentMethod.values))
    recruiter = RecruiterInputSerializer(required=False, allow_null=True)
    promised = _text()
    money_paid = StrictDecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None
    )
    debt = StrictDecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True, default=None)
    currency = _text(3, "ISO 4217, e.g. NPR (the default)")
    route = RouteStopInputSerializer(many=True, required=False, default=list)
    travelled_with = _text()
    exploitation_stage = _text(20, ", ".join(ExploitationStage.values))
    alarms = _codes("Home-situation alarm codes of the station's country (GET the case's interview form).")
    willing_to_file_complaint = _text(10, ", ".join(Willingness.values))
    willing_to_testify = _text(10, ", ".join(Willingness.values))
    narrative = _text()

    def to_service_data(self, base: services.InterviewData | None = None) -> services.InterviewData:
        """The validated input as InterviewData; on PATCH the fields not sent keep `base`'s values."""
        v = self.validated_data
        sent = set(self.initial_data) if hasattr(self.initial_data, "keys") else set()
        data = base or services.InterviewData()
        for name in (
            "conducted_on",
            "recruitment_method",
            "promised",
            "money_paid",
            "debt",
            "currency",
            "travelled_with",
            "exploitation_stage",
            "alarms",
            "willing_to_file_complaint",
            "willing_to_testify",
            "narrative",
        ):
            if base is None or name in sent:
                setattr(data, name, v.get(name))
        if base is None or "palermo" in sent:
            palermo = v.get("palermo") or {}
            for name in ("acts", "means", "purposes"):
                if base is None or name in (self.initial_data.get("palermo") or {}):
                    setattr(data, name, palermo.get(name, []))
        if base is None or "route" in sent:
            data.route = [services.RouteStopData(**stop) for stop in v.get("route", [])]
        if base is None or "recruiter" in sent:
            recruiter = v.get("recruiter") or {}
            data.recruiter_identity = recruiter.get("identity")
            data.recruiter_name = recruiter.get("name", "")
            data.recruiter_phone = recruiter.get("phone", "")
            data.recruiter_gender = recruiter.get("gender") or "unknown"
        if data.currency in (None, ""):
            data.currency = "NPR"
        return data


# The service's field names as the API names them.
ERROR_KEYS = {
    "acts": "palermo.acts",
    "means": "palermo.means",
    "purposes": "palermo.purposes",
    "recruiter_identity": "recruiter.identity",
    "recruiter_name": "recruiter.name",
    "recruiter_phone": "recruiter.phone",
    "recruiter_gender": "recruiter.gender",
}


def _api_errors(error: ValidationError) -> ValidationError:
    if isinstance(error, IdempotencyConflict) or not hasattr(error, "error_dict"):
        return error
    return ValidationError({ERROR_KEYS.get(k, k): v for k, v in error.message_dict.items()})


# --- output ----------------------------------------------------------------------------------------------


def interview_data(interview, sensitive: bool) -> dict:
    """One interview as any reader of its case may see it (the same masking as the page)."""
    recruiter = interview.recruiter
    return {
        "id": interview.pk,
        "case": interview.case_id,
        "conducted_on": interview.conducted_on.isoformat(),
        "conducted_by": interview.conducted_by.username,
        "recruiter": None
        if recruiter is None
        else {
            # the identity is an opaque number, shown with the name only to who may read names
            "identity": recruiter.identity_id if sensitive else None,
            "name": mask(recruiter.full_name, sensitive),
            "phone": mask(recruiter.phone, sensitive),
            "gender": recruiter.gender,
        },
        "recruitment_method": interview.recruitment_method,
        "promised": mask(interview.promised, sensitive),
        "money_paid": None if interview.money_paid is None else str(interview.money_paid),
        "debt": None if interview.debt is None else str(interview.debt),
        "currency": interview.currency,
        "route": [
            {
                "position": stop.position,
                "kind": stop.kind,
                "place": mask(stop.place.code if stop.place_id else None, sensitive),
                "place_label": mask(place_label(stop.place) if stop.place_id else "", sensitive),
                "text": mask(stop.place_text, sensitive),
                "country": stop.country,
                "arrived_on": stop.arrived_on.isoformat() if stop.arrived_on else None,
                "left_on": stop.left_on.isoformat() if stop.left_on else None,
                "transport": stop.transport,
            }
            for stop in interview.route.all()
        ],
        "travelled_with": mask(interview.travelled_with, sensitive),
        "exploitation_stage": interview.exploitation_stage,
        "palermo": {"acts": interview.acts, "means": interview.means, "purposes": interview.purposes},
        "child_at_time": interview.child_at_time,
        "meets_definition": interview.meets_definition,
        "alarms": [{"code": t.alarm.code, "points": t.points} for t in interview.alarm_ticks.all()],
        "alarm_score": interview.alarm_score,
        "willing_to_file_complaint": interview.willing_to_file_complaint,
        "willing_to_testify": interview.willing_to_testify,
        "narrative": mask(interview.narrative, sensitive),
        "version": interview.version,
    }


def summary_data(interview) -> dict:
    """A list row: no personal field at all."""
    return {
        "id": interview.pk,
        "conducted_on": interview.conducted_on.isoformat(),
        "conducted_by": interview.conducted_by.username,
        "meets_definition": interview.meets_definition,
        "child_at_time": interview.child_at_time,
        "alarm_score": interview.alarm_score,
        "willing_to_file_complaint": interview.willing_to_file_complaint,
        "willing_to_testify": interview.willing_to_testify,
        "version": interview.version,
    }


IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key", str, location=OpenApiParameter.HEADER, required=False, description="docs/api.md"
)


class InterviewListView(APIView):
    """GET: the case's interviews, newest first (summaries). POST: record one (201; a replayed
    Idempotency-Key answers 200 with the first one)."""

    policy = CasePolicy
    required_actions = {"GET": policies.VIEW, "POST": policies.CHANGE}

    @extend_schema(operation_id="case_interviews_list", responses={200: dict})
    def get(self, request, pk):
        case = selectors.access_case(request.user, pk, purpose="interviews")
        return Response({"results": [summary_data(i) for i in selectors.interviews_of(case)]})

    @extend_schema(
        operation_id="case_interviews_create",
        request=InterviewInputSerializer,
        responses={201: dict},
        parameters=[IDEMPOTENCY],
    )
    def post(self, request, pk):
        case = selectors.access_case(request.user, pk, policies.CHANGE, purpose="interview")
        serializer = InterviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            interview, created = services.interview_create(
                actor=request.user,
                case=case,
                data=serializer.to_service_data(),
                idempotency_key=request.headers.get("Idempotency-Key"),
            )
        except ValidationError as error:
            raise _api_errors(error) from None
        interview = selectors.interview_of(request.user, case, interview.pk)
        return Response(
            interview_data(interview, bool(case.can_see_sensitive)),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={} if created else {"Idempotent-Replayed": "true"},
        )


class InterviewDetailView(APIView):
    """GET: one interview. PATCH: change it (send `version`; a stale one answers 409 `stale_version`)."""

    policy = CasePolicy
    required_actions = {"GET": policies.VIEW, "PATCH": policies.CHANGE}

    @extend_schema(operation_id="case_interview_retrieve", responses={200: dict})
    def get(self, request, pk, interview_pk):
        case = selectors.access_case(request.user, pk, purpose="interview")
        interview = selectors.interview_of(request.user, case, interview_pk)
        return Response(interview_data(interview, bool(case.can_see_sensitive)))

    @extend_schema(
        operation_id="case_interview_update", request=InterviewInputSerializer, responses={200: dict}
    )
    def patch(self, request, pk, interview_pk):
        case = selectors.access_case(request.user, pk, policies.CHANGE, purpose="interview-change")
        interview = selectors.interview_of(request.user, case, interview_pk)
        serializer = InterviewInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        version = serializer.validated_data.get("version")
        if version is None:
            raise ValidationError(
                {"version": _("Send the version you edited, so a colleague's save is not overwritten.")}
            )
        base = services.data_from_instance(interview)
        try:
            services.interview_update(
                actor=request.user,
                interview=interview,
                data=serializer.to_service_data(base),
                expected_version=version,
            )
        except ValidationError as error:
            raise _api_errors(error) from None
        interview = selectors.interview_of(request.user, case, interview_pk)
        return Response(interview_data(interview, bool(case.can_see_sensitive)))
