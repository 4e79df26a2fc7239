from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import can_at_station, stations_for
from accounts.roles import Action
from audit.services import record_event

from . import selectors, services
from .forms import InterceptionFilterForm
from .models import Status
from .serializers import AttachmentUploadSerializer, InterceptionSerializer, RedFlagSerializer
from .views import serve_attachment

FILTER_PARAMS = [
    OpenApiParameter("station", str, description="Station code"),
    OpenApiParameter("date_from", str, description="Local date at the station, YYYY-MM-DD"),
    OpenApiParameter("date_to", str, description="Local date at the station, YYYY-MM-DD"),
    OpenApiParameter("status", str, enum=Status.values),
    OpenApiParameter("min_score", int),
    OpenApiParameter("number", str, description="Part of the interception number"),
]


class InterceptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Interceptions the caller may see. Writes go through interception.services."""

    serializer_class = InterceptionSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        form = InterceptionFilterForm(self.request.query_params)
        if not form.is_valid():
            raise ValidationError(
                {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
            )
        self._filters = form.filters()
        return selectors.with_details(
            selectors.interception_list(user=self.request.user, filters=self._filters)
        )

    @extend_schema(parameters=FILTER_PARAMS)
    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        record_event(
            actor=request.user,
            action="interception.list",
            details={"filters": self._filters.as_details(), "count": response.data.get("count"), "api": True},
        )
        return response

    def retrieve(self, request, pk=None):
        interception = selectors.interception_get(user=request.user, pk=pk)
        record_event(
            actor=request.user,
            action="interception.view",
            obj=interception,
            station=interception.station,
            details={"number": interception.number, "api": True},
        )
        return Response(self.get_serializer(interception).data)

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        station = (
            stations_for(request.user, "interception", Action.ADD).filter(code=v["station"].upper()).first()
        )
        key = request.headers.get("Idempotency-Key")
        if station is None:
            raise ValidationError({"station": "Unknown station, or you cannot record interceptions there."})
        interception, created = services.interception_create(
            actor=request.user,
            station=station,
            data=serializer.to_service_data(v),
            submit=v["status"] == Status.SUBMITTED,
            idempotency_key=key,
        )
        interception = selectors.interception_get(user=request.user, pk=interception.pk)
        headers = {} if created else {"Idempotent-Replayed": "true"}
        return Response(
            self.get_serializer(interception).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers=headers,
        )

    def partial_update(self, request, pk=None):
        interception = selectors.interception_get(user=request.user, pk=pk)
        if not (
            interception.can_see_sensitive
            and can_at_station(request.user, interception.station, "interception", Action.CHANGE)
        ):
            raise PermissionDenied("You cannot change interceptions at this station.")
        serializer = self.get_serializer(interception, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        if "version" not in v:
            raise ValidationError(
                {"version": "Send the version you edited, so a colleague's save is not overwritten."}
            )
        if "station" in v and v["station"].upper() != interception.station.code:
            raise ValidationError({"station": "An interception cannot move to another station."})
        if v.get("status") == Status.DRAFT and interception.status == Status.SUBMITTED:
            raise ValidationError({"status": "A submitted interception cannot go back to draft."})
        updated = services.interception_update(
            actor=request.user,
            interception=interception,
            expected_version=v["version"],
            data=serializer.to_service_data(v, base=services.data_from_instance(interception)),
            submit=v.get("status") == Status.SUBMITTED,
        )
        updated = selectors.interception_get(user=request.user, pk=updated.pk)
        return Response(self.get_serializer(updated).data)

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer}, responses=InterceptionSerializer
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser], url_path="attachments")
    def attachments(self, request, pk=None):
        interception = selectors.interception_get(user=request.user, pk=pk)
        if not can_at_station(request.user, interception.station, "attachment", Action.ADD):
            raise PermissionDenied("You cannot add attachments at this station.")
        upload = AttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        services.attachment_add(
            actor=request.user, interception=interception, uploaded_file=upload.validated_data["file"]
        )
        interception = selectors.interception_get(user=request.user, pk=pk)
        return Response(self.get_serializer(interception).data, status=status.HTTP_201_CREATED)


class AttachmentDownloadView(APIView):
    """The file of one attachment, streamed after the access check (the same as the page's link)."""

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, pk, attachment_pk):
        attachment = selectors.attachment_get(user=request.user, interception_pk=pk, pk=attachment_pk)
        return serve_attachment(request, attachment)

    @extend_schema(responses={204: None})
    def delete(self, request, pk, attachment_pk):
        attachment = selectors.attachment_get(user=request.user, interception_pk=pk, pk=attachment_pk)
        services.attachment_delete(actor=request.user, attachment=attachment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ShareSerializer(serializers.Serializer):
    user = serializers.CharField(required=False, max_length=150)
    group = serializers.CharField(required=False, max_length=150)
    level = serializers.ChoiceField(choices=["view", "view_sensitive", "none"])

    def validate(self, data):
        # A Django ValidationError here becomes a field error of the serializer (DRF converts it).
        data["target"] = services.share_target(user=data.get("user"), group=data.get("group"))
        return data


class InterceptionSharesView(APIView):
    """Who one interception is shared with (GET), and sharing or unsharing it (POST, level "none")."""

    def _get(self, request, pk):
        interception = selectors.interception_get(user=request.user, pk=pk)
        if not can_at_station(request.user, interception.station, "interception", Action.SHARE):
            raise PermissionDenied("You cannot share interceptions at this station.")
        return interception

    @extend_schema(responses={200: dict})
    def get(self, request, pk):
        return Response(selectors.shares_of(self._get(request, pk)))

    @extend_schema(request=ShareSerializer, responses={200: dict})
    def post(self, request, pk):
        interception = self._get(request, pk)
        serializer = ShareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        services.interception_share(
            actor=request.user, interception=interception, level=v["level"], **v["target"]
        )
        return Response(selectors.shares_of(interception))


class RedFlagViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The active red-flag catalogue for the caller's stations."""

    serializer_class = RedFlagSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.red_flags_for_user(self.request.user).select_related("country")
