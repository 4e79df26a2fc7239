"""Finding identities by a name in any script and spelling, or by a phone in any format, inside PostgreSQL
(docs/people.md "Search"). The caller passes the condition on appearances the search may read (the user's
scope, people/selectors.py); nothing outside it is matched, scored or counted."""

from __future__ import annotations

import re
from contextlib import contextmanager

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Greatest

from . import names, phones
from .models import Person

# A query that is a phone number: digits with the usual separators, at least 6 digits.
_PHONE = re.compile(r"^[\d\s+()\-./]*$")
# The trigram similarity between a key of the query and a key of a name for a hit, handed to pg_trgm as
# `pg_trgm.similarity_threshold`, so the GIN index itself leaves out most keys below it (at 0.3, pg_trgm's
# default, a common name has PostgreSQL compare thousands of keys). First the close names (CLOSE_SIMILARITY);
# only when they are fewer than asked, the wider net (MIN_SIMILARITY). On the labelled set
# (benchmarks/PEOPLE.md) 0.6 keeps ~92% of true variants and 0.45 ~98.5% (a typo plus a dropped middle name
# is the usual miss); a common name has enough close hits, so its costly wide search is never run.
CLOSE_SIMILARITY = 0.6
MIN_SIMILARITY = 0.45


@contextmanager
def trigram_threshold(value: float = MIN_SIMILARITY):
    """Run the queries inside with pg_trgm's `%` threshold at `value` (one statement: set, and read the
    old value). The setting is local to the transaction; inside a caller's transaction it is put back."""
    outer = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "SELECT current_setting('pg_trgm.similarity_threshold', true), "
            "set_config('pg_trgm.similarity_threshold', %s, true)",
            [str(value)],
        )
        previous = cur.fetchone()[0] or "0.3"
        yield cur
        # On an error the savepoint's rollback puts the setting back by itself.
        if outer:
            cur.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [previous])


def _set_threshold(cur, value: float) -> None:
    cur.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [str(value)])


def similar_to(keys, field: str = "name_keys__key"):
    """(the condition, the similarity) of a name's keys against `field`: any key `%`-similar, and the best
    trigram similarity of them."""
    similar = Q()
    for key in keys:
        similar |= Q(**{f"{field}__trigram_similar": key})
    similarity = (
        TrigramSimilarity(field, keys[0])
        if len(keys) == 1
        else Greatest(*(TrigramSimilarity(field, k) for k in keys))
    )
    return similar, similarity


def is_phone(q: str) -> bool:
    q = (q or "").strip()
    return bool(q) and bool(_PHONE.match(q)) and len(re.sub(r"\D", "", q)) >= 6


def phone_forms(q: str, *, region: str = phones.DEFAULT_REGION) -> list[str]:
    """The stored forms a typed phone may have: its E.164 form (in the reader's region), and the text as
    typed for numbers stored before phones were checked."""
    forms = [phones.normalise(q, region=region), q.strip()]
    return list(dict.fromkeys(f for f in forms if f))


def find(*, q: str, condition: Q | None, region: str = phones.DEFAULT_REGION, limit: int = 20):
    """[(identity id, score 0..1)] best first: the identities with an appearance within `condition` (a Q on
    `Person`, or None for nothing) whose name or phone matches `q`."""
    q = (q or "").strip()
    if not q or condition is None:
        return []
    if is_phone(q):
        rows = (
            Person.objects.filter(condition, phone__in=phone_forms(q, region=region))
            .values_list("identity_id", flat=True)
            .distinct()[:limit]
        )
        return [(identity, 1.0) for identity in rows]
    keys = names.keys(q)
    if not keys:
        return []
    best: dict[int, float] = {}
    # A person search lists close names; the wide net (slow for common words) only when nothing is close.
    for identity, similarity in similar_appearances(keys, condition=condition, enough=limit, enough_close=1):
        best[identity] = max(best.get(identity, 0.0), similarity)
    ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [(identity, round(value, 3)) for identity, value in ranked]


# At most this many appearances come back from one name query (the most similar first).
MAX_ROWS = 5000


def similar_appearances(
    keys,
    *,
    condition: Q,
    enough: int,
    fields=(),
    exclude=(),
    enough_same: int | None = None,
    enough_close: int | None = None,
) -> list[tuple]:
    """[(identity id, similarity, *fields)] of the appearances within `condition` whose name keys are
    trigram-similar to `keys`, most similar first. In tiers, each only when the one before found fewer
    than `enough` identities (`enough_same`, `enough_close` for the first two tiers, default `enough`):
    the same key, with or without a middle name (the normal forms make most spellings one key; a btree
    index answers equality),
    close names (CLOSE_SIMILARITY), the wider net (MIN_SIMILARITY). A common name has enough namesakes at
    the first tier, so its costly fuzzy search (every key sharing a trigram such as "ang") is never run."""
    _, similarity = similar_to(keys)
    # The fuzzy tiers look around the best key only: the other keys of a Devanagari name (with the inherent
    # "a" kept) are trigram neighbours of the first, and each key costs one more scan of the trigram index.
    similar, _ = similar_to(keys[:1])
    # The same name: its keys, and the keys of the name with a middle name left out or put in (a btree
    # on the key answers all of them in a millisecond or two).
    same_keys = list(dict.fromkeys([*keys, *(v for k in keys for v in names.middle_variants(k))]))
    same = Q(name_keys__key__in=same_keys)

    def query(match):
        # From the appearances within the condition, joined to their keys: the index finds the keys, and
        # the condition is checked on the few appearances they belong to.
        qs = Person.objects.filter(condition).filter(match)
        if exclude:
            qs = qs.exclude(identity_id__in=list(exclude))
        return (
            qs.annotate(name_similarity=similarity)
            .order_by("-name_similarity")
            .values_list("identity_id", "name_similarity", *fields)[:MAX_ROWS]
        )

    rows = list(query(same))
    if len({row[0] for row in rows}) >= (enough if enough_same is None else enough_same):
        return rows
    fuzzy = query(similar)
    with trigram_threshold(CLOSE_SIMILARITY) as cur:
        rows = list(fuzzy)
        if len({row[0] for row in rows}) < (enough if enough_close is None else enough_close):
            _set_threshold(cur, MIN_SIMILARITY)
            rows = list(fuzzy.all())
    return rows
