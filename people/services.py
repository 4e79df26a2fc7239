"""Checks and normal forms of a person's fields, shared by every service that records people (the
interception service calls these; docs/places.md)."""

from __future__ import annotations

from statistics import median_low

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from accounts.roles import Action
from audit.services import record_event
from core import outbox
from people import countries, phones, places, policies
from people.models import (
    Gender,
    Identity,
    MatchStatus,
    MatchSuggestion,
    MergeKind,
    MergeRecord,
    NameKey,
    Person,
    PersonLink,
    Place,
)
from people.names import keys
from people.selectors import appearance_condition, appearance_scope, interception_ids


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
    made = Identity.objects.bulk_create([Identity(gender=p.gender, birth_year=p.birth_year) for p in persons])
    for person, identity in zip(persons, made, strict=True):
        person.identity = identity


def index_names(persons: list) -> None:
    """Write the search keys (people/names.py) of these saved appearances' names, replacing the old ones."""
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
    index_names([*created, *renamed])
    refresh_identities([p.identity_id for p in [*created, *renamed]] + list(changed_identities))
    for person in [*created, *renamed]:
        outbox.enqueue("people.suggest_matches", person.pk)


# --- Merge, unmerge, reject (match review) ---------------------------------------------------------------
# A reviewer (`people.policies.may_review`) who sees, with `view_sensitive`, at least one appearance of each
# identity decides; nothing merges on its own (docs/people.md "Match review"). Every decision keeps its
# history: MergeRecord rows (append-only), the suggestions' and appearances' change history, the access log.


def _identity_state(identity) -> dict:
    return {
        "gender": identity.gender,
        "birth_year": identity.birth_year,
        "merged_into": identity.merged_into_id,
    }


def _check_reviewer(actor, identity_ids) -> None:
    """Refuse an actor who may not review, or who does not see (with view_sensitive) at least one appearance
    of each identity: a reviewer must see what they decide."""
    if not policies.may_review(actor):
        raise ValidationError(_("You may not review matches of people."))
    condition = appearance_condition(actor, Action.VIEW_SENSITIVE)
    ids = set(identity_ids)
    seen = (
        set()
        if condition is None
        else set(
            Person.objects.filter(condition, identity_id__in=ids)
            .values_list("identity_id", flat=True)
            .distinct()
        )
    )
    if seen != ids:
        raise ValidationError(
            _("You can only decide on people you may see, with their names, on both sides.")
        )


def _records_of(identity_ids) -> tuple[list[int], list]:
    """The interception ids and stations of every appearance of these identities (for the access log)."""
    rows = list(
        Person.objects.filter(identity_id__in=list(identity_ids)).values_list(
            "source", "record_id", "station__code", named=True
        )
    )
    return interception_ids(rows), sorted({r.station__code for r in rows})


def _move_appearances(*, actor, ids, to_identity_id, reason: str) -> None:
    """Point these appearances at another identity, with a change-history row each (simple_history)."""
    persons = list(Person.objects.filter(pk__in=ids).order_by("pk"))
    for person in persons:
        person.identity_id = to_identity_id
    bulk_update_with_history(
        persons, Person, ["identity"], default_user=actor, default_change_reason=reason[:100] or None
    )


def _pair_for_update(a: int, b: int) -> MatchSuggestion | None:
    """The suggestion row of two identities (lower id first), locked, or None."""
    low, high = sorted((a, b))
    return MatchSuggestion.objects.select_for_update().filter(identity_id=low, candidate_id=high).first()


def _decide(suggestion, *, actor, status: str, reason: str = "") -> None:
    suggestion.status = status
    suggestion.decided_by = actor
    suggestion.decided_at = timezone.now()
    suggestion._change_reason = reason[:100]
    if suggestion.pk is None:
        suggestion.save()
    else:
        suggestion.save(update_fields=["status", "decided_by", "decided_at"])


def _carry_suggestions(*, actor, identity, other) -> None:
    """After `other` merged into `identity`: its pending suggestions name `identity` instead (dropped when
    the pair exists already or would pair `identity` with itself), and its rejections hold for `identity`
    too (a human said `other` is not that person, so the merged person is not either)."""
    rows = list(
        MatchSuggestion.objects.select_for_update()
        .filter(Q(identity=other) | Q(candidate=other))
        .exclude(status=MatchStatus.CONFIRMED)
        .order_by("pk")
    )
    for row in rows:
        third = row.candidate_id if row.identity_id == other.pk else row.identity_id
        if third == identity.pk:
            continue  # the merged pair itself
        low, high = sorted((identity.pk, third))
        existing = _pair_for_update(low, high)
        if row.status == MatchStatus.PENDING:
            if existing is None:
                row.identity_id, row.candidate_id = low, high
                row.save(update_fields=["identity", "candidate"])
            else:
                row.delete()
        elif row.status == MatchStatus.REJECTED:
            if existing is None:
                MatchSuggestion.objects.create(
                    identity_id=low,
                    candidate_id=high,
                    score=row.score,
                    reasons=row.reasons,
                    status=MatchStatus.REJECTED,
                    decided_by=row.decided_by or actor,
                    decided_at=row.decided_at,
                )
            elif existing.status == MatchStatus.PENDING:
                _decide(existing, actor=actor, status=MatchStatus.REJECTED, reason="carried over by a merge")


