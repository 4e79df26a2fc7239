"""Services arranged for her and the follow-ups that check whether she is safe (docs/cases.md "Risk,
services and follow-ups", "What became of the interception").

- `service_add`, `service_update`: a service (shelter, medical, legal aid...) with its provider, dates, status
  and outcome; versioned.
- `follow_up_add`, `follow_up_record`: a follow-up due on a date by phone or visit; recording it as done
  re-assesses the case's risk, classifies what became of the interception and plans the next one.
  `case.next_follow_up_on` is kept equal to the earliest due date of the follow-ups not done.
- `follow_ups_remind`: the daily task's work: one reminder per follow-up due or overdue and day, to the
  assigned case manager (alerts/case_alerts.py), with no personal data.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import DateField, DateTimeField, F, Func, Min, Value
from django.db.models.functions import Cast, Now
from django.utils.translation import gettext as _

from audit.services import record_event
from core import events, idempotency
from core.errors import StaleVersionError, TransitionError

from .. import policies
from ..models import (
    CaseSource,
    CaseStatus,
    FollowUp,
    FollowUpMethod,
    FollowUpReminder,
    InterceptionOutcome,
    ProviderKind,
    Risk,
    Service,
    ServiceKind,
    ServiceStatus,
    Situation,
    VictimCase,
)

PROVIDER_MAX = Service._meta.get_field("provider").max_length
SERVICE_FIELDS = ("kind", "provider_kind", "provider", "started_on", "ended_on", "status", "outcome")
# How many due follow-ups the daily task handles per transaction (bounded work, short locks).
REMIND_BATCH = 500


def local_today(station) -> date:
    """Today's date at `station` (its time zone)."""
    return station.local_today()


def _locked_case(case: VictimCase) -> VictimCase:
    """The case row again, locked until the transaction ends (version, status and follow-ups as they are
    now). Keeps the access flag of the case the caller fetched."""
    fresh = VictimCase.objects.select_for_update(of=("self",)).select_related("station").get(pk=case.pk)
    if hasattr(case, "can_see_sensitive"):
        fresh.can_see_sensitive = case.can_see_sensitive
    return fresh


def _check(actor, case: VictimCase) -> None:
    if not policies.may_change(actor, case):
        raise PermissionDenied(policies.message(policies.CHANGE))


def _open(case: VictimCase) -> None:
    if case.status == CaseStatus.CLOSED:
        raise TransitionError(
            _("This case is closed: reopen it before adding or changing its services and follow-ups."),
            status=case.status,
        )


def _text(value) -> str:
    return (value or "").strip()


# --- services ---------------------------------------------------------------------------------------------


def _clean_service(values: dict) -> dict:
    """Checked and normalised service values (ValidationError naming each bad field)."""
    out = dict(values)
    out["provider"] = _text(values.get("provider"))
    out["outcome"] = _text(values.get("outcome"))
    errors: dict = {}
    if out.get("kind") not in ServiceKind.values:
        errors["kind"] = _("Choose the kind of service.")
    if out.get("provider_kind") not in ProviderKind.values:
        errors["provider_kind"] = _("Choose who provides it: our organisation or a partner.")
    if not out["provider"]:
        errors["provider"] = _("Name the provider (our office, the partner organisation, the clinic...).")
    elif len(out["provider"]) > PROVIDER_MAX:
        errors["provider"] = _("At most %(max)s characters.") % {"max": PROVIDER_MAX}
    if out.get("status") not in ServiceStatus.values:
        errors["status"] = _("Choose the status of the service.")
    started, ended = out.get("started_on"), out.get("ended_on")
    if not isinstance(started, date):
        errors["started_on"] = _("Give the date the service started.")
    elif ended is not None and (not isinstance(ended, date) or ended < started):
        errors["ended_on"] = _("The end date cannot be before the start date.")
    if errors:
        raise ValidationError(errors)
    return out


