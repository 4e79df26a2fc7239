"""The legal case page's timeline and the legal case's change history (docs/prosecution.md "The legal case,
its complaint and its stages").

Both read django-simple-history's tables, one query per source whatever the number of items, and are given
a legal case that `selectors.access_legal_case` returned (its `can_see_sensitive` decides what the history
masks). Timeline items carry codes translated to labels and usernames, never a person's name or a narrative:
they read the same for every reader of the legal case.
"""

from django.utils.translation import gettext as _

from core.timeline import Item, shown
from core.timeline import field_label as _field_label
from core.timeline import label as _label
from core.timeline import ordered as _ordered
from core.timeline import usernames as _usernames
from core.timeline import who as _who
from people.masking import mask
from people.models import Person

from .models import (
    Appeal,
    ArrestStatus,
    Charge,
    Comment,
    CourtCase,
    Hearing,
    LegalCase,
    LegalCaseVictim,
    NotFiledReason,
    Stage,
    Suspect,
    Verdict,
)


def _changes(records, on_create, on_change):
    """Call `on_create(record)` for each created row and `on_change(record, previous)` for each later
    version of a row (records in history order)."""
    previous: dict = {}
    for record in records:
        prev = previous.get(record.id)
        previous[record.id] = record
        if record.history_type == "+":
            on_create(record)
        elif record.history_type == "~" and prev is not None:
            on_change(record, prev)


def timeline(legal_case: LegalCase) -> list[Item]:
    """The legal case's timeline, newest first: opened, complaint filed or changed, stages, suspects added
    and their arrests (recorded, verified), court cases, charges and verdicts, appeals, victims linked,
    hearings and their outcomes, comments added and deleted. Nine queries."""
    items: list[Item] = []
    pk = legal_case.pk

    def add(record, kind, text, **codes):
        items.append(Item(record.history_date, _who(record), kind, text, codes=codes))

    # 1. The legal case's own history: opened, the complaint, stages.
    def case_created(r):
        add(
            r,
            "opened",
            _("Legal case opened (%(stage)s)") % {"stage": _label(Stage.choices, r.stage)},
            stage=r.stage,
        )

    def case_changed(r, p):
        if r.stage != p.stage:
            if p.stage in (Stage.CLOSED, Stage.NOT_FILED) and r.stage not in (Stage.CLOSED, Stage.NOT_FILED):
                text = _("Reopened (back to %(stage)s)") % {"stage": _label(Stage.choices, r.stage)}
            elif r.stage == Stage.NOT_FILED:
                text = _("Not filed: %(reason)s") % {
                    "reason": _label(NotFiledReason.choices, r.not_filed_reason)
                }
            else:
                text = _("Stage: %(stage)s") % {"stage": _label(Stage.choices, r.stage)}
            codes = {"from": p.stage, "to": r.stage}
            if r.stage == Stage.NOT_FILED:
                codes["reason"] = r.not_filed_reason
            add(r, "stage", text, **codes)
        fields = [
            f
            for f in (
                "complaint_number",
                "complaint_filed_on",
                "police_station",
                "district_id",
                "district_text",
            )
            if getattr(r, f) != getattr(p, f)
        ]
        if fields:
            add(r, "complaint", _("Complaint details changed"))

    _changes(_ordered(LegalCase.history.filter(id=pk)), case_created, case_changed)

    # 2. Suspects and their arrests.
    def suspect_created(r):
        add(r, "suspect", _("Suspect #%(id)s added") % {"id": r.id})
        if r.arrest_status != ArrestStatus.NOT_ARRESTED:
            add(r, "arrest", _arrest_text(r), status=r.arrest_status)

    def suspect_changed(r, p):
        if r.arrest_status != p.arrest_status or r.arrested_on != p.arrested_on:
            add(r, "arrest", _arrest_text(r), status=r.arrest_status)
        if r.arrest_verified_by_id and r.arrest_verified_by_id != p.arrest_verified_by_id:
            add(r, "arrest", _("Arrest of suspect #%(id)s verified") % {"id": r.id})
        if r.named_on_charge_sheet and not p.named_on_charge_sheet:
            add(r, "suspect", _("Suspect #%(id)s named on the charge sheet") % {"id": r.id})

    _changes(_ordered(Suspect.history.filter(legal_case_id=pk)), suspect_created, suspect_changed)

    # 3. Court cases (their court and number are not personal).
    _changes(
        _ordered(CourtCase.history.filter(legal_case_id=pk)),
        lambda r: add(r, "court_case", _("Court case %(number)s added") % {"number": r.number}),
        lambda r, p: None,
    )

    # 4. Charges and verdicts.
    def charge_created(r):
        add(
            r,
            "charge",
            _("Charge #%(id)s against suspect #%(suspect)s") % {"id": r.id, "suspect": r.suspect_id},
        )

    def charge_changed(r, p):
        if r.verdict != p.verdict:
            add(
                r,
                "verdict",
                _("Charge #%(id)s: %(verdict)s")
                % {"id": r.id, "verdict": _label(Verdict.choices, r.verdict).lower()},
                verdict=r.verdict,
            )

    _changes(_ordered(Charge.history.filter(legal_case_id=pk)), charge_created, charge_changed)

    # 5. Appeals.
    def appeal_changed(r, p):
        if r.outcome != p.outcome:
            add(
                r,
                "appeal",
                _("Appeal #%(id)s decided: %(outcome)s") % {"id": r.id, "outcome": r.get_outcome_display()},
            )

    _changes(
        _ordered(Appeal.history.filter(charge__legal_case_id=pk)),
        lambda r: add(r, "appeal", _("Appeal filed against charge #%(id)s") % {"id": r.charge_id}),
        appeal_changed,
    )

    # 6. Victims linked.
    _changes(
        _ordered(LegalCaseVictim.history.filter(legal_case_id=pk)),
        lambda r: add(r, "victim", _("Victim's case file linked")),
        lambda r, p: None,
    )

    # 7. Hearings and their outcomes.
    def hearing_changed(r, p):
        if r.outcome and r.outcome != p.outcome:
            add(
                r,
                "hearing",
                _("Outcome of the hearing of %(date)s recorded") % {"date": r.held_on.isoformat()},
            )

    _changes(
        _ordered(Hearing.history.filter(legal_case_id=pk)),
        lambda r: add(r, "hearing", _("Hearing planned for %(date)s") % {"date": r.held_on.isoformat()}),
        hearing_changed,
    )

    # 8. Comments, added and deleted (their text is on the page's comments, not here).
    def comment_changed(r, p):
        if r.deleted_at and not p.deleted_at:
            add(r, "comment", _("Comment deleted"))

    _changes(
        _ordered(Comment.history.filter(legal_case_id=pk)),
        lambda r: add(r, "comment", _("Comment added")),
        comment_changed,
    )

    items.sort(key=lambda item: item.at, reverse=True)
    return items


