"""GET /api/v1/people/?q= and GET /api/v1/people/{id}/ (docs/people.md "Search", docs/api.md).

Users who may not search people (`people.policies.may_search`: no `view_sensitive` anywhere) get 403 on the
list, with a message saying so, and 404 on an identity, as for one that does not exist. Reads go through
`people.selectors.search_people` and `access_identity`, which scope, mask and log them."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import Authenticated, Check
from people import policies, selectors


class PersonResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The identity's id")
    score = serializers.FloatField(help_text="How well the name or phone matched, 0 to 1")
    names = serializers.ListField(
        child=serializers.CharField(), help_text="Names the caller may see ('[restricted]' where masked)"
    )
    appearances = serializers.IntegerField(help_text="Appearances on records the caller may see")
    last_seen = serializers.DateField(allow_null=True)
    last_station = serializers.CharField()


class PersonSearchSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = PersonResultSerializer(many=True)


class AppearanceSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The appearance's id")
    record_type = serializers.CharField(help_text='"interception"')
    record_id = serializers.IntegerField(allow_null=True)
    record_number = serializers.CharField()
    role = serializers.CharField(help_text="potential_victim or suspect")
    name = serializers.CharField()
    gender = serializers.CharField()
    age = serializers.IntegerField(allow_null=True, help_text="Age at the record's date")
    recorded_on = serializers.DateField(allow_null=True)
    station = serializers.CharField(help_text="Station code")
    phone = serializers.CharField(help_text="E.164 as stored, or masked")
    nationality = serializers.CharField()
    address_place = serializers.CharField(help_text="Home place code, or masked")
    address_place_label = serializers.CharField()
    can_see_sensitive = serializers.BooleanField()


class IdentitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    names = serializers.ListField(child=serializers.CharField())
    phones = serializers.ListField(child=serializers.CharField(), help_text="E.164")
    gender = serializers.CharField()
    birth_year = serializers.IntegerField(allow_null=True, help_text="Estimate from the visible appearances")
    appearances = AppearanceSerializer(many=True)


SEARCH_POLICY = Check(policies.may_search, _("You may not search people: it needs access to names."))


class PersonSearchView(APIView):
    """Identities whose name (any script, any spelling) or phone (any format) matches `q`, best first."""

    policy = SEARCH_POLICY
    required_actions = {"GET": "view"}

    @extend_schema(
        operation_id="people_search",
        parameters=[
            OpenApiParameter("q", str, required=True, description="A name or phone (≥ 2 characters)")
        ],
        responses=PersonSearchSerializer,
    )
    def get(self, request):
        results = selectors.search_people(request.user, request.query_params.get("q", ""))
        return Response(PersonSearchSerializer({"count": len(results), "results": results}).data)


class IdentityView(APIView):
    """One identity with the appearances the caller may see (404 when they see none)."""

    policy = Authenticated  # the selector decides: nothing visible is 404, as for a missing identity
    required_actions = {"GET": "view"}

    @extend_schema(operation_id="person_retrieve", responses=IdentitySerializer)
    def get(self, request, pk):
        if not policies.may_search(request.user):
            raise Http404("No such person.")
        try:
            identity = selectors.access_identity(request.user, pk)
        except selectors.IdentityMerged:
            raise Http404("No such person.") from None
        return Response(IdentitySerializer(identity).data)
