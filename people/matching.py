"""Match suggestions: identities that are probably the same human being (docs/people.md "Matching").

Two steps. Candidates are found IN POSTGRESQL: identities with an appearance within the caller's condition
whose name key is trigram-similar to one of the profile's keys (the GIN index on `NameKey.key`), plus those
with an appearance carrying the same phone. Each candidate's profile is then built from its appearances
within the condition only (never from the identity's stored gender or birth year, which come from every
appearance), and scored in Python with rapidfuzz (`score`). Weights and thresholds live in
`settings.PEOPLE_MATCHING`.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from statistics import median_low

from django.conf import settings
from django.db.models import Q
from rapidfuzz import fuzz

from . import names, phones
from .models import Gender, PlaceKind

_UNKNOWN = frozenset({Gender.UNKNOWN, ""})
# A name with a word left out (a middle name) against the full name: this much of a full match.
DROPPED_WORD = 0.96


def config() -> dict:
    """The weights and thresholds: `settings.PEOPLE_MATCHING` (explained in config/settings.py)."""
    return settings.PEOPLE_MATCHING


@dataclass(frozen=True)
class Profile:
    keys: tuple[str, ...]  # names.keys of every name
    phones: frozenset[str]  # E.164
    birth_year: int | None
    gender: str  # people.models.Gender value; "unknown" counts as no information
    district: str  # code of the home district (Place of kind district; a municipality's parent), or ""


@dataclass(frozen=True)
class Suggestion:
    identity_id: int
    score: float  # 0..1
    reasons: dict  # {"name": 0.93, "phone": True, "age_gap": 2, "gender": True, "district": False}


def _district_of(kind: str | None, code: str | None, parent_code: str | None) -> str:
    if kind == PlaceKind.DISTRICT:
        return code or ""
    if kind == PlaceKind.MUNICIPALITY:
        return parent_code or ""
    return ""


def _district_of_place(place) -> str:
    if place is None:
        return ""
    parent = place.parent if place.parent_id else None
    return _district_of(place.kind, place.code, parent.code if parent else None)


def profile_of_appearance(person) -> Profile:
    """The profile of one appearance (a saved or unsaved `Person`)."""
    place = person.address_place if getattr(person, "address_place_id", None) else None
    phone = (person.phone or "").strip()
    return Profile(
        keys=names.keys(person.full_name),
        phones=frozenset([phone] if phone else []),
        birth_year=person.birth_year,
        gender=person.gender or Gender.UNKNOWN,
        district=_district_of_place(place),
    )


def profile_from_form(
    *,
    name: str,
    phone: str = "",
    age: int | None = None,
    recorded_on=None,
    gender: str = "",
    address_place: str = "",
    region: str = "NP",
) -> Profile:
    """The profile of a person being typed on a form (nothing saved): the phone in any format, the age at
    `recorded_on` (today when not given), the home place as a code or label."""
    phone = phones.normalise(phone, region=region) if (phone or "").strip() else ""
    birth_year = None
    if age is not None:
        birth_year = (recorded_on or datetime.date.today()).year - int(age)
    district = ""
    if (address_place or "").strip():
        from .services import find_place

        district = _district_of_place(find_place(address_place))
    return Profile(
        keys=names.keys(name),
        phones=frozenset([phone] if phone else []),
        birth_year=birth_year,
        gender=gender if gender in Gender.values else Gender.UNKNOWN,
        district=district,
    )


def _aligned(x: str, y: str) -> float:
    """0..100: how well every word of the shorter name matches a word of the other (the weakest word
    decides). "Sangita Gurung" and "Rita Gurung" share a surname, not a name: their given names are 73%
    alike, so they are 73% alike, where a whole-string ratio would say 80%. A word the longer name has
    beyond the shorter one (a middle name one record left out: "Sita Kumari Tamang", "Sita Tamang") is
    forgiven a little less than the same name, when the shorter name has two words or more."""
    short, long = sorted((x.split(), y.split()), key=len)
    if not short:
        return 0.0
    if len(short) < len(long) and len(short) < 2:
        return fuzz.ratio(x, y)  # a given name alone is not a full name without its surname
    weakest = min(max(fuzz.ratio(word, other) for other in long) for word in short)
    return weakest * (DROPPED_WORD if len(short) < len(long) else 1.0)


def name_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """0..1: the best similarity over pairs of keys (keys have their words sorted already), word by word
    (`_aligned`), and never more than the whole keys' rapidfuzz ratio allows for names of as many words."""
    best = 0.0
    for x in a:
        for y in b:
            if x == y:
                return 1.0
            best = max(best, _aligned(x, y))
    return best / 100.0


