"""The network of an identity and manual links, in the API (docs/people.md "Network", docs/api.md)."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import Authenticated, Check
from people import network as net
from people import policies, services
from people.selectors import identity_scope


class NetworkNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ref = serializers.CharField(help_text="P-<id>, as pages show it")
    names = serializers.ListField(child=serializers.CharField())
    label = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    hops = serializers.IntegerField()
    url = serializers.CharField()


class NetworkEdgeSerializer(serializers.Serializer):
    source = serializers.IntegerField()
    target = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    record_type = serializers.CharField()
    record_id = serializers.IntegerField()
    record_number = serializers.CharField(allow_blank=True)
    record_url = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(required=False)


class NetworkSerializer(serializers.Serializer):
    root = serializers.IntegerField()
    depth = serializers.IntegerField()
    truncated = serializers.BooleanField()
    nodes = NetworkNodeSerializer(many=True)
    edges = NetworkEdgeSerializer(many=True)


class DepthSerializer(serializers.Serializer):
    depth = serializers.ChoiceField(choices=list(net.DEPTHS), default=net.DEFAULT_DEPTH)


class PersonNetworkView(APIView):
    """The people linked to an identity up to `depth` hops (1..3), on the records the caller may see."""

    policy = Authenticated  # what the caller sees is the selector's scope; an identity out of it is a 404
    required_actions = {"GET": "view"}

    @extend_schema(
        parameters=[OpenApiParameter("depth", int, enum=list(net.DEPTHS), description="Hops (default 2)")],
        responses=NetworkSerializer,
    )
    def get(self, request, pk):
        params = DepthSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = net.network(request.user, pk, depth=int(params.validated_data["depth"]))
        return Response(NetworkSerializer(data).data)


class LinkInputSerializer(serializers.Serializer):
    other = serializers.IntegerField(min_value=1, help_text="The other identity's id")
    reason = serializers.CharField(max_length=2000)


class LinkOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.IntegerField()
    target = serializers.IntegerField()
    kind = serializers.CharField()
    reason = serializers.CharField()


class PersonLinksView(APIView):
    """Link this identity to another by hand, with a reason (the first appearance of each whose names the
    caller may see). Needs the linking right (`match_person`) and `view_sensitive` on both records."""

    policy = Check(policies.may_link, gettext_lazy("You may not link people."))
    required_actions = {"POST": "match"}

    @extend_schema(request=LinkInputSerializer, responses={201: LinkOutputSerializer})
    def post(self, request, pk):
        data = LinkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not identity_scope(request.user).filter(pk=pk).exists():
            raise Http404("No such person.")
        this = net.link_appearance(request.user, pk)
        other = net.link_appearance(request.user, data.validated_data["other"])
        if this is None or other is None:
            raise ValidationError(
                {"other": [_("You may link only people whose names you may see on both records.")]}
            )
        link = services.person_link_create(
            actor=request.user, from_person=this, to_person=other, reason=data.validated_data["reason"]
        )
        out = {
            "id": link.pk,
            "source": this.identity_id,
            "target": other.identity_id,
            "kind": "manual",
            "reason": link.reason,
        }
        return Response(LinkOutputSerializer(out).data, status=status.HTTP_201_CREATED)