def identity_merge(*, actor, identity, other, suggestion=None, reason: str = ""):
    """Merge `other` into `identity`: every appearance of `other` moves to `identity`, `other` keeps its row
    with `merged_into` set, and a MergeRecord keeps what moved and both identities' state before, so
    `identity_unmerge` can restore it exactly. The pair's suggestion (given, or the pair's row) is confirmed.
    Refused (ValidationError): the same identity twice, an identity merged away already, a suggestion of
    another pair or decided already, an actor who may not review or does not see both."""
    if identity.pk == other.pk:
        raise ValidationError(_("A person cannot be merged with themselves."))
    with transaction.atomic():
        locked = {
            i.pk: i for i in Identity.objects.select_for_update().filter(pk__in=[identity.pk, other.pk])
        }
        if len(locked) != 2:
            raise ValidationError(_("This person no longer exists."))
        identity, other = locked[identity.pk], locked[other.pk]
        if identity.merged_into_id or other.merged_into_id:
            raise ValidationError(_("One of these people was merged into another already: reload the page."))
        _check_reviewer(actor, [identity.pk, other.pk])
        low, high = sorted((identity.pk, other.pk))
        if suggestion is not None:
            suggestion = MatchSuggestion.objects.select_for_update().get(pk=suggestion.pk)
            if (suggestion.identity_id, suggestion.candidate_id) != (low, high):
                raise ValidationError(_("This suggestion is about other people."))
        else:
            suggestion = _pair_for_update(low, high)
        if suggestion is not None and suggestion.status != MatchStatus.PENDING:
            raise ValidationError(
                _("This pair was already decided (%(status)s); it cannot be decided again.")
                % {"status": suggestion.get_status_display()}
            )
        moved = list(Person.objects.filter(identity=other).order_by("pk").values_list("pk", flat=True))
        before = {"identity": _identity_state(identity), "other": _identity_state(other)}
        _move_appearances(actor=actor, ids=moved, to_identity_id=identity.pk, reason="merge")
        other.merged_into = identity
        other.save(update_fields=["merged_into", "updated_at"])
        if suggestion is not None:
            _decide(suggestion, actor=actor, status=MatchStatus.CONFIRMED, reason=reason)
        _carry_suggestions(actor=actor, identity=identity, other=other)
        refresh_identities([identity.pk])
        record = MergeRecord.objects.create(
            kind=MergeKind.MERGE,
            identity=identity,
            other=other,
            appearances=moved,
            before=before,
            suggestion=suggestion,
            reason=reason,
            actor=actor,
        )
        records, stations = _records_of([identity.pk])
        record_event(
            actor=actor,
            action="person.merge",
            obj=identity,
            stations=stations,
            details={
                "identity": identity.pk,
                "other": other.pk,
                "moved": len(moved),
                "merge": record.pk,
                "suggestion": suggestion.pk if suggestion else None,
                "interceptions": records,
            },
        )
    return record