def age_evidence(gap: int, weight: float, tolerance: int) -> float:
    """What two birth years `gap` years apart add to a score: up to `weight` within `tolerance` (an age
    is often a year off for a birthday not yet reached, and one or two when guessed), taken off beyond
    it, up to three times over for ages far apart."""
    if gap <= tolerance:
        return weight * (1 - gap / (tolerance + 1))
    return -weight * min(3.0, gap / (tolerance + 1))


def score(a: Profile, b: Profile) -> tuple[float, dict]:
    """How likely two profiles are one human being (0..1), and why (for the reviewer)."""
    cfg = config()
    w = cfg["weights"]
    tolerance = cfg["age_tolerance"]
    name = name_similarity(a.keys, b.keys)
    total = w["name"] * name
    reasons: dict = {"name": round(name, 3)}
    if a.phones and b.phones:
        same = bool(a.phones & b.phones)
        reasons["phone"] = same
        # The same phone is strong evidence; different phones are weak evidence against (numbers change).
        total += w["phone"] if same else -0.1 * w["phone"]
    if a.birth_year is not None and b.birth_year is not None:
        gap = abs(a.birth_year - b.birth_year)
        reasons["age_gap"] = gap
        total += age_evidence(gap, w["age"], tolerance)
    if a.gender not in _UNKNOWN and b.gender not in _UNKNOWN:
        same = a.gender == b.gender
        reasons["gender"] = same
        if not same:
            total -= w["gender"]
    if a.district and b.district:
        same = a.district == b.district
        reasons["district"] = same
        # A home district given twice and different is weak evidence against (people move, and a record
        # sometimes gives a place of work as home).
        total += w["district"] if same else -w["district"] * cfg.get("district_mismatch", 0.5)
    return round(max(0.0, min(1.0, total)), 4), reasons


def _rank(profile: Profile, cfg: dict, similarity: float, phone, age, recorded_on, gender) -> float:
    """The scorer's cheap part over one appearance, to choose which identities the scorer sees: a common
    name has more look-alikes than `candidates`, and the right one is the one of the right phone, age and
    gender."""
    w = cfg["weights"]
    total = w["name"] * similarity
    if phone and phone in profile.phones:
        total += w["phone"]
    if profile.gender not in _UNKNOWN and gender not in _UNKNOWN and gender != profile.gender:
        total -= w["gender"]
    if profile.birth_year is not None and age is not None and recorded_on is not None:
        gap = abs(recorded_on.year - age - profile.birth_year)
        total += age_evidence(gap, w["age"], cfg["age_tolerance"])
    return total


def _candidate_ids(profile: Profile, condition: Q, exclude, limit: int) -> list[int]:
    from . import search
    from .models import Person

    cfg = config()
    found: list[int] = []
    if profile.keys:
        best: dict[int, float] = {}
        similarity_of: dict[str, float] = {}
        for identity, _, key, *rest in search.similar_appearances(
            profile.keys,
            condition=condition,
            enough=limit,
            # A name with this many namesakes is ambiguous without its phone, age and gender: the fuzzy
            # tiers (slow for a common name) would add only look-alikes that rank below the namesakes.
            enough_same=cfg["namesakes"],
            # The wide net (similarity 0.45: costly for common trigrams) only when the close names are
            # fewer than `look_alikes`.
            enough_close=cfg["look_alikes"],
            fields=("name_keys__key", "phone", "age", "recorded_on", "gender"),
            exclude=exclude,
        ):
            # The scorer's own name similarity (rapidfuzz), not the trigram one: a dropped middle name is
            # a close name to the scorer, though it shares few trigrams.
            if key not in similarity_of:
                similarity_of[key] = name_similarity(profile.keys, (key,))
            value = _rank(profile, cfg, similarity_of[key], *rest)
            if value > best.get(identity, -1.0):
                best[identity] = value
        found.extend(i for i, _ in sorted(best.items(), key=lambda item: (-item[1], item[0]))[:limit])
    if profile.phones:
        rows = (
            Person.objects.filter(condition, phone__in=sorted(profile.phones))
            .exclude(identity_id__in=list(exclude))
            .values_list("identity_id", flat=True)
            .distinct()[:limit]
        )
        found.extend(rows)
    return list(dict.fromkeys(found))