def service_add(
    *,
    actor,
    case: VictimCase,
    kind: str,
    provider: str,
    started_on: date,
    provider_kind: str = ProviderKind.OWN,
    ended_on: date | None = None,
    status: str = ServiceStatus.ONGOING,
    outcome: str = "",
    idempotency_key: str | None = None,
) -> tuple[Service, bool]:
    """Arrange a service for the person of `case`. Returns (service, created); a repeated idempotency key
    with the same content returns the first service."""
    key = idempotency.clean_key(idempotency_key)
    values = _clean_service(
        {
            "kind": kind,
            "provider_kind": provider_kind,
            "provider": provider,
            "started_on": started_on,
            "ended_on": ended_on,
            "status": status,
            "outcome": outcome,
        }
    )
    content = {
        "case": case.pk,
        **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()},
    }
    with transaction.atomic():
        if key:
            first = idempotency.previous(user=actor, key=key, object_type="case_service", content=content)
            if first is not None:
                return Service.objects.get(pk=first), False
        case = _locked_case(case)
        _check(actor, case)
        _open(case)
        service = Service(case=case, created_by=actor, **values)
        service._history_user = actor
        service.save()
        if key:
            idempotency.remember(
                user=actor, key=key, object_type="case_service", object_id=service.pk, content=content
            )
        record_event(
            actor=actor,
            action="case.service_add",
            obj=case,
            station=case.station,
            details={"service": service.pk, "kind": service.kind, "status": service.status},
        )
    return service, True


def service_update(*, actor, service: Service, expected_version: int, **fields) -> Service:
    """Change a service (any of SERVICE_FIELDS). A stale `expected_version` is refused (StaleVersionError)
    and nothing is written."""
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in sorted(unknown)})
    with transaction.atomic():
        case = _locked_case(service.case)
        current = Service.objects.select_for_update().get(pk=service.pk, case=case)
        _check(actor, case)
        _open(case)
        if expected_version != current.version:
            raise StaleVersionError(current.version)
        values = _clean_service({**{f: getattr(current, f) for f in SERVICE_FIELDS}, **fields})
        changed = [f for f in SERVICE_FIELDS if values[f] != getattr(current, f)]
        if not changed:
            return current
        for name in changed:
            setattr(current, name, values[name])
        current.version += 1
        current._history_user = actor
        current.save(update_fields=[*changed, "version", "updated_at"])
        record_event(
            actor=actor,
            action="case.service_change",
            obj=case,
            station=case.station,
            details={
                "service": current.pk,
                "kind": current.kind,
                "status": current.status,
                "fields": sorted(changed),
            },
        )
    return current


# --- follow-ups -------------------------------------------------------------------------------------------


def _refresh_next_follow_up(case: VictimCase) -> None:
    """Keep `case.next_follow_up_on` = the earliest due date of its follow-ups not done. A derived value
    (for "My cases"), written without a new case version or history row, so it never makes a colleague's
    edit of the case stale."""
    earliest = FollowUp.objects.filter(case=case, done_on__isnull=True).aggregate(first=Min("due_on"))[
        "first"
    ]
    if earliest != case.next_follow_up_on:
        VictimCase.objects.filter(pk=case.pk).update(next_follow_up_on=earliest)
        case.next_follow_up_on = earliest


def _check_due(case: VictimCase, due_on, field: str) -> None:
    if not isinstance(due_on, date):
        raise ValidationError({field: _("Give the date the follow-up is due.")})
    if due_on < case.opened_on:
        raise ValidationError(
            {
                field: _("A follow-up cannot be due before the case was opened (%(day)s).")
                % {"day": case.opened_on}
            }
        )


def _check_method(method, field: str) -> None:
    if method not in FollowUpMethod.values:
        raise ValidationError({field: _("Choose how: by phone or a visit.")})