def _arrest_text(record) -> str:
    text = _("Suspect #%(id)s: %(status)s") % {
        "id": record.id,
        "status": _label(ArrestStatus.choices, record.arrest_status).lower(),
    }
    if record.arrested_on:
        text = _("%(text)s on %(date)s") % {"text": text, "date": record.arrested_on.isoformat()}
    return text


# --- the change history -----------------------------------------------------------------------------------

# Free-text and personal fields of the sub-records, masked without `view_sensitive` (with each model's own
# SENSITIVE_FIELDS).
EXTRA_SENSITIVE = {
    "LegalCase": {"history_change_reason"},
    "Suspect": {"arrest_source", "arrest_evidence", "arrest_evidence_name"},
    "LegalCaseVictim": {"protection_measures"},
    "Hearing": {"outcome"},
    "Comment": {"text"},
}
USER_FIELDS = {"arrest_recorded_by", "arrest_verified_by", "author", "deleted_by"}


def history_of(legal_case: LegalCase) -> list[dict]:
    """The field changes of the legal case and every sub-record (the suspects' appearances, suspects,
    court cases, charges, appeals, victims, hearings, comments), newest first, masked like the legal case.
    Eleven queries, whatever the length of the history.

    Each entry: {"at", "user", "kind" (created, changed, deleted), "what", "changes", "reason"}; a change is
    {"field", "old", "new"}. `reason` is the reason given for reopening (masked)."""
    allowed = bool(getattr(legal_case, "can_see_sensitive", False))
    kinds = {"+": "created", "~": "changed", "-": "deleted"}
    pk = legal_case.pk
    suspects = list(Suspect.history.filter(legal_case_id=pk).values_list("person_id", flat=True).distinct())
    sources = [
        (
            LegalCase,
            LegalCase.history.filter(id=pk),
            lambda r: _("Legal case %(number)s") % {"number": r.number},
        ),
        (
            Person,
            Person.history.filter(id__in=suspects),
            lambda r: _("Suspect's details (#%(id)s)") % {"id": r.id},
        ),
        (Suspect, Suspect.history.filter(legal_case_id=pk), lambda r: _("Suspect #%(id)s") % {"id": r.id}),
        (
            CourtCase,
            CourtCase.history.filter(legal_case_id=pk),
            lambda r: _("Court case %(n)s") % {"n": r.number},
        ),
        (Charge, Charge.history.filter(legal_case_id=pk), lambda r: _("Charge #%(id)s") % {"id": r.id}),
        (
            Appeal,
            Appeal.history.filter(charge__legal_case_id=pk),
            lambda r: _("Appeal #%(id)s") % {"id": r.id},
        ),
        (
            LegalCaseVictim,
            LegalCaseVictim.history.filter(legal_case_id=pk),
            lambda r: _("Victim #%(id)s") % {"id": r.id},
        ),
        (Hearing, Hearing.history.filter(legal_case_id=pk), lambda r: _("Hearing #%(id)s") % {"id": r.id}),
        (Comment, Comment.history.filter(legal_case_id=pk), lambda r: _("Comment #%(id)s") % {"id": r.id}),
    ]
    records_by_source = [(model, list(_ordered(qs)), label) for model, qs, label in sources]
    users = _usernames(
        getattr(record, f"{name}_id", None)
        for _model, records, _label_ in records_by_source
        for record in records
        for name in USER_FIELDS
        if hasattr(record, f"{name}_id")
    )
    entries: list[dict] = []
    for model, records, label in records_by_source:
        sensitive = set(getattr(model, "SENSITIVE_FIELDS", ())) | EXTRA_SENSITIVE.get(model.__name__, set())
        previous: dict = {}
        for record in records:
            prev = previous.get(record.id)
            previous[record.id] = record
            changes = []
            if prev is not None and record.history_type == "~":
                for change in record.diff_against(prev).changes:
                    if change.field in sensitive:
                        old, new = mask(change.old, allowed), mask(change.new, allowed)
                    else:
                        old, new = (_shown(model, change.field, v, users) for v in (change.old, change.new))
                    changes.append({"field": _field_label(model, change.field), "old": old, "new": new})
                if not changes:
                    continue
            reason = getattr(record, "history_change_reason", None) or ""
            entries.append(
                {
                    "at": record.history_date,
                    "user": _who(record),
                    "kind": kinds[record.history_type],
                    "what": label(record),
                    "changes": changes,
                    "reason": mask(reason, allowed),
                }
            )
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries


def _shown(model, name: str, value, users: dict):
    return shown(model, name, value, users, USER_FIELDS)
