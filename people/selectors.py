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
