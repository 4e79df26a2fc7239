"""The case files' link source for the network of people (people/network.py, docs/people.md "Network").

The recruiter a victim named in an interview (`Interview.recruiter`, an appearance on the case file) is
linked to the case's person, citing the case: "recruited by". Registered in CasesConfig.ready(), so the
people app never imports this one. A reader sees the link only when they may see both appearances
(`people.selectors.appearance_condition`: for case-file appearances, the `case` rights at the case's
station or a grant on the case), so a monitor never sees it.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import Action
from people.models import LinkKind
from people.selectors import appearance_condition

from .models import Interview


def case_links(user, identity_ids) -> list[dict]:
    """The "recruited by" links of these identities on case files `user` may see, in one query: each
    interview naming a recruiter, where the victim or the recruiter is one of the identities and the reader
    may see both appearances."""
    ids = sorted({int(i) for i in identity_ids})
    if not ids:
        return []
    see_victim = appearance_condition(user, Action.VIEW, prefix="case__person__")
    see_recruiter = appearance_condition(user, Action.VIEW, prefix="recruiter__")
    if see_victim is None or see_recruiter is None:
        return []
    found = (
        Interview.objects.filter(see_victim & see_recruiter, recruiter__isnull=False)
        .filter(Q(case__person__identity_id__in=ids) | Q(recruiter__identity_id__in=ids))
        .values_list("case__person__identity_id", "recruiter__identity_id", "case_id", "case__number")
        .order_by("case_id", "recruiter__identity_id")
        .distinct()
    )
    victim, recruiter = _("Person of the case"), _("Recruiter (victim interview)")
    edges = []
    for victim_identity, recruiter_identity, case_id, number in found:
        if victim_identity == recruiter_identity:  # both appearances were merged into one identity
            continue
        edges.append(
            {
                "a": victim_identity,
                "b": recruiter_identity,
                "kind": LinkKind.RECRUITED_BY.value,
                "record_type": "case",
                "record_id": case_id,
                "record_number": number,
                "record_url": reverse("cases:detail", args=[case_id]),
                "a_role": victim,
                "b_role": recruiter,
            }
        )
    return edges
