"""Every read of people, scoped to the reader (docs/people.md "Who sees what").

An identity has no visibility of its own: a user sees an appearance when they may see the record it is on
(its `source` record type, at its `station`, or a share of that one record: `record_id`), and sees an
identity only through the appearances they may see. Names, phones and documents come from those
appearances only, so no answer tells that an identity has appearances elsewhere.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.access import NEVER, REGISTERED_GRANTS, predicate, profile_of
from accounts.roles import Action

from .models import Identity, Person, Source


def appearance_condition(user, action: str = Action.VIEW, *, prefix: str = "") -> Q | None:
    """The condition under which `user` may see an appearance (a `Person` row) for `action` (`view`, or
    `view_sensitive` for its names and contacts), as a `Q` on Person (fields under `prefix`, e.g.
    "appearances__"), or None when no appearance can be. One predicate per record type, OR-ed."""
    profile = profile_of(user)
    condition = Q()
    for source in Source.values:
        q = predicate(
            user,
            source,
            action,
            station_field=f"{prefix}station",
            grants=REGISTERED_GRANTS.get(source),
            object_field=f"{prefix}record_id",
            profile=profile,
        )
        if q is not NEVER:
            condition |= Q(**{f"{prefix}source": source}) & q
    return condition or None


def appearance_scope(user, action: str = Action.VIEW) -> QuerySet[Person]:
    """The appearances `user` may see (for `action`)."""
    condition = appearance_condition(user, action)
    return Person.objects.none() if condition is None else Person.objects.filter(condition)


def with_sensitive_flag(qs: QuerySet[Person], user) -> QuerySet[Person]:
    """Mark each appearance with `can_see_sensitive` (names, phones, addresses), in the same query."""
    from django.db.models import BooleanField, ExpressionWrapper, Value

    condition = appearance_condition(user, Action.VIEW_SENSITIVE)
    flag = Value(False) if condition is None else ExpressionWrapper(condition, output_field=BooleanField())
    return qs.annotate(can_see_sensitive=flag)


def identity_scope(user) -> QuerySet[Identity]:
    """The identities `user` may know of: those with at least one appearance they may see (merged-away
    identities have none, so they drop out on their own)."""
    return Identity.objects.filter(pk__in=appearance_scope(user).values("identity_id"))


# --- Search and the identity page -------------------------------------------------------------------------

# A name or phone shorter than this finds too much to be a search (the page and the API refuse it).
SEARCH_MIN_LENGTH = 2
# At most this many identities per search (the page shows them all; there is no second page).
SEARCH_LIMIT = 20
# The person filter of the interception list looks at up to this many identities.
PERSON_FILTER_LIMIT = 50

# What an appearance's record is called, per `Person.source`: a function of appearance ids returning
# {appearance id: {"record_id", "number", "url", "station", "role", "role_label"}} for those it knows. The
# record's app fills it in its AppConfig.ready() (interception/apps.py), so people imports no app above it.
RECORD_LABELS: dict = {}


class IdentityMerged(Exception):
    """The identity was merged into `survivor`, which the user may see: the page redirects there."""

    def __init__(self, survivor: int):
        self.survivor = survivor
        super().__init__(f"merged into {survivor}")


def query_digest(q: str) -> str:
    """A keyed hash (HMAC-SHA256, hex) of a search query, for the access log: the same query gives the same
    digest (an auditor can tell repeated searches, or check a query they are told of) and the log never
    holds the query itself. The query is normalised first: spaces trimmed and collapsed, case folded, Unicode
    NFC (so one Devanagari spelling typed two ways gives one digest)."""
    import hashlib
    import hmac
    import unicodedata

    from django.conf import settings

    text = unicodedata.normalize("NFC", " ".join((q or "").split()).casefold())
    key = settings.AUDIT_QUERY_KEY or f"audit-query:{settings.SECRET_KEY}"
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def check_query(q: str) -> str:
    """The query trimmed, or a ValidationError (field `q`) when it is too short to search."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    q = (q or "").strip()
    if len(q) < SEARCH_MIN_LENGTH:
        raise ValidationError(
            {
                "q": _("Type at least %(limit_value)d characters of a name or phone.")
                % {"limit_value": SEARCH_MIN_LENGTH}
            }
        )
    return q


