"""Alerts about legal cases (docs/alerts.md, docs/prosecution.md). prosecution/ publishes events; these
subscribers run in its transaction and create the notifications (once per subject and recipient; e-mail
after the commit through the outbox). Titles and bodies name the legal case number, never a person.

- "legal_case.hearing_due": a hearing in 3 days or today (the daily task, once per hearing and day) → the
  legal officers covering the case's station;
- "legal_case.reoffending": a person convicted in an earlier legal case is a suspect in a new one → the
  legal officers covering the new case's station.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from prosecution.models import Hearing, LegalCase

from . import selectors
from .models import Rule
from .services import _notify_all


def on_hearing_due(*, id: int, day: str) -> None:  # noqa: A002 (id: the hearing)
    hearing = Hearing.objects.select_related("legal_case__station").filter(pk=id).first()
    if hearing is None:
        return
    legal_case = hearing.legal_case
    number, held_on = legal_case.number, hearing.held_on.isoformat()
    today = held_on == day
    _notify_all(
        users=selectors.legal_officers_covering(legal_case.station),
        rule=Rule.HEARING_DUE,
        subject_key=f"hearing:{hearing.pk}:{day}",
        title=lambda: (
            (
                _("Hearing today in legal case %(number)s")
                if today
                else _("Hearing in 3 days in legal case %(number)s")
            )
            % {"number": number}
        ),
        body=lambda: (
            _("Legal case %(number)s has a hearing on %(date)s.") % {"number": number, "date": held_on}
        ),
        url=reverse("prosecution:detail", args=[legal_case.pk]),
    )


def on_reoffending(*, id: int, identity: int) -> None:  # noqa: A002 (id: the new legal case)
    legal_case = LegalCase.objects.select_related("station").filter(pk=id).first()
    if legal_case is None:
        return
    number = legal_case.number
    _notify_all(
        users=selectors.legal_officers_covering(legal_case.station),
        rule=Rule.REOFFENDING,
        subject_key=f"legal_case:{legal_case.pk}:reoffending:{identity}",
        title=lambda: _("A convicted trafficker is a suspect in legal case %(number)s") % {"number": number},
        body=lambda: (
            _("A suspect in legal case %(number)s was convicted in an earlier legal case: see the profile.")
            % {"number": number}
        ),
        url=reverse("prosecution:detail", args=[legal_case.pk]),
    )
