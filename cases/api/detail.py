"""STUB: replaced by its owner (docs/cases.md)."""

from django.http import Http404
from rest_framework.views import APIView


class CaseDetailView(APIView):
    def get(self, request, *args, **kwargs):
        raise Http404


class CaseTimelineView(APIView):
    def get(self, request, *args, **kwargs):
        raise Http404
