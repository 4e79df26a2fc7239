"""Template filters of the consent and referral parts of the case page: what is in force per
scope, and a referral's state. They read only what the view gave the template (no query)."""

from django import template

from cases import selectors
from cases.models import ConsentScope

register = template.Library()


@register.filter
def in_force(consents) -> list[tuple[str, str, object]]:
    """[(scope, label, the latest Consent or None)] for every scope, from the decisions newest first."""
    latest: dict = {}
    for consent in consents:
        latest.setdefault(consent.scope, consent)
    return [(value, label, latest.get(value)) for value, label in ConsentScope.choices]


@register.filter
def referral_state(referral) -> str:
    return selectors.referral_state(referral)


@register.filter
def access_until(referral, station):
    """The last day (at the case's `station`) a referral gives access: it expires at the end of that
    day."""
    from datetime import timedelta

    local = referral.expires_at.astimezone(station.tzinfo)
    return (local - timedelta(microseconds=1)).date()


@register.filter
def masked(value, allowed):
    """The value, or "[restricted]" without `view_sensitive` (people.masking: one rule everywhere)."""
    from people.masking import mask

    return mask(value, bool(allowed))
