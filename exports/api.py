from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import Authenticated

from . import selectors, services
from .serializers import ExportJobSerializer, ExportRequestSerializer
from .views import serve_export


class ExportListCreate(APIView):
    """The caller's own exports (GET) and a new export request (POST answers 202 with the job)."""

    policy = Authenticated  # own jobs only; the service checks the export right for what is asked
    required_actions = {"GET": "view", "POST": "add"}

    @extend_schema(responses=ExportJobSerializer(many=True))
    def get(self, request):
        jobs = selectors.jobs_of(request.user)[:100]
        return Response(ExportJobSerializer(jobs, many=True, context={"request": request}).data)

    @extend_schema(request=ExportRequestSerializer, responses={202: ExportJobSerializer})
    def post(self, request):
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        try:
            job = services.export_request(
                actor=request.user,
                kind=v["kind"],
                fmt=v["format"],
                deidentified=v["deidentified"],
                filters=v["filters"],
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        data = ExportJobSerializer(job, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


class ExportDetail(APIView):
    policy = Authenticated  # the selector finds the caller's own job only
    required_actions = {"GET": "view"}

    @extend_schema(responses=ExportJobSerializer)
    def get(self, request, pk):
        job = selectors.job_get(user=request.user, pk=pk)
        return Response(ExportJobSerializer(job, context={"request": request}).data)


class ExportDownload(APIView):
    policy = Authenticated  # the selector finds the caller's own job only
    required_actions = {"GET": "view"}

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, pk):
        return serve_export(request, selectors.job_get(user=request.user, pk=pk))
