from django import template

from audit.policies import can_read_log

register = template.Library()


def _compact(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_compact(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list):
        return ", ".join(_compact(v) for v in value)
    return str(value)


@register.filter
def compact_details(details) -> str:
    """An event's details on one line: `filters: station=BHW · count: 3`."""
    if not isinstance(details, dict):
        return _compact(details)
    return " · ".join(f"{k}: {_compact(v)}" for k, v in details.items())


@register.simple_tag
def can_read_access_log(user) -> bool:
    """For the navigation: `{% can_read_access_log user as is_auditor %}` (one query)."""
    return can_read_log(user)
