"""Legal cases in the API (docs/api.md "Prosecution"): the list and opening one (`/legal-cases/`), one legal
case and its complaint (`/legal-cases/{id}/`), its stage (`/stage/`) and its timeline (`/timeline/`).
Answers: 400 bad input, 403 not allowed (a director changing), 404 out of reach, 409 `illegal_transition` or
`stale_version`."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import StrictCharField
from core.keyset import KeysetPagination

from .. import policies, selectors, timeline
from ..models import Stage
from ..policies import LegalCasePolicy
from ..services import cases as services
from .serializers import LegalCaseDetailSerializer, LegalCaseSerializer

FILTER_PARAMS = [
    OpenApiParameter("stage", str, enum=Stage.values),
    OpenApiParameter("station", str, description="Station code"),
]


class LegalCaseFilterSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    station = StrictCharField(max_length=10, required=False)


class LegalCaseOpenSerializer(serializers.Serializer):
    station = StrictCharField(max_length=10, help_text="Station code")
    interceptions = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list
    )
    victim_cases = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list
    )
    complaint_number = StrictCharField(max_length=60, required=False, allow_blank=True, default="")
    complaint_filed_on = serializers.DateField(required=False, allow_null=True, default=None)
    police_station = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    district = StrictCharField(
        max_length=120, required=False, allow_blank=True, default="", help_text="A Place code, or text"
    )
    summary = StrictCharField(required=False, allow_blank=True, default="", max_length=10000)


class LegalCaseUpdateSerializer(serializers.Serializer):
    complaint_number = StrictCharField(max_length=60, required=False, allow_blank=True)
    complaint_filed_on = serializers.DateField(required=False, allow_null=True)
    police_station = StrictCharField(max_length=200, required=False, allow_blank=True)
    district = StrictCharField(max_length=120, required=False, allow_blank=True)
    summary = StrictCharField(required=False, allow_blank=True, max_length=10000)
    version = serializers.IntegerField(help_text="The version you edited: a stale one answers 409.")


class StageSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(
        choices=[*Stage.values, services.REOPEN], help_text="The next stage, or 'reopen' (closed, not filed)."
    )
    reason = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=1000,
        help_text="not_filed: a reason code; reopening: why (at most 100 characters).",
    )
    notes = StrictCharField(required=False, allow_blank=True, default="", max_length=4000)
    version = serializers.IntegerField(required=False)


def _invalid(serializer) -> None:
    if not serializer.is_valid():
        raise ValidationError({k: [str(m) for m in v] for k, v in serializer.errors.items()})


def detail_answer(legal_case, *, status_code=status.HTTP_200_OK, headers=None) -> Response:
    """The legal case as it is now (after a write in this request), with the reader's access flag."""
    fresh = selectors.with_detail(selectors.reload(legal_case))
    return Response(LegalCaseDetailSerializer(fresh).data, status=status_code, headers=headers or {})


