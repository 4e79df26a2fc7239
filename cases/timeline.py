"""The case page's timeline and the case's change history (docs/cases.md "The case page and its timeline").

Both read django-simple-history's tables (and the append-only consent rows), one query per source whatever
the number of items, and are given a case that `selectors.access_case` returned (its `can_see_sensitive`
decides what is masked). Timeline items carry codes translated to labels and usernames, never a person's
name, contact or narrative: they read the same for every reader of the case.
"""

from django.urls import reverse
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
    CaseStatus,
    ClosureReason,
    Consent,
    ConsentOverride,
    FollowUp,
    Interview,
    InterviewAlarm,
    InterviewRouteStop,
    Referral,
    Risk,
    Service,
    VictimCase,
)


def timeline(case: VictimCase) -> list[Item]:
    """The case's timeline, newest first: opened, status changes, assignments, risk, consents recorded,
    overrides, interviews conducted and edited, services added and changed, follow-ups planned and done,
    referrals made and revoked. Eight queries."""
    items: list[Item] = []
    pk = case.pk

    # 1. The case's own history: opened, status, assignment, risk (the users named are fetched at once).
    case_records = list(_ordered(VictimCase.history.filter(id=pk)))
    names = _usernames(r.assigned_to_id for r in case_records)
    previous = None
    for record in case_records:
        who = _who(record)
        if previous is None:
            items.append(
                Item(record.history_date, who, "opened", _("Case opened"), codes={"status": record.status})
            )
            if record.assigned_to_id:
                items.append(
                    Item(
                        record.history_date,
                        who,
                        "assigned",
                        _("Assigned to %(user)s") % {"user": names.get(record.assigned_to_id, "?")},
                    )
                )
            previous = record
            continue
        if record.status != previous.status:
            items.append(_status_item(record, previous, who))
        if record.assigned_to_id != previous.assigned_to_id:
            text = (
                _("Assigned to %(user)s") % {"user": names.get(record.assigned_to_id, "?")}
                if record.assigned_to_id
                else _("No longer assigned")
            )
            items.append(Item(record.history_date, who, "assigned", text))
        if record.risk != previous.risk and record.risk:
            items.append(
                Item(
                    record.history_date,
                    who,
                    "risk",
                    _("Risk assessed: %(risk)s") % {"risk": _label(Risk.choices, record.risk)},
                    codes={"risk": record.risk},
                )
            )
        previous = record

    # 2. Consent decisions (append-only rows) and overrides.
    for consent in Consent.objects.filter(case_id=pk).select_related("recorded_by").order_by("recorded_at"):
        items.append(
            Item(
                consent.recorded_at,
                consent.recorded_by.username,
                "consent",
                _("Consent to %(scope)s: %(decision)s")
                % {
                    "scope": consent.get_scope_display().lower(),
                    "decision": consent.get_decision_display().lower(),
                },
                codes={"scope": consent.scope, "decision": consent.decision},
            )
        )
    for override in ConsentOverride.objects.filter(case_id=pk).select_related("created_by"):
        items.append(
            Item(
                override.created_at,
                override.created_by.username,
                "override",
                _("Consent overridden for %(scope)s") % {"scope": override.get_scope_display().lower()},
                codes={"scope": override.scope},
            )
        )

    # 3. Interviews: conducted (created) and edited (a new version).
    for record in _ordered(Interview.history.filter(case_id=pk)):
        if record.history_type == "-":
            continue
        url = reverse("cases:interview", args=[pk, record.id])
        if record.history_type == "+":
            text = _("Interview conducted on %(date)s") % {"date": record.conducted_on.isoformat()}
            if record.meets_definition:
                text = _("%(text)s: meets the definition of trafficking") % {"text": text}
            items.append(Item(record.history_date, _who(record), "interview", text, url))
        else:
            items.append(
                Item(
                    record.history_date,
                    _who(record),
                    "interview",
                    _("Interview edited (version %(version)s)") % {"version": record.version},
                    url,
                )
            )

    # 4. Services: added and changed (status).
    for record in _ordered(Service.history.filter(case_id=pk)):
        if record.history_type == "-":
            continue
        kind, status = (
            _label(Service._meta.get_field("kind").choices, record.kind),
            record.get_status_display(),
        )
        text = (
            _("Service added: %(kind)s (%(status)s)")
            if record.history_type == "+"
            else _("Service changed: %(kind)s (%(status)s)")
        ) % {"kind": kind, "status": str(status).lower()}
        items.append(Item(record.history_date, _who(record), "service", text, codes={"kind": record.kind}))

    # 5. Follow-ups: planned, then done (with the situation found).
    done_seen: set[int] = set()
    for record in _ordered(FollowUp.history.filter(case_id=pk)):
        if record.history_type == "+":
            items.append(
                Item(
                    record.history_date,
                    _who(record),
                    "follow_up",
                    _("Follow-up planned (%(method)s) for %(date)s")
                    % {"method": record.get_method_display().lower(), "date": record.due_on.isoformat()},
                )
            )
        if record.history_type != "-" and record.done_on and record.id not in done_seen:
            done_seen.add(record.id)
            items.append(
                Item(
                    record.history_date,
                    _who(record),
                    "follow_up",
                    _("Follow-up done on %(date)s: %(situation)s")
                    % {
                        "date": record.done_on.isoformat(),
                        "situation": str(record.get_situation_display()).lower(),
                    },
                    codes={"situation": record.situation},
                )
            )

    # 6. Referrals: made and revoked.
    referrals = list(_ordered(Referral.history.filter(case_id=pk)))
    users = _usernames(r.to_user_id for r in referrals)
    stations = _station_codes(r.to_station_id for r in referrals)
    revoked_seen: set[int] = set()
    for record in referrals:
        to = users.get(record.to_user_id) if record.to_user_id else stations.get(record.to_station_id, "?")
        if record.history_type == "+":
            items.append(
                Item(
                    record.history_date,
                    _who(record),
                    "referral",
                    _("Referred to %(to)s until %(date)s")
                    % {"to": to, "date": record.expires_at.date().isoformat()},
                )
            )
        if record.history_type != "-" and record.revoked_at and record.id not in revoked_seen:
            revoked_seen.add(record.id)
            items.append(
                Item(
                    record.history_date,
                    _who(record),
                    "referral",
                    _("Referral to %(to)s revoked") % {"to": to},
                )
            )

    items.sort(key=lambda item: item.at, reverse=True)
    return items


