"""STUB: replaced by its owner (docs/cases.md)."""

from django.http import Http404


def interview_new(request, *args, **kwargs):
    raise Http404


def interview_detail(request, *args, **kwargs):
    raise Http404


def interview_edit(request, *args, **kwargs):
    raise Http404