def follow_up_add(
    *, actor, case: VictimCase, due_on: date, method: str, idempotency_key: str | None = None
) -> tuple[FollowUp, bool]:
    """Plan a follow-up of `case`. Returns (follow_up, created); a repeated idempotency key with the same
    content returns the first one. The case's status is left alone (assignment makes a case active)."""
    key = idempotency.clean_key(idempotency_key)
    _check_method(method, "method")
    content = {
        "case": case.pk,
        "due_on": due_on.isoformat() if isinstance(due_on, date) else due_on,
        "method": method,
    }
    with transaction.atomic():
        if key:
            first = idempotency.previous(user=actor, key=key, object_type="case_follow_up", content=content)
            if first is not None:
                return FollowUp.objects.get(pk=first), False
        case = _locked_case(case)
        _check(actor, case)
        _open(case)
        _check_due(case, due_on, "due_on")
        follow_up = FollowUp(case=case, due_on=due_on, method=method, created_by=actor)
        follow_up._history_user = actor
        follow_up.save()
        _refresh_next_follow_up(case)
        if key:
            idempotency.remember(
                user=actor, key=key, object_type="case_follow_up", object_id=follow_up.pk, content=content
            )
        record_event(
            actor=actor,
            action="case.follow_up_add",
            obj=case,
            station=case.station,
            details={"follow_up": follow_up.pk, "method": method, "due_on": due_on.isoformat()},
        )
    return follow_up, True


def _clean_record(
    case, follow_up, *, done_on, situation, risk, risk_reasons, interception_outcome, next_due_on, next_method
) -> None:
    errors: dict = {}
    today = local_today(case.station)
    if not isinstance(done_on, date):
        errors["done_on"] = _("Give the date the follow-up was done.")
    elif done_on > today:
        errors["done_on"] = _("The date it was done cannot be in the future.")
    elif done_on < case.opened_on:
        errors["done_on"] = _("The date it was done cannot be before the case was opened (%(day)s).") % {
            "day": case.opened_on
        }
    if situation not in Situation.values:
        errors["situation"] = _("Choose her situation: safe, at risk, re-trafficked or unreachable.")
    if risk and risk not in Risk.values:
        errors["risk"] = _("Choose the risk: low, medium or high.")
    elif risk_reasons and not risk:
        errors["risk"] = _("Choose the risk level these reasons support.")
    if interception_outcome:
        if interception_outcome not in InterceptionOutcome.values:
            errors["interception_outcome"] = _("Choose what became of the interception.")
        elif case.source != CaseSource.INTERCEPTION:
            errors["interception_outcome"] = _("This case was not opened from an interception.")
    if next_due_on is not None:
        if not isinstance(next_due_on, date):
            errors["next_due_on"] = _("Give the date the next follow-up is due.")
        elif isinstance(done_on, date) and next_due_on <= done_on:
            errors["next_due_on"] = _("The next follow-up is due after this one was done.")
        if next_method not in FollowUpMethod.values:
            errors["next_method"] = _("Choose how: by phone or a visit.")
    if errors:
        raise ValidationError(errors)