def _visible_appearances(user, identity_ids) -> QuerySet[Person]:
    """The appearances of `identity_ids` that `user` may see, each marked `can_see_sensitive`."""
    condition = appearance_condition(user, Action.VIEW)
    if condition is None:
        return Person.objects.none()
    return with_sensitive_flag(Person.objects.filter(condition, identity_id__in=list(identity_ids)), user)


def _names(appearances) -> list[str]:
    """Distinct names of the appearances, as the reader may see them (masked once where hidden)."""
    from .masking import mask

    return list(dict.fromkeys(mask(p.full_name, p.can_see_sensitive) for p in appearances if p.full_name))


def interception_ids(appearances) -> list[int]:
    """The ids of the interceptions these appearances (anything with `source` and `record_id`) are on: what
    a read of people names in its access-log event (`details["interceptions"]`)."""
    return sorted({p.record_id for p in appearances if p.source == Source.INTERCEPTION and p.record_id})


# The key of each kind of record in an access-log event of a read of people (`shown_records`).
RECORD_KEYS = {Source.INTERCEPTION: "interceptions", Source.CASE: "cases"}


def shown_records(appearances) -> dict[str, list[int]]:
    """What a read of people names in its access-log event: the ids of the records these appearances are
    on, per kind: `{"interceptions": [...]}` always, `"cases": [...]` when a case file's appearance was
    shown (anything with `source` and `record_id`)."""
    found: dict[str, set[int]] = {key: set() for key in RECORD_KEYS.values()}
    for p in appearances:
        key = RECORD_KEYS.get(p.source)
        if key and p.record_id:
            found[key].add(p.record_id)
    return {key: sorted(ids) for key, ids in found.items() if ids or key == "interceptions"}


def record_labels(appearances) -> dict[int, dict]:
    """{appearance id: {"number", "url", "station", "role", "role_label", ...}} for these appearances
    (anything with `id`, `source`), one call per record type to the registry `RECORD_LABELS`."""
    by_source: dict[str, list[int]] = {}
    for a in appearances:
        by_source.setdefault(a.source, []).append(a.id)
    labels: dict[int, dict] = {}
    for source, ids in by_source.items():
        describe = RECORD_LABELS.get(source)
        if describe is not None:
            labels.update(describe(sorted(ids)) or {})
    return labels


def search_people(user, q: str, *, limit: int = SEARCH_LIMIT) -> list[dict]:
    """The identities whose name (any script, any spelling) or phone (any format) matches `q`, matched ONLY
    on appearances `user` may read names of (`view_sensitive`: matching a hidden name would reveal it),
    best first. Each result: `id`, `score`, `names` (of the appearances the user may see, masked where they
    may not read them), `appearances` (how many they may see), `last_seen` (date) and `last_station`.

    Audited: one `person.search` event with the hit count, a keyed hash of the query (`query_digest`, never
    the query) and the interceptions whose appearances the results show. A query shorter than
    SEARCH_MIN_LENGTH raises ValidationError."""
    from django.db.models import F

    from audit.services import record_event

    from .search import find

    q = check_query(q)
    hits = find(q=q, condition=appearance_condition(user, Action.VIEW_SENSITIVE), limit=limit)
    by_identity: dict[int, list[Person]] = {identity: [] for identity, _ in hits}
    if hits:
        rows = (
            _visible_appearances(user, by_identity)
            .select_related("station")
            .only("identity_id", "source", "record_id", "full_name", "recorded_on", "station__code")
            .order_by("identity_id", F("recorded_on").desc(nulls_last=True), "-id")
        )
        for person in rows:
            by_identity[person.identity_id].append(person)
    results, shown = [], []
    for identity, score in hits:
        appearances = by_identity[identity]
        if not appearances:  # cannot happen (a hit is on a visible appearance); never show an empty row
            continue
        last = appearances[0]  # newest first (undated last)
        results.append(
            {
                "id": identity,
                "score": score,
                "names": _names(appearances),
                "appearances": len(appearances),
                "last_seen": last.recorded_on,
                "last_station": last.station.code,
            }
        )
        shown.extend(appearances)
    record_event(
        actor=user,
        action="person.search",
        object_type="identity",
        object_ids=[r["id"] for r in results],
        stations=[p.station for p in shown],
        details={
            "hits": len(results),
            "query_hash": query_digest(q),
            **shown_records(shown),
        },
    )
    return results


