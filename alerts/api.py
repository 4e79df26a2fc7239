from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .serializers import NotificationSerializer

FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


class NotificationList(ListAPIView):
    """The caller's own notifications, newest first. `?unread=1` for unread ones only (`?unread=0`: read)."""

    serializer_class = NotificationSerializer

    def get_queryset(self):
        value = self.request.query_params.get("unread")
        if value is not None and value.strip().lower() not in FLAGS:
            raise ValidationError({"unread": "Use unread=1 (unread only) or unread=0 (read only)."})
        unread = FLAGS[value.strip().lower()] if value is not None else None
        return selectors.notification_list(user=self.request.user, unread=unread)

    @extend_schema(parameters=[OpenApiParameter("unread", str, enum=["1", "0"])])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NotificationRead(APIView):
    """Mark one of the caller's own notifications read; anyone else's answers 404."""

    serializer_class = NotificationSerializer

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request, pk):
        notification = services.notification_mark_read(actor=request.user, notification_id=pk)
        return Response(NotificationSerializer(notification).data)
