"""STUB: replaced by its owner (docs/cases.md)."""

from django.http import Http404


def referral_new(request, *args, **kwargs):
    raise Http404


def referral_revoke(request, *args, **kwargs):
    raise Http404
