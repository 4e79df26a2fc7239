from django import template

register = template.Library()


@register.simple_tag
def may_see_legal_cases(user) -> bool:
    """Whether the nav shows "Legal cases": a role granting `view` on legal cases somewhere (answered from
    the request's memoised access profile: no query of its own)."""
    from accounts.access import holds_anywhere

    return bool(getattr(user, "is_authenticated", False)) and holds_anywhere(user, "legal_case", "view")
