"""STUB: replaced by its owner (docs/cases.md)."""

from django.http import Http404
from rest_framework.views import APIView


class ConsentListView(APIView):
    def get(self, request, *args, **kwargs):
        raise Http404


class OverrideView(APIView):
    def get(self, request, *args, **kwargs):
        raise Http404
