from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView

from core.keyset import KeysetPagination
from core.permissions import Check, PolicyPermission

from . import selectors
from .forms import EventFilterForm
from .policies import can_read_log
from .serializers import AccessEventSerializer

FILTER_PARAMS = [
    OpenApiParameter("actor", str, description="Username, exact"),
    OpenApiParameter("action", str, description='Exact, or a prefix when it ends with "." ("interception.")'),
    OpenApiParameter("object_type", str, description="Record type, e.g. interception"),
    OpenApiParameter(
        "object_id", str, description="Record id (with object_type: also the list and bulk events naming it)"
    ),
    OpenApiParameter("number", str, description="Interception number: every event about that record"),
    OpenApiParameter("station", str, description="Station code"),
    OpenApiParameter("since", str, description="YYYY-MM-DD (from that day's start, UTC) or ISO date-time"),
    OpenApiParameter("until", str, description="YYYY-MM-DD (to that day's end, UTC) or ISO date-time"),
]


READ_LOG_MESSAGE = _("Only auditors may read the access log.")


class AuditEventList(ListAPIView):
    """The access log, for auditors: events of the stations they audit, newest first. Reading is logged,
    naming the events returned."""

    # The page is fetched and its read logged by `audit.selectors.event_cursor_page` (one read path): cursor
    # pages newest first by id (core.keyset), which the primary key's index serves at any depth. The HTML
    # page keeps page numbers.

    serializer_class = AccessEventSerializer
    permission_classes = [PolicyPermission]
    policy = Check(can_read_log, READ_LOG_MESSAGE)
    required_actions = {"GET": "view"}
    pagination_class = KeysetPagination
    keyset_fields = ("id",)
    keyset_descending = True

    def filters(self) -> selectors.EventFilters:
        form = EventFilterForm(self.request.query_params)
        if not form.is_valid():
            raise ValidationError(form.error_dict())
        return form.filters()

    @extend_schema(parameters=FILTER_PARAMS)
    def get(self, request, *args, **kwargs):
        filters = self.filters()
        rows = selectors.event_cursor_page(
            user=request.user,
            filters=filters,
            paginator=self.paginator,
            request=request,
            view=self,
        )
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)
