"""STUB: replaced by its owner (docs/cases.md)."""

from django.http import Http404


def case_risk(request, *args, **kwargs):
    raise Http404


def request_closure(request, *args, **kwargs):
    raise Http404


def approve_closure(request, *args, **kwargs):
    raise Http404


def refuse_closure(request, *args, **kwargs):
    raise Http404


def reopen(request, *args, **kwargs):
    raise Http404
