"""Reads of match review (docs/people.md "Match review"): the reviewers' queue, one suggested pair side by
side, the suggestions for one identity (API), and the suggestions shown while a person is typed on a form.

A user sees a suggested pair only when they may review (`people.policies.may_review`) and see, with
`view_sensitive`, at least one appearance of BOTH identities; any other pair is neither shown nor counted,
and fetching it answers 404 as a missing one does. Each side shows only the appearances the user may see
(names masked where they lack `view_sensitive`). Every read that shows names writes one access-log event
naming the interceptions it showed, never a name or what was typed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.access import holds_anywhere, stations_for
from accounts.roles import Action
from audit.services import record_event

from . import phones, selectors
from .masking import MASK, mask
from .models import Gender, Identity, MatchStatus, MatchSuggestion, Person, Source
from .policies import may_review, may_search

# The queue shows the best pairs first, this many at most (a plain capped list: reviewers work from the top).
QUEUE_LIMIT = 100
GENDERS = dict(Gender.choices)
# Suggestions under a name being typed on the form.
FORM_LIMIT = 5
# Fewer letters than this in a typed name suggest nothing (too many people share two letters).
FORM_MIN_LETTERS = 3


@dataclass
class Appearance:
    id: int
    name: str
    sensitive: bool
    age: int | None
    gender: str
    phone: str
    recorded_on: date | None
    station: str
    source: str
    record_id: int | None
    number: str = ""  # the record's label (an interception number), when the registry knows it
    url: str = ""
    role: str = ""  # the role on the record ("Potential victim", "Suspect"), when the registry knows it


@dataclass
class Side:
    identity_id: int
    appearances: list[Appearance] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """The names as recorded on the appearances the reader sees with names; MASK when none."""
        shown = list(dict.fromkeys(a.name for a in self.appearances if a.sensitive and a.name))
        return shown or ([MASK] if self.appearances else [])

    @property
    def phones(self) -> list[str]:
        return list(dict.fromkeys(a.phone for a in self.appearances if a.sensitive and a.phone))

    @property
    def ages(self) -> list[int]:
        return sorted({a.age for a in self.appearances if a.age is not None})


@dataclass
class Pair:
    suggestion: MatchSuggestion
    left: Side
    right: Side

    @property
    def reasons(self) -> dict:
        return self.suggestion.reasons or {}


def _sensitive_condition(user) -> Q | None:
    return selectors.appearance_condition(user, Action.VIEW_SENSITIVE)


def _seen_with_names(condition: Q, column: str, merged_into: str | None = None) -> Exists:
    """Whether an appearance of the identity in `column` (or, once merged away, of the identity it was
    merged into: `merged_into`) is within `condition`."""
    identity = OuterRef(column) if merged_into is None else Coalesce(OuterRef(merged_into), OuterRef(column))
    return Exists(Person.objects.filter(condition, identity_id=identity))


def visible_pairs(user) -> QuerySet[MatchSuggestion]:
    """The suggestions `user` may review: both identities seen with names. None for a non-reviewer."""
    condition = _sensitive_condition(user)
    if condition is None or not may_review(user):
        return MatchSuggestion.objects.none()
    # A side merged away (a confirmed pair) is seen through the identity it was merged into.
    return MatchSuggestion.objects.filter(
        _seen_with_names(condition, "identity_id", "identity__merged_into_id"),
        _seen_with_names(condition, "candidate_id", "candidate__merged_into_id"),
    )


def _labels(appearances: list[Appearance]) -> None:
    """Fill each appearance's record number, link and role from the record registry."""
    found = selectors.record_labels(appearances)
    for a in appearances:
        label = found.get(a.id)
        if label:
            a.number = str(label.get("number") or "")
            a.url = str(label.get("url") or "")
            a.role = str(label.get("role_label") or "")


