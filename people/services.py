"""Checks and normal forms of a person's fields, shared by every service that records people (the
interception service calls these; docs/places.md)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from people import countries, phones, places
from people.models import Place


def station_region(station) -> str:
    """The default region for phones typed at `station`: its country's ISO code (Nepal when unknown)."""
    code = getattr(getattr(station, "country", None), "code", "") or phones.DEFAULT_REGION
    return code.upper()


def clean_nationality(value: str) -> str:
    """The ISO code for a valid nationality (code or exact English name); other text as given, upper-cased
    (only for comparing: the check refuses it)."""
    code = countries.parse(value)
    return code if code is not None else (value or "").strip().upper()


def find_place(value: str, *, country: str = "NP") -> Place | None:
    """The Place a form or API names: its code, or a label / unique name `places.resolve` knows."""
    value = (value or "").strip()
    if not value:
        return None
    return Place.objects.select_related("parent").filter(code=value).first() or places.resolve(value, country)


def check_person(
    *, phone: str, nationality: str, address_place: str, region: str, key: str, errors: dict
) -> dict:
    """Check one person's phone, nationality and home place; add errors under `{key}.phone`,
    `{key}.nationality`, `{key}.address_place` (key: "interceptees.0"). Returns the stored forms."""
    out = {"phone": "", "nationality": "", "address_place": None}
    try:
        out["phone"] = phones.parse(phone, region=region)
    except phones.PhoneError as error:
        errors.setdefault(f"{key}.phone", []).append(str(error))
    code = countries.parse(nationality)
    if code is None:
        errors.setdefault(f"{key}.nationality", []).append(
            _("Unknown country %(value)s: choose a country from the list, or give its two-letter ISO code.")
            % {"value": f"“{(nationality or '').strip()[:60]}”"}
        )
    else:
        out["nationality"] = code
    if (address_place or "").strip():
        out["address_place"] = find_place(address_place)
        if out["address_place"] is None:
            errors.setdefault(f"{key}.address_place", []).append(
                _("Choose a place from the suggestions (municipality, district), or write it in the address.")
            )
    return out
