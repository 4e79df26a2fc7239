"""`GET /api/v1/cases/` (the cases the caller may see, cursor pages) and `POST /api/v1/cases/` (opening a
case by hand). docs/api.md "Case files"."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from core.fields import StrictCharField
from core.keyset import KeysetPagination
from people.models import Gender

from .. import selectors
from ..forms.lists import HAND_SOURCES, CaseApiFilterForm
from ..models import CaseStatus
from ..policies import CasePolicy
from ..services.opening import PersonData, case_open
from .serializers import CaseSerializer

FILTER_PARAMS = [
    OpenApiParameter("interception", int, description="An interception's id: the cases it opened"),
    OpenApiParameter("status", str, enum=CaseStatus.values),
    OpenApiParameter("assigned_to", str, description="A case manager's username"),
    OpenApiParameter("station", str, description="Station code"),
    OpenApiParameter(
        "mine", bool, description="true: the caller's own open cases, overdue follow-ups first ('My cases')"
    ),
]


class PersonInputSerializer(serializers.Serializer):
    full_name = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, default=Gender.UNKNOWN)
    age = serializers.IntegerField(min_value=0, max_value=120, required=False, allow_null=True, default=None)
    phone = StrictCharField(max_length=40, required=False, allow_blank=True, default="")
    address = StrictCharField(max_length=300, required=False, allow_blank=True, default="")
    nationality = StrictCharField(max_length=2, required=False, allow_blank=True, default="")
    identity = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="A known identity's id (optional)"
    )


class CaseOpenSerializer(serializers.Serializer):
    station = StrictCharField(max_length=10, help_text="Station code")
    source = serializers.ChoiceField(choices=HAND_SOURCES)
    source_notes = StrictCharField(required=False, allow_blank=True, default="")
    person = PersonInputSerializer()


class CaseListView(GenericAPIView):
    """The cases the caller may see (GET, cursor pages, the ids shown logged) and opening one by hand
    (POST, `add` on cases at the station; Idempotency-Key header)."""

    serializer_class = CaseSerializer
    policy = CasePolicy
    required_actions = {"GET": "view", "POST": "add"}
    pagination_class = KeysetPagination

    def _filters(self):
        form = CaseApiFilterForm(self.request.query_params)
        if not form.is_valid():
            raise ValidationError(
                {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
            )
        return form.filters()

    @extend_schema(parameters=FILTER_PARAMS, responses=CaseSerializer(many=True))
    def get(self, request):
        filters = self._filters()
        rows = selectors.case_rows(user=request.user, filters=filters)
        qs = selectors.with_summary(selectors.with_access_flags(rows, request.user))
        if filters.mine:
            # overdue follow-ups first, then the next due, then the newest (all ascending keys)
            self.keyset_fields, self.keyset_descending = selectors.MINE_KEYSET, False
            qs = selectors.with_mine_keys(qs)
        else:
            self.keyset_fields, self.keyset_descending = selectors.NEWEST_KEYSET, True
        rows = self.paginate_queryset(qs)
        by_cursor = self.paginator.by_cursor
        rows = selectors.log_case_list(
            request.user, rows, filters=filters, page=0 if by_cursor else 1, api=True
        )
        return self.get_paginated_response(CaseSerializer(rows, many=True).data)

    @extend_schema(request=CaseOpenSerializer, responses={201: CaseSerializer, 200: CaseSerializer})
    def post(self, request):
        serializer = CaseOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        station = (
            selectors.stations_to_open_at(request.user).filter(code=v["station"].strip().upper()).first()
        )
        if station is None:
            raise ValidationError({"station": _("Unknown station, or you cannot open case files there.")})
        p = v["person"]
        case, created = case_open(
            actor=request.user,
            station=station,
            source=v["source"],
            source_notes=v.get("source_notes") or "",
            person=PersonData(
                full_name=p["full_name"],
                gender=p["gender"],
                age=p["age"],
                phone=p["phone"],
                address=p["address"],
                nationality=(p["nationality"] or "").upper(),
                identity=p["identity"],
            ),
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        # The answer shows the case: read through the access check, which logs the read.
        case = selectors.access_case(request.user, case.pk, purpose="create" if created else "replay")
        headers = {} if created else {"Idempotent-Replayed": "true"}
        return Response(
            CaseSerializer(case).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers=headers,
        )
