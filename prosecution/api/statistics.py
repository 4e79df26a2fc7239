"""The prosecution funnel in the API: `GET /api/v1/statistics/prosecution/?country=&station=&since=&until=`
(prosecution/statistics.py)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import Check
from prosecution import statistics
from prosecution.forms.statistics import StatisticsFilterForm

WITHHELD = "null when below 11 and withheld"


def _count(**kwargs):
    return serializers.IntegerField(allow_null=True, help_text=WITHHELD, **kwargs)


class ProsecutionFunnelSerializer(serializers.Serializer):
    suspects = _count()
    complaints = _count()
    arrested = _count()
    charged = _count()
    convicted_trafficking = _count()
    convicted_lesser_only = _count()
    acquitted = _count()
    pending = _count()


class ProsecutionFunnelDisplaySerializer(serializers.Serializer):
    suspects = serializers.CharField()
    complaints = serializers.CharField()
    arrested = serializers.CharField()
    charged = serializers.CharField()
    convicted_trafficking = serializers.CharField()
    convicted_lesser_only = serializers.CharField()
    acquitted = serializers.CharField()
    pending = serializers.CharField()


class SentenceBandSerializer(serializers.Serializer):
    band = serializers.CharField()
    label = serializers.CharField()
    min_days = serializers.IntegerField(allow_null=True)
    max_days = serializers.IntegerField(allow_null=True)
    convicted = _count()
    fined = _count()


class FinesByCurrencySerializer(serializers.Serializer):
    currency = serializers.CharField()
    fined = _count()
    median_amount = serializers.CharField(allow_null=True)


class ConvictionsByRoleSerializer(serializers.Serializer):
    role = serializers.CharField()
    label = serializers.CharField()
    suspects = _count()
    charged = _count()
    convicted = _count()
    convicted_trafficking = _count()
    conviction_rate = serializers.FloatField(allow_null=True)
    trafficking_conviction_rate = serializers.FloatField(allow_null=True)


class ProsecutionStatisticsSerializer(ProsecutionFunnelSerializer):
    funnel = ProsecutionFunnelSerializer()
    funnel_display = ProsecutionFunnelDisplaySerializer(help_text='Each count as shown: the number, or "<11"')
    median_days_complaint_to_verdict = serializers.FloatField(allow_null=True)
    sentences = SentenceBandSerializer(many=True)
    fines = FinesByCurrencySerializer(many=True)
    recidivism_rate = serializers.FloatField(allow_null=True)
    by_role = ConvictionsByRoleSerializer(many=True)
    small_counts_withheld = serializers.BooleanField()
    country = serializers.CharField(allow_null=True)
    station = serializers.CharField(allow_null=True)
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)


class ProsecutionStatisticsView(APIView):
    """The prosecution funnel and its tables over the legal cases the caller may see."""

    policy = Check(statistics.may_see_statistics, _("You do not see legal cases at any station."))
    required_actions = {"GET": "view"}

    @extend_schema(
        parameters=[
            OpenApiParameter("country", str, description="ISO 3166-1 alpha-2 of the station's country"),
            OpenApiParameter("station", str, description="The station's code"),
            OpenApiParameter("since", str, description="Complaint date (else opening date), YYYY-MM-DD"),
            OpenApiParameter("until", str, description="Complaint date (else opening date), YYYY-MM-DD"),
        ],
        responses=ProsecutionStatisticsSerializer,
    )
    def get(self, request, *args, **kwargs):
        form = StatisticsFilterForm(request.query_params, user=request.user)
        if not form.is_valid():
            raise ValidationError(
                {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
            )
        result = statistics.prosecution_statistics(user=request.user, filters=form.filters(), api=True)
        return Response(ProsecutionStatisticsSerializer(result).data)
