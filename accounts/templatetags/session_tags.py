"""The session's idle timeout for the page's warning (static/js/session.js), and who gets "My drafts"."""

from django import template
from django.conf import settings

from accounts.access import holds_anywhere
from accounts.roles import Action

register = template.Library()


@register.simple_tag
def idle_timeout() -> int:
    """settings.SESSION_IDLE_TIMEOUT in seconds, as the middleware applies it."""
    return int(settings.SESSION_IDLE_TIMEOUT)


@register.simple_tag(takes_context=True)
def can_record_interceptions(context, user) -> bool:
    """Whether the nav shows "My drafts": the page's own answer when it has one (the list's `can_add`),
    else one query, once per request."""
    if "can_add" in context:
        return bool(context["can_add"])
    if not user.is_authenticated:
        return False
    if not hasattr(user, "_can_record_interceptions"):
        user._can_record_interceptions = holds_anywhere(user, "interception", Action.ADD)
    return user._can_record_interceptions
