"""The interception's link source for the network of people (people/network.py, docs/people.md "Network").

Two people on the same interception are linked, citing it: two potential victims (or two suspects)
"travelled together"; a suspect and a potential victim are "suspect with potential victim". Companion rows
(who is whose broker, spouse...) join people already on the same record, so they add no link of their own.
Only interceptions the reader may see (`interception_scope`) give links.
"""

from __future__ import annotations

from django.db.models import F, Q
from django.urls import reverse

from people.models import LinkKind

from .models import Interceptee, IntercepteeRole


def kind_of(role_a: str, role_b: str) -> str:
    """The link between two people by their roles on one record."""
    suspect = IntercepteeRole.SUSPECT
    if (role_a == suspect) != (role_b == suspect):
        return LinkKind.SUSPECT_WITH_VICTIM.value
    return LinkKind.TRAVELLED_TOGETHER.value


def interception_links(user, identity_ids) -> list[dict]:
    """The links of these identities on interceptions `user` may see, in one query: each interceptee of
    the identities joined with the other interceptees of the same record (a self-join on the
    interception), within the reader's scope."""
    from .selectors import interception_scope

    ids = sorted({int(i) for i in identity_ids})
    if not ids:
        return []
    rows = (
        Interceptee.objects.filter(
            interception__in=interception_scope(user).values("pk"), person__identity_id__in=ids
        )
        .annotate(
            other_identity=F("interception__interceptees__person__identity_id"),
            other_role=F("interception__interceptees__role"),
        )
        .filter(~Q(other_identity=F("person__identity_id")))
        .values_list(
            "person__identity_id",
            "role",
            "other_identity",
            "other_role",
            "interception_id",
            "interception__number",
        )
        .order_by("interception_id", "person__identity_id", "other_identity")
        .distinct()
    )
    roles = dict(IntercepteeRole.choices)
    edges = []
    for identity, role, other, other_role, interception_id, number in rows:
        edges.append(
            {
                "a": identity,
                "b": other,
                "kind": kind_of(role, other_role),
                "record_type": "interception",
                "record_id": interception_id,
                "record_number": number,
                "record_url": reverse("interception:detail", kwargs={"pk": interception_id}),
                "a_role": roles.get(role, role),
                "b_role": roles.get(other_role, other_role),
            }
        )
    return edges
