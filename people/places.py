"""Reference places: resolve typed text to a Place, label a Place, suggest places for a form field.

The places are Nepal's 7 provinces, 77 districts and 753 local levels, loaded from the `nepali` package by
the data migration `people/migrations/0003_place.py` (codes are described in docs/places.md). A record
keeps a structured place as three fields (`<name>_place`, `<name>_text`, `<name>_country`); `resolve`
turns what a monitor typed into the `_place`, and what does not resolve stays in `_text`.
"""

from __future__ import annotations

import hashlib
import re

from django.core.cache import cache
from django.db.models import Q
from django.utils.text import slugify

from people.models import Place, PlaceKind

SUGGESTION_LIMIT = 20
_CACHE_SECONDS = 60 * 60
_CACHE_VERSION = "1"

# ISO 3166-2:NP province codes (NP-P1 … NP-P7), by the English name the `nepali` package uses.
PROVINCE_CODES = {
    "Koshi Province": "NP-P1",
    "Madhesh Province": "NP-P2",
    "Bagmati Province": "NP-P3",
    "Gandaki Province": "NP-P4",
    "Lumbini Province": "NP-P5",
    "Karnali Province": "NP-P6",
    "Sudurpaschim Province": "NP-P7",
}


def district_code(district_name: str) -> str:
    return f"NP-D-{slugify(district_name)}"


def municipality_code(district_name: str, municipality_name: str) -> str:
    return f"NP-M-{slugify(district_name)}-{slugify(municipality_name)}"


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").strip())


def _spellings(text: str) -> set[str]:
    """`text` with chandrabindu (ँ) and anusvara (ं) either way: the package's own names mix them
    ("काठमाडौं" the district, "काठमाडौँ महानगरपालिका" the city), and so do people typing."""
    return {text, text.replace("\u0901", "\u0902"), text.replace("\u0902", "\u0901")}


def _named(field: str, text: str, lookup: str = "") -> Q:
    """Q: the English name (case-insensitive) or the Nepali name (either spelling) of `field` matches."""
    english = f"{field}name__i{lookup or 'exact'}"
    nepali = f"{field}name_ne" + (f"__{lookup}" if lookup else "")
    q = Q(**{english: text})
    for spelling in _spellings(text):
        q |= Q(**{nepali: spelling})
    return q


# What people leave out when they name a local level: "Pokhara" for "Pokhara Metropolitan City".
_KIND_SUFFIXES = (
    " Metropolitan City",
    " Sub-Metropolitan City",
    " Municipality",
    " Rural Municipality",
    " महानगरपालिका",
    " उपमहानगरपालिका",
    " नगरपालिका",
    " गाउँपालिका",
    " गाउंपालिका",
)


def _named_without_kind(field: str, text: str) -> Q:
    """Q: the name of `field` is `text` followed by the kind of local level ("Pokhara" → "Pokhara
    Metropolitan City"), in either script."""
    q = Q()
    for suffix in _KIND_SUFFIXES:
        q |= _named(field, text + suffix)
    return q


def label(place: Place | None) -> str:
    """'Municipality, District' for a local level, 'District, Province' for a district, the province's
    name for a province (English)."""
    if place is None:
        return ""
    if place.parent_id and place.kind != PlaceKind.PROVINCE:
        return f"{place.name}, {place.parent.name}"
    return place.name


def label_ne(place: Place | None) -> str:
    """The same label in Devanagari (falls back to English where a Nepali name is missing)."""
    if place is None:
        return ""
    name = place.name_ne or place.name
    if place.parent_id and place.kind != PlaceKind.PROVINCE:
        return f"{name}, {place.parent.name_ne or place.parent.name}"
    return name


def resolve(text: str, country: str = "NP") -> Place | None:
    """The Place `text` names, or None: an exact label ('Municipality, District', 'District, Province', in
    either script) or a name that only one place of the country carries (case-insensitive)."""
    text = _clean(text)
    if not text:
        return None
    places = Place.objects.filter(country=(country or "").upper()).select_related("parent")
    if "," in text:
        head, _, tail = (part.strip() for part in text.rpartition(","))
        head, tail = _clean(head), _clean(tail)
        found = list(places.filter(_named("", head)).filter(_named("parent__", tail))[:2])
        if len(found) == 1:
            return found[0]
    found = list(places.filter(_named("", text))[:2])
    if not found and "," in text:
        # "Pokhara, Kaski": the municipality named without its kind, in that district
        found = list(places.filter(_named_without_kind("", head)).filter(_named("parent__", tail))[:2])
    if not found:
        found = list(places.filter(_named_without_kind("", text))[:2])
    return found[0] if len(found) == 1 else None


def suggestions(query: str, country: str = "NP", limit: int = SUGGESTION_LIMIT) -> list[dict]:
    """Up to `limit` places whose name (either script) contains `query`, names starting with it first,
    as `{"code", "label", "label_ne", "kind"}`. Reference data, not personal: cached by query."""
    query = _clean(query)[:60]
    limit = max(1, min(int(limit), SUGGESTION_LIMIT))
    if len(query) < 2:
        return []
    digest = hashlib.sha256(query.casefold().encode()).hexdigest()[:32]
    key = f"places:{_CACHE_VERSION}:{country}:{limit}:{digest}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    head = query.split(",")[0].strip() or query
    matches = _named("", head, "contains")
    rows = list(
        Place.objects.filter(country=country)
        .filter(matches)
        .select_related("parent")
        .order_by("kind", "name")[:500]
    )
    lowered = head.casefold()
    rows.sort(
        key=lambda p: (
            not (p.name.casefold().startswith(lowered) or p.name_ne.startswith(tuple(_spellings(head)))),
            {PlaceKind.MUNICIPALITY: 0, PlaceKind.DISTRICT: 1, PlaceKind.PROVINCE: 2}.get(p.kind, 3),
            p.name,
        )
    )
    result = [
        {"code": p.code, "label": label(p), "label_ne": label_ne(p), "kind": p.kind} for p in rows[:limit]
    ]
    cache.set(key, result, _CACHE_SECONDS)
    return result