def sides(user, identity_ids, *, names_only: bool = False) -> dict[int, Side]:
    """Each identity as `user` may see it: the appearances they may see (names masked without
    view_sensitive), oldest first. `names_only`: only the appearances seen with names. One query, plus one
    per record type for the record labels."""
    ids = sorted(set(identity_ids))
    out = {i: Side(identity_id=i) for i in ids}
    condition = (
        _sensitive_condition(user) if names_only else selectors.appearance_condition(user, Action.VIEW)
    )
    if condition is None or not ids:
        return out
    qs = selectors.with_sensitive_flag(Person.objects.filter(condition, identity_id__in=ids), user)
    rows = qs.values(
        "id",
        "identity_id",
        "full_name",
        "can_see_sensitive",
        "age",
        "gender",
        "phone",
        "recorded_on",
        "station__code",
        "station__country__code",
        "source",
        "record_id",
    ).order_by("identity_id", "recorded_on", "id")
    for row in rows:
        allowed = bool(row["can_see_sensitive"])
        region = (row["station__country__code"] or phones.DEFAULT_REGION).upper()
        out[row["identity_id"]].appearances.append(
            Appearance(
                id=row["id"],
                name=mask(row["full_name"], allowed),
                sensitive=allowed,
                age=row["age"],
                gender=GENDERS.get(row["gender"], row["gender"]),
                phone=mask(phones.display(row["phone"], region=region), allowed) if row["phone"] else "",
                recorded_on=row["recorded_on"],
                station=row["station__code"],
                source=row["source"],
                record_id=row["record_id"],
            )
        )
    _labels([a for side in out.values() for a in side.appearances])
    return out


def _records(side_list) -> dict[str, list[int]]:
    return selectors.shown_records(a for side in side_list for a in side.appearances)


def _stations(side_list) -> list[str]:
    return sorted({a.station for side in side_list for a in side.appearances if a.station})


# --- The queue and one pair ------------------------------------------------------------------------------


def review_queue(user, *, limit: int = QUEUE_LIMIT) -> list[Pair]:
    """The pending suggestions `user` may review, best first (at most `limit`), each side as they may see
    it. Logged: one `person.match_list` event with the suggestions' ids and the interceptions shown."""
    rows = list(
        visible_pairs(user)
        .filter(status=MatchStatus.PENDING)
        .only("id", "identity_id", "candidate_id", "score", "reasons", "status", "created_at")
        .order_by("-score", "id")[:limit]
    )
    if not rows:
        return []
    seen = sides(user, [i for s in rows for i in (s.identity_id, s.candidate_id)], names_only=True)
    pairs = [Pair(suggestion=s, left=seen[s.identity_id], right=seen[s.candidate_id]) for s in rows]
    record_event(
        actor=user,
        action="person.match_list",
        object_type="matchsuggestion",
        object_ids=[s.pk for s in rows],
        stations=_stations(seen.values()),
        details={"count": len(rows), **_records(seen.values())},
    )
    return pairs


def suggestion_for_decision(user, pk) -> MatchSuggestion:
    """The suggestion `pk` when `user` may review it (both sides seen with names), else Http404 (the same
    for a missing one). Not logged: the decision's service writes the event."""
    suggestion = visible_pairs(user).filter(pk=pk).first()
    if suggestion is None:
        raise Http404("No such suggestion.")
    return suggestion


def access_suggestion(user, pk) -> Pair:
    """One suggested pair side by side (any status), with every appearance `user` may see on each side;
    Http404 when they may not review it. Logged: `person.match_view`."""
    suggestion = suggestion_for_decision(user, pk)
    seen = sides(user, [suggestion.identity_id, suggestion.candidate_id])
    record_event(
        actor=user,
        action="person.match_view",
        obj=suggestion,
        stations=_stations(seen.values()),
        details={
            "identities": [suggestion.identity_id, suggestion.candidate_id],
            **_records(seen.values()),
        },
    )
    return Pair(suggestion=suggestion, left=seen[suggestion.identity_id], right=seen[suggestion.candidate_id])


def identity_for_review(user, pk) -> Identity:
    """The identity `pk` for a merge or unmerge: `user` may review and sees at least one of its appearances
    with names; else Http404 (the same for a missing or merged-away identity)."""
    condition = _sensitive_condition(user)
    if condition is None or not may_review(user):
        raise Http404("No such person.")
    identity = Identity.objects.filter(_seen_with_names(condition, "pk"), pk=pk).first()
    if identity is None:
        raise Http404("No such person.")
    return identity


def appearance_for_unmerge(user, identity: Identity, pk) -> Person | None:
    """The appearance `pk` of `identity`, when `user` sees it with names; else None."""
    condition = _sensitive_condition(user)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    if condition is None:
        return None
    return Person.objects.filter(condition, pk=pk, identity=identity).first()


# --- Suggestions for one identity (API) ---------------------------------------------------------------


