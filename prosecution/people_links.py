"""The legal cases' link source for the network of people (people/network.py, docs/people.md "Network").

Each suspect (defendant) of a legal case is linked to each victim of that legal case (her case file's
appearance, `LegalCaseVictim.victim_case.person`), citing the legal case: "suspect with potential victim",
the closest kind the network knows. Registered in ProsecutionConfig.ready(), so the people app never imports
this one. A reader sees the link only when they may see both appearances
(`people.selectors.appearance_condition`: the defendant's through the `legal_case` rights at the legal case's
station or a grant on it, the victim's through the `case` rights), so a monitor or a case manager never
sees it.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import Action
from people.models import LinkKind
from people.selectors import appearance_condition

from .models import LegalCaseVictim

SUSPECT = "legal_case__suspects__person__"
VICTIM = "victim_case__person__"


def legal_case_links(user, identity_ids) -> list[dict]:
    """The defendant-victim links of these identities on legal cases `user` may see, in one query: each
    victim of a legal case joined with the suspects of the same legal case, where one of the two is one of
    the identities and the reader may see both appearances."""
    ids = sorted({int(i) for i in identity_ids})
    if not ids:
        return []
    see_victim = appearance_condition(user, Action.VIEW, prefix=VICTIM)
    see_suspect = appearance_condition(user, Action.VIEW, prefix=SUSPECT)
    if see_victim is None or see_suspect is None:
        return []
    # One filter() call: every condition on the suspects names the same join (one suspect per row).
    touches = Q(**{f"{VICTIM}identity_id__in": ids}) | Q(**{f"{SUSPECT}identity_id__in": ids})
    found = (
        LegalCaseVictim.objects.filter(see_victim & see_suspect & touches)
        .values_list(f"{SUSPECT}identity_id", f"{VICTIM}identity_id", "legal_case_id", "legal_case__number")
        .order_by("legal_case_id", f"{SUSPECT}identity_id", f"{VICTIM}identity_id")
        .distinct()
    )
    suspect, victim = _("Defendant (legal case)"), _("Victim (legal case)")
    edges = []
    for suspect_identity, victim_identity, legal_case_id, number in found:
        if suspect_identity == victim_identity:  # both appearances were merged into one identity
            continue
        edges.append(
            {
                "a": suspect_identity,
                "b": victim_identity,
                "kind": LinkKind.SUSPECT_WITH_VICTIM.value,
                "record_type": "legal_case",
                "record_id": legal_case_id,
                "record_number": number,
                "record_url": reverse("prosecution:detail", args=[legal_case_id]),
                "a_role": suspect,
                "b_role": victim,
            }
        )
    return edges
