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


# --- Identities and appearances (docs/people.md) ---------------------------------------------------------


def new_identities(persons: list) -> None:
    """Give each new appearance (an unsaved `Person`) an identity of its own, in one insert. Matching
    suggests merges later; nothing is merged without a reviewer (docs/people.md)."""
    from people.models import Identity

    made = Identity.objects.bulk_create([Identity(gender=p.gender, birth_year=p.birth_year) for p in persons])
    for person, identity in zip(persons, made, strict=True):
        person.identity = identity


def index_names(persons: list) -> None:
    """Write the search keys (people/names.py) of these saved appearances' names, replacing the old ones."""
    from people.models import NameKey
    from people.names import keys

    if not persons:
        return
    NameKey.objects.filter(person__in=[p.pk for p in persons]).delete()
    NameKey.objects.bulk_create(
        [NameKey(person_id=p.pk, key=key) for p in persons for key in keys(p.full_name)]
    )


def refresh_identities(identity_ids) -> None:
    """Recompute each identity's gender and birth-year estimate from all its appearances (after an
    appearance is added, edited, merged or unmerged): the most recent known gender, and the median of the
    birth years the appearances' ages at their dates give."""
    from statistics import median_low

    from people.models import Gender, Identity, Person

    ids = sorted({i for i in identity_ids if i})
    if not ids:
        return
    rows: dict[int, list] = {i: [] for i in ids}
    for person in (
        Person.objects.filter(identity_id__in=ids)
        .only("identity_id", "gender", "age", "recorded_on")
        .order_by("recorded_on", "id")
    ):
        rows[person.identity_id].append(person)
    for identity in Identity.objects.filter(pk__in=ids):
        people = rows[identity.pk]
        genders = [p.gender for p in people if p.gender != Gender.UNKNOWN]
        years = [p.birth_year for p in people if p.birth_year is not None]
        values = {
            "gender": genders[-1] if genders else Gender.UNKNOWN,
            "birth_year": median_low(years) if years else None,
        }
        changed = [k for k, v in values.items() if getattr(identity, k) != v]
        if changed:
            for k in changed:
                setattr(identity, k, values[k])
            identity.save(update_fields=[*changed, "updated_at"])


def appearances_recorded(*, created: list, renamed: list, changed_identities=()) -> None:
    """After a record's people are saved (in its transaction): index the names of the new and renamed
    appearances, refresh their identities, and queue the match suggestions for them (a Celery task, after
    the commit, through the outbox: people/tasks.py)."""
    from core import outbox

    index_names([*created, *renamed])
    refresh_identities([p.identity_id for p in [*created, *renamed]] + list(changed_identities))
    for person in [*created, *renamed]:
        outbox.enqueue("people.suggest_matches", person.pk)