def follow_up_record(
    *,
    actor,
    follow_up: FollowUp,
    done_on: date,
    situation: str,
    notes: str = "",
    risk: str = "",
    risk_reasons: str = "",
    interception_outcome: str = "",
    next_due_on: date | None = None,
    next_method: str | None = None,
    expected_version: int | None = None,
) -> tuple[FollowUp, FollowUp | None]:
    """Record a follow-up as done: the date, her situation and notes. A risk given re-assesses the case's
    risk (with its reasons); `interception_outcome` classifies what became of the interception (cases opened
    from an interception only) and becomes the case's; `next_due_on` plans the next follow-up (by
    `next_method`, default this one's). Returns (follow_up, next follow-up or None).

    A follow-up done already cannot be recorded again (TransitionError); a stale `expected_version` is
    refused (StaleVersionError)."""
    notes, risk_reasons = _text(notes), _text(risk_reasons)
    risk, interception_outcome = risk or "", interception_outcome or ""
    with transaction.atomic():
        case = _locked_case(follow_up.case)
        current = FollowUp.objects.select_for_update().get(pk=follow_up.pk, case=case)
        _check(actor, case)
        _open(case)
        if current.done_on is not None:
            raise TransitionError(
                _("This follow-up was recorded as done already (on %(day)s).") % {"day": current.done_on},
                status="done",
            )
        if expected_version is not None and expected_version != current.version:
            raise StaleVersionError(current.version)
        next_method = next_method or current.method
        _clean_record(
            case,
            current,
            done_on=done_on,
            situation=situation,
            risk=risk,
            risk_reasons=risk_reasons,
            interception_outcome=interception_outcome,
            next_due_on=next_due_on,
            next_method=next_method,
        )
        current.done_on, current.situation, current.notes = done_on, situation, notes
        current.risk, current.risk_reasons = risk, risk_reasons
        current.interception_outcome, current.done_by = interception_outcome, actor
        current.version += 1
        current._history_user = actor
        current.save(
            update_fields=[
                "done_on",
                "situation",
                "notes",
                "risk",
                "risk_reasons",
                "interception_outcome",
                "done_by",
                "version",
                "updated_at",
            ]
        )
        # The case: risk re-assessed, what became of the interception (a new case version when it changes).
        changed = []
        if risk and (risk, risk_reasons) != (case.risk, case.risk_reasons):
            case.risk, case.risk_reasons = risk, risk_reasons
            changed += ["risk", "risk_reasons"]
        if interception_outcome and interception_outcome != case.interception_outcome:
            case.interception_outcome = interception_outcome
            changed.append("interception_outcome")
        if changed:
            case.version += 1
            case._history_user = actor
            case.save(update_fields=[*changed, "version", "updated_at"])
        following = None
        if next_due_on is not None:
            following = FollowUp(case=case, due_on=next_due_on, method=next_method, created_by=actor)
            following._history_user = actor
            following.save()
        _refresh_next_follow_up(case)
        record_event(
            actor=actor,
            action="case.follow_up_done",
            obj=case,
            station=case.station,
            details={
                "follow_up": current.pk,
                "situation": situation,
                "outcome": interception_outcome,
                "risk": risk,
                "next_follow_up": following.pk if following else None,
            },
        )
    return current, following


# --- the daily reminder -----------------------------------------------------------------------------------


def due_follow_ups(*, today: date | None = None):
    """Follow-ups not done, due today or earlier at their case's station (its local date, per time zone,
    computed by the database), on cases not closed and assigned to someone: one query, no per-case loop.
    Each row has `day` (the station's date the reminder is for)."""
    if today is None:
        local_now = Func(
            F("case__station__timezone"), Now(), function="timezone", output_field=DateTimeField()
        )
        day = Cast(local_now, output_field=DateField())
    else:
        day = Value(today, output_field=DateField())
    return (
        FollowUp.objects.filter(done_on__isnull=True, case__assigned_to__isnull=False)
        .exclude(case__status=CaseStatus.CLOSED)
        .annotate(day=day)
        .filter(due_on__lte=F("day"))
        .order_by("due_on", "id")
    )


_INSERT_REMINDERS = (
    "INSERT INTO {table} (follow_up_id, day, sent_at) "
    "SELECT f, d, now() FROM unnest(%s::bigint[], %s::date[]) AS t(f, d) "
    "ON CONFLICT (follow_up_id, day) DO NOTHING RETURNING follow_up_id, day"
)


def follow_ups_remind(*, today: date | None = None) -> int:
    """Remind the assigned case managers of the follow-ups due or overdue: one `FollowUpReminder` per
    follow-up and day (the database's unique constraint decides, so running twice, or twice at once, sends
    each once), and for each new one the "case.follow_up_due" event (ids only), whose subscriber creates
    the notification (alerts/case_alerts.py). Works in batches of REMIND_BATCH, each in its own
    transaction. Returns how many reminders were created."""
    rows = list(due_follow_ups(today=today).values_list("pk", "day"))
    sql = _INSERT_REMINDERS.format(table=connection.ops.quote_name(FollowUpReminder._meta.db_table))
    sent = 0
    for start in range(0, len(rows), REMIND_BATCH):
        batch = rows[start : start + REMIND_BATCH]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [[pk for pk, _day in batch], [day for _pk, day in batch]])
            created = cursor.fetchall()
            for pk, day in sorted(created):
                events.publish("case.follow_up_due", id=pk, day=day.isoformat())
            sent += len(created)
    return sent
