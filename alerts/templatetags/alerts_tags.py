from django import template

from alerts.selectors import unread_count

register = template.Library()


@register.simple_tag
def unread_notifications(user) -> int:
    """For the page header: `{% unread_notifications user as unread %}` (one COUNT query)."""
    return unread_count(user)
