from django import template

register = template.Library()


@register.simple_tag
def may_see_cases(user) -> bool:
    """Whether the nav shows "Cases": a role granting `view` on cases somewhere (answered from the
    request's memoised access profile: no query of its own)."""
    from accounts.access import holds_anywhere

    return bool(getattr(user, "is_authenticated", False)) and holds_anywhere(user, "case", "view")