def identity_matches(user, pk, *, limit: int = 10) -> list[dict]:
    """Identities that are probably the same human as identity `pk`, best first, computed now from what
    `user` may see with names (the identity's profile from those of its appearances, the candidates among
    those appearances), leaving out pairs already decided. Http404 when `user` sees no appearance of it.
    Each: {"id", "names", "score", "reasons"}. Logged: `person.matches` with the interceptions shown."""
    from . import matching

    view = selectors.appearance_condition(user, Action.VIEW)
    if view is None or not Person.objects.filter(view, identity_id=pk).exists():
        raise Http404("No such person.")
    condition = _sensitive_condition(user)
    if condition is None or not may_search(user):
        return []
    profile = matching.profiles([int(pk)], condition).get(int(pk))
    if profile is None:
        return []
    decided = MatchSuggestion.objects.filter(Q(identity_id=pk) | Q(candidate_id=pk)).exclude(
        status=MatchStatus.PENDING
    )
    exclude = {int(pk)} | {i for row in decided.values_list("identity_id", "candidate_id") for i in row}
    found = matching.suggest(profile, condition=condition, exclude=exclude, limit=limit)
    if not found:
        return []
    seen = sides(user, [s.identity_id for s in found], names_only=True)
    record_event(
        actor=user,
        action="person.matches",
        object_type="identity",
        object_id=pk,
        stations=_stations(seen.values()),
        details={"hits": len(found), **_records(seen.values())},
    )
    return [
        {"id": s.identity_id, "names": seen[s.identity_id].names, "score": s.score, "reasons": s.reasons}
        for s in found
    ]


# --- Suggestions on the form, while a person is typed ------------------------------------------------------


def _letters(text: str) -> int:
    """Letters in `text`, counting Devanagari vowel signs as letters (they are marks, not letters)."""
    return sum(1 for ch in text if unicodedata.category(ch)[0] in "LM")


def _value(data: Mapping, name: str) -> str:
    """A field of one person row: `name` itself, or a formset's `people-0-name`."""
    if name in data:
        return str(data.get(name) or "")
    for key in data:
        if key.endswith(f"-{name}") and data.get(key):
            return str(data.get(key) or "")
    return ""


def may_get_form_suggestions(user) -> bool:
    """Any signed-in user who may record interceptions somewhere (they type the people)."""
    return holds_anywhere(user, "interception", Action.ADD)


def form_suggestions(user, data: Mapping) -> list[Side]:
    """Up to FORM_LIMIT identities that are probably the person being typed (`data`: full_name, phone, age,
    gender, address_place, station, plain or with a formset prefix), among the appearances `user` may see
    with names; each with those appearances. Nothing for a name of fewer than 3 letters. Http404 for a user
    who may not record interceptions. Logged when anything is shown: `person.suggest` with the hit count
    and the interceptions shown, never what was typed. Nothing is stored or merged."""
    if not may_get_form_suggestions(user):
        raise Http404("No suggestions.")
    name = _value(data, "full_name").strip()[:200]
    condition = _sensitive_condition(user)
    if _letters(name) < FORM_MIN_LETTERS or condition is None:
        return []
    from . import matching, services

    station = None
    station_id = _value(data, "station")
    if station_id.isdigit():
        station = (
            stations_for(user, "interception", Action.ADD)
            .select_related("country")
            .filter(pk=int(station_id))
            .first()
        )
    age = _value(data, "age").strip()
    try:
        age_value = int(age) if age else None
    except ValueError:
        age_value = None
    if age_value is not None and not 0 <= age_value <= 120:
        age_value = None
    profile = matching.profile_from_form(
        name=name,
        phone=_value(data, "phone")[:40],
        age=age_value,
        recorded_on=timezone.localdate(),
        gender=_value(data, "gender"),
        address_place=_value(data, "address_place")[:200],
        region=services.station_region(station) if station else phones.DEFAULT_REGION,
    )
    # The record being edited (or its autosaved draft): its own people are not suggested to themselves.
    record = _value(data, "record")
    exclude = (
        set(
            Person.objects.filter(source=Source.INTERCEPTION, record_id=int(record)).values_list(
                "identity_id", flat=True
            )
        )
        if record.isdigit()
        else set()
    )
    found = matching.suggest(profile, condition=condition, exclude=exclude, limit=FORM_LIMIT)
    if not found:
        return []
    seen = sides(user, [s.identity_id for s in found], names_only=True)
    shown = [seen[s.identity_id] for s in found if seen[s.identity_id].appearances]
    record_event(
        actor=user,
        action="person.suggest",
        object_type="identity",
        object_ids=[s.identity_id for s in shown],
        stations=_stations(shown),
        details={"hits": len(shown), **_records(shown)},
    )
    return shown
