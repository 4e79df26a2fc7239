"""Nationality as an ISO 3166-1 alpha-2 code (django-countries): parse what a form or the API sent."""

from __future__ import annotations

from django.utils import translation
from django_countries import countries

# The form's select lists these first (docs/places.md "Nationality").
FIRST = ("NP", "IN")


def parse(text: str) -> str | None:
    """The code for `text`: an ISO code ("np", "NP") or an exact English country name ("Nepal", any case).
    "" for empty text, None when it names no country. "Nepal" is NP, never NE (Niger)."""
    text = " ".join((text or "").split())
    if not text:
        return ""
    if len(text) == 2 and text.isalpha():
        code = text.upper()
        return code if code in dict(countries) else None
    with translation.override("en"):
        wanted = text.casefold()
        for code, name in countries:
            if str(name).casefold() == wanted:
                return code
    return None


def name(code: str) -> str:
    """The country's name in the active language ("" for no code; the code itself when unknown)."""
    if not code:
        return ""
    return str(countries.name(code)) or code


def choices() -> list[tuple[str, str]]:
    """Nepal, India, then every other country by name, in the active language."""
    all_countries = list(countries)
    first = [(c, str(n)) for c, n in all_countries if c in FIRST]
    first.sort(key=lambda item: FIRST.index(item[0]))
    return first + [(c, str(n)) for c, n in all_countries if c not in FIRST]
