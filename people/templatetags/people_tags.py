from django import template

from people import countries

register = template.Library()


@register.filter
def country_name(code):
    return countries.name(code)


@register.simple_tag
def may_search_people(user) -> bool:
    """Whether the nav shows "People" (the person search): answered from the request's access profile."""
    from people.policies import may_search

    return bool(getattr(user, "is_authenticated", False)) and may_search(user)
