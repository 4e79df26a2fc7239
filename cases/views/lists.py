"""STUB: replaced by its owner (docs/cases.md)."""

from django.http import Http404


def case_list(request, *args, **kwargs):
    raise Http404


def case_new(request, *args, **kwargs):
    raise Http404