def identity_unmerge(*, actor, identity, appearance, reason: str = ""):
    """Undo the merge that brought `appearance` into `identity`: the appearances that merge moved (those still
    on `identity`) go back to the identity they came from, which is revived as it was (`merged_into`
    cleared, gender and birth year from the record's `before`). An appearance that did not arrive by a merge
    is split off into a new identity of its own. The pair is remembered as rejected, so it is not suggested
    again. Returns the unmerge's MergeRecord; the merge's record stays as history."""
    with transaction.atomic():
        identity = Identity.objects.select_for_update().get(pk=identity.pk)
        appearance = Person.objects.select_for_update().get(pk=appearance.pk)
        if appearance.identity_id != identity.pk:
            raise ValidationError({"appearance": [_("This appearance is not one of this person's.")]})
        if identity.merged_into_id:
            raise ValidationError(_("This person was merged into another: unmerge there."))
        _check_reviewer(actor, [identity.pk])
        condition = appearance_condition(actor, Action.VIEW_SENSITIVE)
        if condition is None or not Person.objects.filter(condition, pk=appearance.pk).exists():
            raise ValidationError({"appearance": [_("You may not see this appearance.")]})
        last = (
            MergeRecord.objects.filter(identity=identity, appearances__contains=[appearance.pk])
            .order_by("-pk")
            .first()
        )
        current = set(Person.objects.filter(identity=identity).values_list("pk", flat=True))
        if last is not None and last.kind == MergeKind.MERGE:
            other = Identity.objects.select_for_update().get(pk=last.other_id)
            moving = sorted(set(last.appearances) & current)
            state = last.before.get("other") or {}
            before = {"identity": _identity_state(identity), "other": _identity_state(other)}
            other.merged_into_id = state.get("merged_into")
            other.gender = state.get("gender", other.gender)
            other.birth_year = state.get("birth_year", other.birth_year)
            other.save(update_fields=["merged_into", "gender", "birth_year", "updated_at"])
        else:
            if len(current) < 2:
                raise ValidationError(
                    {
                        "appearance": [
                            _("This is the person’s only appearance: there is nothing to split off.")
                        ]
                    }
                )
            other = Identity.objects.create(gender=appearance.gender, birth_year=appearance.birth_year)
            moving = [appearance.pk]
            before = {"identity": _identity_state(identity), "other": None}
        if moving == sorted(current):
            raise ValidationError(
                {"appearance": [_("Nothing would stay with this person: unmerge refused.")]}
            )
        _move_appearances(actor=actor, ids=moving, to_identity_id=other.pk, reason="unmerge")
        refresh_identities([identity.pk, other.pk])
        pair = _pair_for_update(identity.pk, other.pk)
        if pair is None:
            low, high = sorted((identity.pk, other.pk))
            pair = MatchSuggestion(identity_id=low, candidate_id=high, score=0.0, reasons={})
        _decide(pair, actor=actor, status=MatchStatus.REJECTED, reason=reason or "unmerge")
        record = MergeRecord.objects.create(
            kind=MergeKind.UNMERGE,
            identity=identity,
            other=other,
            appearances=moving,
            before=before,
            suggestion=pair,
            reason=reason,
            actor=actor,
        )
        records, stations = _records_of([identity.pk, other.pk])
        record_event(
            actor=actor,
            action="person.unmerge",
            obj=identity,
            stations=stations,
            details={
                "identity": identity.pk,
                "other": other.pk,
                "moved": len(moving),
                "merge": record.pk,
                "interceptions": records,
            },
        )
    return record


def match_reject(*, actor, suggestion, reason: str = ""):
    """Reject a suggested pair: it stays, rejected, so it is never suggested again."""
    with transaction.atomic():
        suggestion = MatchSuggestion.objects.select_for_update().get(pk=suggestion.pk)
        if suggestion.status != MatchStatus.PENDING:
            raise ValidationError(
                _("This pair was already decided (%(status)s); it cannot be decided again.")
                % {"status": suggestion.get_status_display()}
            )
        _check_reviewer(actor, [suggestion.identity_id, suggestion.candidate_id])
        _decide(suggestion, actor=actor, status=MatchStatus.REJECTED, reason=reason)
        records, stations = _records_of([suggestion.identity_id, suggestion.candidate_id])
        record_event(
            actor=actor,
            action="person.match_reject",
            obj=suggestion,
            stations=stations,
            details={
                "identity": suggestion.identity_id,
                "other": suggestion.candidate_id,
                "interceptions": records,
            },
        )
    return suggestion


# --- Manual links ----------------------------------------------------------------------------------------


def person_link_create(*, actor, from_person, to_person, reason: str):
    """Link two appearances by hand, with a reason (docs/people.md "Network"). The actor must hold the
    linking right (`policies.may_link`) and see both appearances' names (`view_sensitive` on both
    records); the reason is required; two appearances are linked once (either way round); two
    appearances of one identity need no link. Audited as `person.link`, naming both records."""
    if not policies.may_link(actor):
        raise PermissionDenied(_("You may not link people."))
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why these two people are linked.")]
    if from_person.pk == to_person.pk or from_person.identity_id == to_person.identity_id:
        errors.setdefault("other", []).append(_("This is the same person: choose another person to link."))
    elif (
        appearance_scope(actor, Action.VIEW_SENSITIVE).filter(pk__in=[from_person.pk, to_person.pk]).count()
        != 2
    ):
        errors.setdefault("other", []).append(
            _("You may link only people whose names you may see on both records.")
        )
    if errors:
        raise ValidationError(errors)
    pair = Q(from_person=from_person, to_person=to_person) | Q(from_person=to_person, to_person=from_person)
    duplicate = ValidationError({"other": [_("These two people are already linked.")]})
    if PersonLink.objects.filter(pair).exists():
        raise duplicate
    try:
        with transaction.atomic():
            link = PersonLink.objects.create(
                from_person=from_person, to_person=to_person, reason=reason, created_by=actor
            )
            records = interception_ids([from_person, to_person])
            record_event(
                actor=actor,
                action="person.link",
                obj=link,
                station=from_person.station,
                details={
                    "identities": sorted([from_person.identity_id, to_person.identity_id]),
                    "interceptions": records,
                },
            )
    except IntegrityError:  # the same link saved by a concurrent request
        raise duplicate from None
    return link
