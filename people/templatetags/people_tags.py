from django import template

from people import countries, phones

register = template.Library()


@register.filter
def phone(value, region=None):
    """A stored (E.164) phone in national format for `region` (default Nepal); masked text passes."""
    return phones.display(value, region=region or phones.DEFAULT_REGION)


@register.filter
def country_name(code):
    return countries.name(code)