def _status_item(record, previous, who: str) -> Item:
    old, new = previous.status, record.status
    codes = {"from": old, "to": new}
    if new == CaseStatus.CLOSURE_REQUESTED:
        text = _("Closure requested: %(reason)s") % {
            "reason": _label(ClosureReason.choices, record.closure_reason)
        }
        codes["reason"] = record.closure_reason
    elif new == CaseStatus.CLOSED:
        text = _("Closure approved: the case is closed (%(reason)s)") % {
            "reason": _label(ClosureReason.choices, record.closure_reason)
        }
        codes["reason"] = record.closure_reason
    elif old == CaseStatus.CLOSURE_REQUESTED and new == CaseStatus.ACTIVE:
        text = _("Closure refused: the case is active again")
    elif old == CaseStatus.CLOSED:
        text = _("Case reopened")
    else:
        text = _("Status changed from %(old)s to %(new)s") % {
            "old": _label(CaseStatus.choices, old),
            "new": _label(CaseStatus.choices, new),
        }
    return Item(record.history_date, who, "status", text, codes=codes)


def _station_codes(ids) -> dict[int, str]:
    from accounts.models import Station

    ids = {i for i in ids if i}
    return dict(Station.objects.filter(pk__in=ids).values_list("pk", "code")) if ids else {}


# --- the change history -----------------------------------------------------------------------------------

# Free-text and personal fields of the sub-records, masked without `view_sensitive` (with each model's own
# SENSITIVE_FIELDS).
EXTRA_SENSITIVE = {
    "Consent": {"notes", "signed_form", "signed_form_name"},
    "ConsentOverride": {"reason"},
    "Referral": {"note"},
    "InterviewRouteStop": {"place_text"},
}
USER_FIELDS = {
    "assigned_to",
    "closure_requested_by",
    "closed_by",
    "done_by",
    "to_user",
    "revoked_by",
    "conducted_by",
}


def history_of(case: VictimCase) -> list[dict]:
    """The field changes of the case, its person and every sub-record (consents, overrides, interviews with
    their alarms and route, services, follow-ups, referrals), newest first, masked like the case. Eleven
    queries, whatever the length of the history.

    Each entry: {"at", "user", "kind" (created, changed, deleted), "what", "changes"}; a change is
    {"field", "old", "new"}."""
    allowed = bool(getattr(case, "can_see_sensitive", False))
    entries: list[dict] = []
    kinds = {"+": "created", "~": "changed", "-": "deleted"}
    pk = case.pk

    sources = [
        (
            VictimCase,
            _ordered(VictimCase.history.filter(id=pk)),
            lambda r: _("Case %(number)s") % {"number": r.number},
        ),
        (Person, _ordered(Person.history.filter(id=case.person_id)), lambda r: _("Her details")),
        (
            Consent,
            _ordered(Consent.history.filter(case_id=pk)),
            lambda r: _("Consent to %(scope)s") % {"scope": r.get_scope_display().lower()},
        ),
        (
            ConsentOverride,
            _ordered(ConsentOverride.history.filter(case_id=pk)),
            lambda r: _("Consent override for %(scope)s") % {"scope": r.get_scope_display().lower()},
        ),
        (
            Interview,
            _ordered(Interview.history.filter(case_id=pk)),
            lambda r: _("Interview #%(id)s") % {"id": r.id},
        ),
        (
            InterviewAlarm,
            _ordered(InterviewAlarm.history.filter(interview__case_id=pk)),
            lambda r: (
                _("Home-situation alarm %(alarm)s of interview #%(id)s")
                % {"alarm": r.alarm_id, "id": r.interview_id}
            ),
        ),
        (
            InterviewRouteStop,
            _ordered(InterviewRouteStop.history.filter(interview__case_id=pk)),
            lambda r: (
                _("Route stop %(number)s of interview #%(id)s")
                % {"number": r.position + 1, "id": r.interview_id}
            ),
        ),
        (
            Service,
            _ordered(Service.history.filter(case_id=pk)),
            lambda r: _("Service: %(kind)s") % {"kind": r.get_kind_display().lower()},
        ),
        (
            FollowUp,
            _ordered(FollowUp.history.filter(case_id=pk)),
            lambda r: _("Follow-up due %(date)s") % {"date": r.due_on.isoformat()},
        ),
        (
            Referral,
            _ordered(Referral.history.filter(case_id=pk)),
            lambda r: _("Referral #%(id)s") % {"id": r.id},
        ),
    ]
    records_by_source = [(model, list(records), label) for model, records, label in sources]
    users = _usernames(
        getattr(record, f"{name}_id", None)
        for _model, records, _label_ in records_by_source
        for record in records
        for name in USER_FIELDS
        if hasattr(record, f"{name}_id")
    )

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
            entries.append(
                {
                    "at": record.history_date,
                    "user": _who(record),
                    "kind": kinds[record.history_type],
                    "what": label(record),
                    "changes": changes,
                }
            )
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries


def _shown(model, name: str, value, users: dict):
    return shown(model, name, value, users, USER_FIELDS)