class LegalCaseListView(GenericAPIView):
    """The legal cases the caller may see, newest first (GET, cursor pages, the ids shown logged), and
    opening one (POST, `add` on legal cases at the station; Idempotency-Key header)."""

    policy = LegalCasePolicy
    required_actions = {"GET": policies.VIEW, "POST": "add"}
    serializer_class = LegalCaseSerializer
    pagination_class = KeysetPagination
    keyset_fields = selectors.NEWEST_KEYSET
    keyset_descending = True

    @extend_schema(parameters=FILTER_PARAMS, responses=LegalCaseSerializer(many=True))
    def get(self, request):
        f = LegalCaseFilterSerializer(data=request.query_params)
        _invalid(f)
        filters = selectors.LegalCaseFilters(
            stage=f.validated_data.get("stage") or None,
            station=(f.validated_data.get("station") or "").strip().upper() or None,
        )
        rows = selectors.legal_case_rows(user=request.user, filters=filters)
        qs = selectors.with_access_flags(rows, request.user).select_related("station", "district")
        page = self.paginate_queryset(qs)
        page = selectors.log_legal_case_list(
            request.user, page, filters=filters, page=0 if self.paginator.by_cursor else 1, api=True
        )
        return self.get_paginated_response(LegalCaseSerializer(page, many=True).data)

    @extend_schema(
        request=LegalCaseOpenSerializer,
        responses={201: LegalCaseDetailSerializer, 200: LegalCaseDetailSerializer},
    )
    def post(self, request):
        serializer = LegalCaseOpenSerializer(data=request.data)
        _invalid(serializer)
        v = serializer.validated_data
        station = (
            selectors.stations_to_open_legal_cases_at(request.user)
            .filter(code=v["station"].strip().upper())
            .first()
        )
        if station is None:
            raise ValidationError({"station": _("Unknown station, or you cannot open legal cases there.")})
        legal_case, created = services.legal_case_open(
            actor=request.user,
            station=station,
            interceptions=v["interceptions"],
            victim_cases=v["victim_cases"],
            complaint_number=v["complaint_number"],
            complaint_filed_on=v["complaint_filed_on"],
            police_station=v["police_station"],
            district=v["district"],
            summary=v["summary"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        legal_case = selectors.access_legal_case(
            request.user, legal_case.pk, purpose="create" if created else "replay"
        )
        return detail_answer(
            legal_case,
            status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={} if created else {"Idempotent-Replayed": "true"},
        )


class LegalCaseDetailView(APIView):
    """GET one legal case (with its completeness); PATCH its complaint and summary (with `version`)."""

    policy = LegalCasePolicy
    required_actions = {"GET": policies.VIEW, "PATCH": policies.CHANGE}

    @extend_schema(responses=LegalCaseDetailSerializer)
    def get(self, request, pk):
        legal_case = selectors.access_legal_case(request.user, pk, purpose="view")
        return Response(LegalCaseDetailSerializer(selectors.with_detail(legal_case)).data)

    @extend_schema(request=LegalCaseUpdateSerializer, responses=LegalCaseDetailSerializer)
    def patch(self, request, pk):
        legal_case = selectors.access_legal_case(request.user, pk, policies.CHANGE, purpose="update")
        serializer = LegalCaseUpdateSerializer(data=request.data)
        if not serializer.is_valid():
            errors = dict(serializer.errors)
            if "version" in errors:
                errors["version"] = [
                    _("Send the version you edited, so a colleague's save is not overwritten.")
                ]
            raise ValidationError({k: [str(m) for m in v] for k, v in errors.items()})
        v = dict(serializer.validated_data)
        version = v.pop("version")
        services.legal_case_update(actor=request.user, legal_case=legal_case, expected_version=version, **v)
        return detail_answer(legal_case)


class LegalCaseStageView(APIView):
    """`{"stage", "reason"?, "notes"?, "version"?}`: the next stage; `not_filed` with a reason code;
    `reopen` (from closed or not filed) with a reason."""

    policy = LegalCasePolicy
    required_actions = {"POST": policies.CHANGE}

    @extend_schema(request=StageSerializer, responses=LegalCaseDetailSerializer)
    def post(self, request, pk):
        legal_case = selectors.access_legal_case(request.user, pk, policies.CHANGE, purpose="stage")
        serializer = StageSerializer(data=request.data)
        _invalid(serializer)
        v = serializer.validated_data
        services.legal_case_stage(
            actor=request.user,
            legal_case=legal_case,
            stage=v["stage"],
            reason=v["reason"],
            notes=v["notes"],
            expected_version=v.get("version"),
        )
        return detail_answer(legal_case)


class LegalCaseTimelineItemSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    user = StrictCharField()
    kind = StrictCharField()
    text = StrictCharField()
    url = StrictCharField(allow_blank=True)
    codes = serializers.DictField(required=False)


class LegalCaseTimelineView(APIView):
    """The legal case's timeline, newest first (codes, labels and usernames: no personal data)."""

    policy = LegalCasePolicy
    required_actions = {"GET": policies.VIEW}

    @extend_schema(responses=LegalCaseTimelineItemSerializer(many=True))
    def get(self, request, pk):
        legal_case = selectors.access_legal_case(request.user, pk, purpose="timeline")
        items = [item.as_dict() for item in timeline.timeline(legal_case)]
        return Response({"results": LegalCaseTimelineItemSerializer(items, many=True).data})
