"""Route counts in the API: `GET /api/v1/routes/?country=&since=&until=&period=` (interception/routes.py)."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import Authenticated

from . import routes
from .route_views import RouteFilterForm


class RouteRowSerializer(serializers.Serializer):
    period = serializers.CharField(allow_null=True, help_text="2026-03, 2026-Q1, 2026, or null")
    source = serializers.CharField(help_text="Home district, or Unknown")
    station = serializers.CharField(help_text="Border station code")
    station_name = serializers.CharField()
    destination = serializers.CharField(help_text="Destination district or country, or Unknown")
    count = serializers.IntegerField(allow_null=True, help_text="null when below 11 and suppressed")
    count_display = serializers.CharField(help_text='The count, or "<11"')


class RoutesSerializer(serializers.Serializer):
    results = RouteRowSerializer(many=True)
    total = serializers.IntegerField(help_text="Sum of the exact counts shown (suppressed cells excluded)")
    suppressed = serializers.IntegerField(help_text="How many cells are shown as <11")
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    country = serializers.CharField(allow_null=True)
    period = serializers.CharField(allow_null=True)


class RoutesView(APIView):
    """Potential victims per route over the interceptions the caller may see."""

    policy = Authenticated  # the counts are the selector's scope: a user with no role gets no rows
    required_actions = {"GET": "view"}

    @extend_schema(
        parameters=[
            OpenApiParameter("country", str, description="ISO 3166-1 alpha-2 of the station's country"),
            OpenApiParameter("since", str, description="Local date, YYYY-MM-DD"),
            OpenApiParameter("until", str, description="Local date, YYYY-MM-DD"),
            OpenApiParameter("period", str, enum=list(routes.PERIODS)),
        ],
        responses=RoutesSerializer,
    )
    def get(self, request):
        form = RouteFilterForm(request.query_params, countries=routes.country_choices(request.user))
        if not form.is_valid():
            raise ValidationError(
                {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
            )
        result = routes.route_counts(user=request.user, filters=form.filters(), api=True)
        return Response(RoutesSerializer(result).data)
