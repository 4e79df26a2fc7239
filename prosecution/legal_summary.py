"""The legal status of a victim's legal cases, shown read-only on her case file (docs/prosecution.md
"Victims in the legal case"): registered with `cases.related` (case files may not import prosecution).

Case managers do not see legal cases; on a case file they may see, this tells them, for each legal case her
case file is linked to: its number and stage, the charges' statuses in words ("2 charges: 1 convicted
(lesser), 1 pending"), the next hearing date, her contact status and whether she is willing to testify.
Numbers, codes, counts and dates only: no names, no narratives. Two queries at most.
"""

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Charge, Hearing, LegalCaseVictim, Verdict

# The order the charges' statuses are told in; a conviction is "trafficking" or "lesser" by the statute
# convicted under (or charged with, when none is recorded).
ORDER = ("convicted_trafficking", "convicted_lesser", "acquitted", "dismissed", "withdrawn", "pending")


def _labels() -> dict[str, str]:
    return {
        "convicted_trafficking": _("convicted (trafficking)"),
        "convicted_lesser": _("convicted (lesser)"),
        "acquitted": _("acquitted"),
        "dismissed": _("dismissed"),
        "withdrawn": _("withdrawn"),
        "pending": _("pending"),
    }


def charges_in_words(counts: dict[str, int]) -> str:
    """The charges in words: "2 charges: 1 convicted (lesser), 1 pending", or "No charges yet"."""
    total = sum(counts.values())
    if not total:
        return _("No charges yet")
    labels = _labels()
    parts = ", ".join(f"{counts[code]} {labels[code]}" for code in ORDER if counts.get(code))
    return ngettext("%(n)s charge: %(parts)s", "%(n)s charges: %(parts)s", total) % {
        "n": total,
        "parts": parts,
    }


def legal_summaries(user, case) -> list[dict]:
    """One dict per legal case the case file is in (oldest link first). Called by the case page and API
    after `access_case` checked that `user` may see the case file."""
    today = case.station.local_today()
    next_hearing = (
        Hearing.objects.filter(legal_case=OuterRef("legal_case"), held_on__gte=today)
        .order_by("held_on")
        .values("held_on")[:1]
    )
    links = list(
        LegalCaseVictim.objects.filter(victim_case=case)
        .select_related("legal_case")
        .annotate(next_hearing=Subquery(next_hearing))
        .order_by("id")
    )
    if not links:
        return []
    counts: dict[int, dict[str, int]] = {link.legal_case_id: {} for link in links}
    rows = (
        Charge.objects.filter(legal_case_id__in=list(counts))
        .annotate(trafficking=Coalesce("convicted_under__is_trafficking", "statute__is_trafficking"))
        .values("legal_case_id", "verdict", "trafficking")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        code = row["verdict"]
        if code == Verdict.CONVICTED:
            code = "convicted_trafficking" if row["trafficking"] else "convicted_lesser"
        per_case = counts[row["legal_case_id"]]
        per_case[code] = per_case.get(code, 0) + row["n"]
    summaries = []
    for link in links:
        legal_case, charge_counts = link.legal_case, counts[link.legal_case_id]
        summaries.append(
            {
                "number": legal_case.number,
                "stage": legal_case.stage,
                "stage_label": legal_case.get_stage_display(),
                "charges": sum(charge_counts.values()),
                "charge_counts": {code: charge_counts[code] for code in ORDER if code in charge_counts},
                "charges_text": charges_in_words(charge_counts),
                "next_hearing": link.next_hearing,
                "contact_status": link.contact_status,
                "contact_status_label": link.get_contact_status_display() if link.contact_status else "",
                "willing_to_testify": link.willing_to_testify,
                "willing_to_testify_label": (
                    link.get_willing_to_testify_display() if link.willing_to_testify else ""
                ),
            }
        )
    return summaries
