"""STUB: replaced by its owner (docs/cases.md)."""

from django.http import Http404


def case_assign(request, *args, **kwargs):
    raise Http404
