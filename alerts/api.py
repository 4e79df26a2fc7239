from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import Authenticated

from . import selectors, services
from .models import Rule
from .serializers import NotificationSerializer

# The values `unread` accepts, exactly as the schema declares them.
FLAGS = {"1": True, "true": True, "0": False, "false": False}


class NotificationList(ListAPIView):
    """The caller's own notifications, newest first. `?unread=1` for unread ones only (`?unread=0`: read);
    `?rule=high_risk` (or another rule) for one kind of alert."""

    serializer_class = NotificationSerializer
    policy = Authenticated  # the selector returns the caller's own notifications only
    required_actions = {"GET": "view"}

    def get_queryset(self):
        value = self.request.query_params.get("unread")
        if value is not None and value not in FLAGS:
            raise ValidationError(
                {
                    "unread": _(
                        "Use unread=1 or unread=true (unread only), unread=0 or unread=false (read only)."
                    )
                }
            )
        unread = FLAGS[value] if value is not None else None
        rule = self.request.query_params.get("rule") or None
        if rule is not None and rule not in Rule.values:
            raise ValidationError({"rule": _("Use one of: %(rules)s.") % {"rules": ", ".join(Rule.values)}})
        return selectors.notification_list(user=self.request.user, unread=unread, rule=rule)

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", str, enum=list(FLAGS)),
            OpenApiParameter("rule", str, enum=Rule.values, description="Only notifications of this rule"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NotificationRead(APIView):
    """Mark one of the caller's own notifications read; anyone else's answers 404."""

    serializer_class = NotificationSerializer
    policy = Authenticated  # the service finds the caller's own notification only
    required_actions = {"POST": "change"}

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request, pk):
        notification = services.notification_mark_read(actor=request.user, notification_id=pk)
        return Response(NotificationSerializer(notification).data)