def _survivor(pk: int) -> int | None:
    """The identity `pk` was merged into, following merges of merges (None when it was not merged)."""
    seen = {pk}
    current = Identity.objects.filter(pk=pk).values_list("merged_into_id", flat=True).first()
    while current is not None and current not in seen:
        seen.add(current)
        nxt = Identity.objects.filter(pk=current).values_list("merged_into_id", flat=True).first()
        if nxt is None:
            return current
        current = nxt
    return None


def _estimate_birth_year(appearances) -> int | None:
    """The median of the birth years the visible appearances' ages give (None without any)."""
    import statistics

    years = [p.birth_year for p in appearances if p.birth_year is not None]
    return int(statistics.median_low(years)) if years else None


def _gender(appearances) -> str:
    """The gender most visible appearances recorded (unknown when none did)."""
    from collections import Counter

    from .models import Gender

    counts = Counter(p.gender for p in appearances if p.gender and p.gender != Gender.UNKNOWN)
    return counts.most_common(1)[0][0] if counts else Gender.UNKNOWN


def access_identity(user, pk) -> dict:
    """The one way to read an identity for a response: its appearances `user` may see, and what they show,
    or Http404 when they see none (a missing identity and one out of reach answer alike; an attempt on one
    that exists is logged as `access.denied`). An identity merged into another raises IdentityMerged when
    the user may see the survivor (pages redirect; the API answers 404).

    Names, phones, the gender and the birth-year estimate come from the visible appearances only, masked
    per appearance where the user may not read them. Audited: one `person.view` event naming the
    interceptions shown and the number of appearances."""
    from django.db.models import F
    from django.http import Http404

    from audit.services import record_denied, record_event

    from . import masking
    from .models import Gender

    try:
        pk = int(pk)
    except (TypeError, ValueError, OverflowError):
        raise Http404("No such person.") from None
    if not 0 < pk < 2**63:  # not a bigint: no such identity
        raise Http404("No such person.")
    appearances = list(
        _visible_appearances(user, [pk])
        .select_related("station__country", "address_place__parent")
        .order_by(F("recorded_on").desc(nulls_last=True), "-id")
    )
    if not appearances:
        survivor = _survivor(pk)
        if survivor is not None and _visible_appearances(user, [survivor]).exists():
            raise IdentityMerged(survivor)
        if Identity.objects.filter(pk=pk).exists():
            record_denied(actor=user, object_type="identity", object_id=pk, action="view")
        raise Http404("No such person.")
    labels = record_labels(appearances)
    rows = []
    for p in appearances:
        allowed = bool(p.can_see_sensitive)
        fields = masking.person_fields(
            p, allowed, region=p.station.country.code if p.station.country_id else "NP"
        )
        label = labels.get(p.pk, {})
        rows.append(
            {
                **fields,
                "id": p.pk,
                "can_see_sensitive": allowed,
                "record_type": p.source,
                "record_id": p.record_id,
                "record_number": label.get("number", ""),
                "record_url": label.get("url", ""),
                "role": label.get("role", ""),
                "role_label": label.get("role_label", ""),
                "recorded_on": p.recorded_on,
                "station": p.station.code,
            }
        )
    phones, phone_display = [], {}
    for row in rows:
        if row["can_see_sensitive"] and row["phone"] and row["phone"] not in phone_display:
            phones.append(row["phone"])
            phone_display[row["phone"]] = row["phone_display"]
    records = shown_records(appearances)
    record_event(
        actor=user,
        action="person.view",
        object_type="identity",
        object_id=pk,
        stations=[p.station for p in appearances],
        details={**records, "appearances": len(appearances)},
    )
    gender = _gender(appearances)
    return {
        "id": pk,
        "names": _names(appearances),
        "phones": phones,
        "phones_display": [phone_display[p] for p in phones],
        "gender": gender,
        "gender_label": str(Gender(gender).label),
        "birth_year": _estimate_birth_year(appearances),
        "appearances": rows,
        "interceptions": records["interceptions"],
    }


def matching_appearances(user, q: str, *, limit: int = PERSON_FILTER_LIMIT) -> QuerySet[Person]:
    """The appearances, among those whose names `user` may read, of the identities `q` finds: the person
    filter of a list (interceptions having one of them). Unread: a subquery for the list's own query."""
    from .search import find

    condition = appearance_condition(user, Action.VIEW_SENSITIVE)
    hits = find(q=q, condition=condition, limit=limit)
    if not hits:
        return Person.objects.none()
    return Person.objects.filter(condition, identity_id__in=[identity for identity, _ in hits])


# --- The review queue -------------------------------------------------------------------------------------
