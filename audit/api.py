from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated

from . import selectors
from .forms import EventFilterForm
from .policies import can_read_log
from .serializers import AccessEventSerializer
from .services import record_event

FILTER_PARAMS = [
    OpenApiParameter("actor", str, description="Username, exact"),
    OpenApiParameter("action", str, description='Exact, or a prefix when it ends with "." ("interception.")'),
    OpenApiParameter("object_type", str, description="Record type, e.g. interception"),
    OpenApiParameter("object_id", str, description="Record id"),
    OpenApiParameter("station", str, description="Station code"),
    OpenApiParameter("since", str, description="YYYY-MM-DD (from that day's start, UTC) or ISO date-time"),
    OpenApiParameter("until", str, description="YYYY-MM-DD (to that day's end, UTC) or ISO date-time"),
]


class CanReadAccessLog(BasePermission):
    message = "Only auditors may read the access log."

    def has_permission(self, request, view):
        return can_read_log(request.user)


class AuditEventList(ListAPIView):
    """The access log, for auditors: events of the stations they audit, newest first. Reading is logged."""

    serializer_class = AccessEventSerializer
    permission_classes = [IsAuthenticated, CanReadAccessLog]

    def get_queryset(self):
        form = EventFilterForm(self.request.query_params)
        if not form.is_valid():
            raise ValidationError(form.error_dict())
        self._filters = form.filters()
        return selectors.event_list(user=self.request.user, filters=self._filters)

    @extend_schema(parameters=FILTER_PARAMS)
    def get(self, request, *args, **kwargs):
        response = self.list(request, *args, **kwargs)
        record_event(
            actor=request.user,
            action="audit.list",
            details={"filters": self._filters.as_details(), "count": response.data.get("count"), "api": True},
        )
        return response
