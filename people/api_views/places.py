"""Suggestions of reference places for a form field (docs/places.md)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import Authenticated
from people import places


class PlaceSuggestionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    label_ne = serializers.CharField()
    kind = serializers.ChoiceField(choices=["province", "district", "municipality"])


class PlaceSuggestionsView(APIView):
    """Up to 20 places whose name (English or Nepali) contains `q`; fewer than 2 characters give none."""

    policy = Authenticated
    required_actions = {"GET": "view"}

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Part of a place name, in either script (≥ 2 characters)"),
            OpenApiParameter("country", str, description="ISO 3166-1 alpha-2 (default NP)"),
        ],
        responses=PlaceSuggestionSerializer(many=True),
    )
    def get(self, request):
        country = (request.query_params.get("country") or "NP").upper()[:2]
        return Response(places.suggestions(request.query_params.get("q", ""), country=country))
