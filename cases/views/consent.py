"""STUB: replaced by its owner (docs/cases.md)."""

from django.http import Http404


def consent_new(request, *args, **kwargs):
    raise Http404


def consent_form(request, *args, **kwargs):
    raise Http404


def override_new(request, *args, **kwargs):
    raise Http404
