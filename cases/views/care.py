"""STUB: replaced by its owner (docs/cases.md)."""

from django.http import Http404


def service_new(request, *args, **kwargs):
    raise Http404


def service_edit(request, *args, **kwargs):
    raise Http404


def follow_up_new(request, *args, **kwargs):
    raise Http404


def follow_up_done(request, *args, **kwargs):
    raise Http404
