"""STUB: replaced by its owner (docs/cases.md)."""

from django.http import Http404


def case_detail(request, *args, **kwargs):
    raise Http404


def case_history(request, *args, **kwargs):
    raise Http404