def profiles(ids: list[int], condition: Q) -> dict[int, Profile]:
    """Each identity's profile from its appearances within `condition` only (one query; the name keys
    are computed again from the names, cached, rather than read)."""
    from .models import Person

    rows = (
        Person.objects.filter(condition, identity_id__in=ids, identity__merged_into__isnull=True)
        .order_by("identity_id", "recorded_on", "id")
        .values_list(
            "identity_id",
            "full_name",
            "phone",
            "age",
            "recorded_on",
            "gender",
            "address_place__kind",
            "address_place__code",
            "address_place__parent__code",
        )
    )
    grouped: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    out = {}
    for identity_id, appearances in grouped.items():
        keys = tuple(dict.fromkeys(k for row in appearances for k in names.keys(row[1])))
        years = [row[4].year - row[3] for row in appearances if row[3] is not None and row[4] is not None]
        genders = [row[5] for row in appearances if row[5] not in _UNKNOWN]
        districts = [d for d in (_district_of(*row[6:9]) for row in appearances) if d]
        out[identity_id] = Profile(
            keys=keys,
            phones=frozenset(row[2] for row in appearances if row[2]),
            birth_year=median_low(years) if years else None,
            gender=genders[-1] if genders else Gender.UNKNOWN,
            district=districts[-1] if districts else "",
        )
    return out


def suggest(
    profile: Profile, *, condition, exclude=(), limit: int = 10, min_score: float | None = None
) -> list[Suggestion]:
    """The identities within `condition` (a Q on Person; None = nothing; Q() = everyone, for system tasks)
    that are probably the human `profile` describes, best first, at least `min_score` (default the suggest
    threshold), leaving out the identities in `exclude`."""
    if condition is None or (not profile.keys and not profile.phones):
        return []
    cfg = config()
    if min_score is None:
        min_score = cfg["suggest_threshold"]
    ids = _candidate_ids(profile, condition, exclude, cfg["candidates"])
    if not ids:
        return []
    found = []
    for identity_id, other in profiles(ids, condition).items():
        value, reasons = score(profile, other)
        if value >= min_score:
            found.append(Suggestion(identity_id=identity_id, score=value, reasons=reasons))
    found.sort(key=lambda s: (-s.score, s.identity_id))
    return found[:limit]


def store_suggestions(person_id: int) -> int:
    """System-wide: store pending suggestions for the identity of appearance `person_id` (lower identity id
    first). A pair already confirmed or rejected is never touched again; a pending pair's score and reasons
    are updated. Safe to run twice. Returns how many rows were created or updated."""
    from django.db import transaction

    from .models import MatchStatus, MatchSuggestion, Person

    person = Person.objects.select_related("identity", "address_place__parent").filter(pk=person_id).first()
    if person is None or person.identity.merged_into_id is not None:
        return 0
    me = person.identity_id
    # The identity's own profile: every appearance of it (system-wide), so a merged identity is matched
    # with all it knows.
    profile = profiles([me], Q()).get(me) or profile_of_appearance(person)
    suggestions = suggest(profile, condition=Q(), exclude=[me], limit=config()["candidates"])
    changed = 0
    with transaction.atomic():
        for suggestion in suggestions:
            low, high = sorted((me, suggestion.identity_id))
            row = (
                MatchSuggestion.objects.select_for_update().filter(identity_id=low, candidate_id=high).first()
            )
            if row is None:
                _, created = MatchSuggestion.objects.get_or_create(
                    identity_id=low,
                    candidate_id=high,
                    defaults={"score": suggestion.score, "reasons": suggestion.reasons},
                )
                changed += int(created)
            elif row.status == MatchStatus.PENDING and (
                row.score != suggestion.score or row.reasons != suggestion.reasons
            ):
                row.score, row.reasons = suggestion.score, suggestion.reasons
                row.save(update_fields=["score", "reasons"])
                changed += 1
    return changed
