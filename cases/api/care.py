"""STUB: replaced by its owner (docs/cases.md)."""

from django.http import Http404
from rest_framework.views import APIView


class ServiceListView(APIView):
    def get(self, request, *args, **kwargs):
        raise Http404


class ServiceDetailView(APIView):
    def get(self, request, *args, **kwargs):
        raise Http404


class FollowUpListView(APIView):
    def get(self, request, *args, **kwargs):
        raise Http404


class FollowUpDetailView(APIView):
    def get(self, request, *args, **kwargs):
        raise Http404
