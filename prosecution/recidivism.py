"""Recidivism of a trafficker (docs/prosecution.md "Trafficker profile and recidivism"), computed from the
identity's suspect appearances across legal cases and the prior records entered by hand.

Counts are facts for prosecutors: they cover every legal case the identity is a suspect on, whoever may see
it. Which legal case a row comes from (its number and link) is shown only when the reader may see that
legal case (`visible`); otherwise the row says "another legal case". No names leave this module.

`is_reoffender`: convicted (in a legal case, or a prior conviction entered by hand) and then a suspect in a
legal case opened on or after the conviction's date. The re-offending alert (`on_suspect_added`) fires when
a suspect is added whose identity was convicted in an earlier legal case.
"""

from dataclasses import dataclass, field
from datetime import date

from core import events

from .models import ArrestStatus, Charge, PriorRecord, Suspect, Verdict


@dataclass
class Recidivism:
    legal_cases: int = 0  # legal cases the identity is a suspect on
    arrests: list = field(default_factory=list)
    convictions: list = field(default_factory=list)
    prior_records: list = field(default_factory=list)
    is_reoffender: bool = False

    @property
    def repeat(self) -> bool:
        """A suspect in more than one legal case, or with a prior record by hand."""
        return self.legal_cases > 1 or bool(self.prior_records)

    @property
    def arrest_count(self) -> int:
        return len(self.arrests) + sum(1 for r in self.prior_records if r.kind == "arrest")

    @property
    def conviction_count(self) -> int:
        return len(self.convictions) + sum(1 for r in self.prior_records if r.kind == "conviction")


def _conviction_day(charge: Charge) -> date:
    """The day a conviction counts from: its verdict date, or the legal case's opening without one."""
    return charge.verdict_on or charge.legal_case.opened_on


def recidivism(identity_id: int, *, visible=frozenset(), profile=None) -> Recidivism:
    """The identity's record across legal cases (three queries). `visible`: ids of the legal cases the
    reader may see (their numbers are shown); `profile`: the TraffickerProfile, for the prior records."""
    suspects = list(
        Suspect.objects.filter(person__identity_id=identity_id)
        .select_related("legal_case__station")
        .order_by("legal_case__opened_on", "id")
    )
    charges = list(
        Charge.objects.filter(suspect__person__identity_id=identity_id, verdict=Verdict.CONVICTED)
        .select_related("legal_case", "statute", "convicted_under")
        .order_by("verdict_on", "id")
    )
    records = list(PriorRecord.objects.filter(profile=profile)) if profile is not None else []

    def case_of(legal_case) -> dict:
        shown = legal_case.pk in visible
        return {"id": legal_case.pk if shown else None, "number": legal_case.number if shown else ""}

    result = Recidivism(legal_cases=len({s.legal_case_id for s in suspects}), prior_records=records)
    for s in suspects:
        if s.arrest_status != ArrestStatus.NOT_ARRESTED:
            result.arrests.append(
                {"legal_case": case_of(s.legal_case), "status": s.arrest_status, "on": s.arrested_on}
            )
    for c in charges:
        statute = c.convicted_under or c.statute
        result.convictions.append(
            {
                "legal_case": case_of(c.legal_case),
                "statute": statute.code,
                "statute_title": statute.title,
                "is_trafficking": statute.is_trafficking,
                "on": c.verdict_on,
                "imprisonment_total_days": c.imprisonment_total_days,
                "fine_amount": c.fine_amount,
                "fine_currency": c.fine_currency,
            }
        )
    result.is_reoffender = _reoffended(suspects, charges, records)
    return result


def _reoffended(suspects, charges, records) -> bool:
    for c in charges:
        day = _conviction_day(c)
        if any(s.legal_case_id != c.legal_case_id and s.legal_case.opened_on >= day for s in suspects):
            return True
    for r in records:
        if (
            r.kind == "conviction"
            and r.occurred_on is not None
            and any(s.legal_case.opened_on >= r.occurred_on for s in suspects)
        ):
            return True
    return False


def convicted_before(identity_id: int, legal_case) -> bool:
    """Whether the identity was convicted before `legal_case`: a conviction in another legal case dated on
    or before its opening (an undated one: that legal case opened on or before it), or a prior conviction
    by hand dated on or before it."""
    for c in (
        Charge.objects.filter(suspect__person__identity_id=identity_id, verdict=Verdict.CONVICTED)
        .exclude(legal_case_id=legal_case.pk)
        .select_related("legal_case")
    ):
        if _conviction_day(c) <= legal_case.opened_on:
            return True
    return PriorRecord.objects.filter(
        profile__identity_id=identity_id, kind="conviction", occurred_on__lte=legal_case.opened_on
    ).exists()


def on_suspect_added(*, id: int, **ignored) -> None:  # noqa: A002 (id: the suspect)
    """On "legal_case.suspect_added": when the new suspect's identity was convicted in an earlier legal case,
    publish "legal_case.reoffending" (alerts/legal_alerts.py tells the legal officers of the new case)."""
    suspect = Suspect.objects.select_related("person", "legal_case").filter(pk=id).first()
    if suspect is None:
        return
    identity_id = suspect.person.identity_id
    if convicted_before(identity_id, suspect.legal_case):
        events.publish("legal_case.reoffending", id=suspect.legal_case_id, identity=identity_id)
