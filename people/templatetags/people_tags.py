from django import template

from people import countries

register = template.Library()


@register.filter
def country_name(code):
    return countries.name(code)
