"""STUB: replaced by its owner (docs/cases.md)."""

from django.http import Http404
from rest_framework.views import APIView


class RequestClosureView(APIView):
    def get(self, request, *args, **kwargs):
        raise Http404


class ApproveClosureView(APIView):
    def get(self, request, *args, **kwargs):
        raise Http404


class RefuseClosureView(APIView):
    def get(self, request, *args, **kwargs):
        raise Http404


class ReopenView(APIView):
    def get(self, request, *args, **kwargs):
        raise Http404
