from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import stations_for
from accounts.roles import Action
from core.keyset import KeysetPagination
from people.policies import may_search

from . import policies, selectors, services
from .forms import InterceptionFilterForm
from .models import Status
from .policies import InterceptionPolicy
from .serializers import (
    AttachmentUploadSerializer,
    InterceptionSerializer,
    InterceptionSummarySerializer,
    RedFlagSerializer,
)
from .views import serve_attachment

FILTER_PARAMS = [
    OpenApiParameter("station", str, description="Station code"),
    OpenApiParameter("date_from", str, description="Local date at the station, YYYY-MM-DD"),
    OpenApiParameter("date_to", str, description="Local date at the station, YYYY-MM-DD"),
    OpenApiParameter("status", str, enum=Status.values),
    OpenApiParameter("min_score", int),
    OpenApiParameter("number", str, description="Part of the interception number"),
    OpenApiParameter(
        "person",
        str,
        description="A person's name (any script or spelling) or phone, ≥ 2 characters: interceptions with "
        "an appearance of a person it finds, among those whose names the caller may see",
    ),
]


class InterceptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Interceptions the caller may see. Reads go through `selectors.access_interception` (fetch, check,
    log) and `selectors.log_list_read`; writes through interception.services."""

    serializer_class = InterceptionSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    policy = InterceptionPolicy
    required_actions = {"GET": policies.VIEW, "POST": "add", "PATCH": policies.CHANGE}

    # The list: cursor pages in (occurred_at DESC, id DESC), read from interception_recent_idx whatever the
    # depth (core.keyset); its rows are summaries built from plain values (docs/api.md).
    pagination_class = KeysetPagination
    keyset_fields = ("occurred_at", "id")
    keyset_descending = True

    def get_serializer_class(self):
        return InterceptionSummarySerializer if self.action == "list" else InterceptionSerializer

    def get_queryset(self):
        form = InterceptionFilterForm(self.request.query_params, person_search=may_search(self.request.user))
        if not form.is_valid():
            raise ValidationError(
                {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
            )
        self._filters = form.filters()
        return selectors.interception_rows(user=self.request.user, filters=self._filters)

    def paginate_queryset(self, queryset):
        # The page's rows, then the people counts for those rows only, then the read logged (every id and
        # station shown), as strictly as the page.
        rows = selectors.with_interceptee_counts(super().paginate_queryset(queryset), user=self.request.user)
        cursor = self.paginator.by_cursor
        return selectors.log_list_read(
            self.request.user,
            rows,
            filters=self._filters,
            count=len(rows),
            page=0 if cursor else 1,
            api=True,
            cursor=cursor,
        )

    @extend_schema(parameters=FILTER_PARAMS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, pk=None):
        interception = selectors.access_interception(request.user, pk, purpose="view")
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
            raise ValidationError(
                {"station": _("Unknown station, or you cannot record interceptions there.")}
            )
        interception, created = services.interception_create(
            actor=request.user,
            station=station,
            data=serializer.to_service_data(v),
            submit=v["status"] == Status.SUBMITTED,
            idempotency_key=key,
        )
        # The response shows the record: read it through the access check, which logs the read (a replay
        # too: the key may be old, and the caller's rights may have changed since).
        interception = selectors.access_interception(
            request.user, interception.pk, purpose="create" if created else "replay"
        )
        headers = {} if created else {"Idempotent-Replayed": "true"}
        return Response(
            self.get_serializer(interception).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers=headers,
        )

    def partial_update(self, request, pk=None):
        # Fetched, checked (a viewer who may not change it: 403) and its read logged in one call; the
        # service writes the change's own event.
        interception = selectors.access_interception(request.user, pk, policies.CHANGE, purpose="change")
        serializer = self.get_serializer(interception, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        if "version" not in v:
            raise ValidationError(
                {"version": _("Send the version you edited, so a colleague's save is not overwritten.")}
            )
        if "station" in v and v["station"].upper() != interception.station.code:
            raise ValidationError({"station": _("An interception cannot move to another station.")})
        if v.get("status") == Status.DRAFT and interception.status == Status.SUBMITTED:
            raise ValidationError({"status": _("A submitted interception cannot go back to draft.")})
        services.interception_update(
            actor=request.user,
            interception=interception,
            expected_version=v["version"],
            data=serializer.to_service_data(v, base=services.data_from_instance(interception)),
            submit=v.get("status") == Status.SUBMITTED,
        )
        return Response(self.get_serializer(selectors.reload(interception)).data)

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer}, responses=InterceptionSerializer
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser],
        url_path="attachments",
        required_actions={"POST": policies.ADD_ATTACHMENT},
    )
    def attachments(self, request, pk=None):
        interception = selectors.access_interception(
            request.user, pk, policies.ADD_ATTACHMENT, purpose="upload"
        )
        upload = AttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        services.attachment_add(
            actor=request.user,
            interception=interception,
            uploaded_file=upload.validated_data["file"],
            interceptee=upload.validated_data.get("interceptee"),
        )
        data = self.get_serializer(selectors.reload(interception)).data
        return Response(data, status=status.HTTP_201_CREATED)


class AttachmentDownloadView(APIView):
    """The file of one attachment, streamed after the access check (the same as the page's link)."""

    policy = InterceptionPolicy
    required_actions = {"GET": policies.VIEW, "DELETE": policies.DELETE_ATTACHMENT}

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, pk, attachment_pk):
        return serve_attachment(request, selectors.access_attachment(request.user, pk, attachment_pk))

    @extend_schema(responses={204: None})
    def delete(self, request, pk, attachment_pk):
        attachment = selectors.access_attachment(request.user, pk, attachment_pk, policies.DELETE_ATTACHMENT)
        services.attachment_delete(actor=request.user, attachment=attachment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ShareSerializer(serializers.Serializer):
    """Records are shared with users only: `user` is a username. A `group` is refused with a clear error."""

    user = serializers.CharField(max_length=150)
    level = serializers.ChoiceField(choices=["view", "view_sensitive", "none"])

    def to_internal_value(self, data):
        if hasattr(data, "get") and data.get("group") not in (None, ""):
            raise serializers.ValidationError({"group": [services.GROUP_SHARING_REMOVED]})
        return super().to_internal_value(data)

    def validate(self, data):
        # A Django ValidationError here becomes a field error of the serializer (DRF converts it).
        data["target"] = services.share_target(user=data["user"])["user"]
        return data


class InterceptionSharesView(APIView):
    """Who one interception is shared with (GET), and sharing or unsharing it (POST, level "none")."""

    policy = InterceptionPolicy
    required_actions = {"GET": policies.SHARE, "POST": policies.SHARE}

    @extend_schema(responses={200: dict})
    def get(self, request, pk):
        interception = selectors.access_interception(request.user, pk, policies.SHARE, purpose="shares")
        return Response(selectors.shares_of(interception))

    @extend_schema(request=ShareSerializer, responses={200: dict})
    def post(self, request, pk):
        interception = selectors.access_interception(request.user, pk, policies.SHARE, purpose="share")
        serializer = ShareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        services.interception_share(
            actor=request.user, interception=interception, level=v["level"], user=v["target"]
        )
        return Response(selectors.shares_of(interception))


class RedFlagViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The active red-flag catalogue for the caller's stations."""

    serializer_class = RedFlagSerializer
    pagination_class = None
    policy = InterceptionPolicy
    required_actions = {"GET": policies.VIEW}

    def get_queryset(self):
        return selectors.red_flags_for_user(self.request.user).select_related("country")
