"""Every write to the access log. Rows are only appended, each chained to the one before it."""

import ipaddress
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router, transaction
from django.utils import timezone

from .chain import GENESIS
from .context import current_request_meta
from .models import AccessEvent

# The key of the transaction-level advisory lock that serialises appends ("auditlog" as a bigint).
CHAIN_LOCK_KEY = int.from_bytes(b"auditlog", "big")


def _clean_ip(value) -> str | None:
    """The address in its normal spelling, or None when it is not an IP address (inet would refuse it)."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        return None


def _plain_json(details: dict | None) -> dict:
    """`details` as the JSON the database will store (dates and UUIDs become strings, tuples lists)."""
    return json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder, allow_nan=False))


def id_value(value):
    """Record ids as ints where they are ints (so jsonb containment finds them), else as strings."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)


def record_event(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    station=None,
    details: dict | None = None,
    object_type: str | None = None,
    object_id=None,
    object_ids=None,
    stations=None,
) -> AccessEvent:
    """Append one event to the access log, in the caller's transaction.

    One record: `obj` (its model name and pk become `object_type`/`object_id`) and its `station`.
    Many records in one response (a list page, an export): `object_type` plus `object_ids`, stored as
    `details["ids"]` (sorted ints or strings), and `stations`, stored as `details["stations"]` (station
    codes), so the auditor's per-record filter, the record's panel and a station auditor all find the
    event without one chained write per row. A record that is not fetched (a denied attempt) is named
    by `object_type` and `object_id` directly.

    Appends are serialised by a transaction-level advisory lock, held until the caller's transaction
    ends: the event reads the newest event's hash and links to it, so two transactions cannot both
    link to the same predecessor. The lock (and so every other audited request) waits for the rest of
    the transaction and its commit: in a transaction that writes, record the event last
    (docs/audit.md, "The chain lock under load").
    """
    event = _build(
        actor=actor,
        action=action,
        obj=obj,
        station=station,
        details=details,
        object_type=object_type,
        object_id=object_id,
        object_ids=object_ids,
        stations=stations,
    )
    using = router.db_for_write(AccessEvent)
    _append(using, [*_take_deferred(using), event])
    return event


def _build(
    *,
    actor,
    action,
    obj=None,
    station=None,
    details=None,
    object_type=None,
    object_id=None,
    object_ids=None,
    stations=None,
) -> AccessEvent:
    """The event, unsaved and not yet chained."""
    meta = current_request_meta()
    details = dict(details or {})
    if object_ids is not None:
        details["ids"] = sorted({id_value(i) for i in object_ids}, key=lambda v: (isinstance(v, str), v))
    if stations is not None:
        details["stations"] = sorted({getattr(s, "code", s) for s in stations if s})
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AccessEvent(
        actor=actor if is_user else None,
        actor_username=actor.get_username() if is_user else "",
        action=action,
        object_type=obj._meta.model_name if obj is not None else (object_type or ""),
        object_id=str(obj.pk) if obj is not None else str(object_id or "")[:64],
        station=station,
        ip=_clean_ip(meta.get("ip")),
        user_agent=(meta.get("user_agent") or "")[:300],
        details=_plain_json(details),
    )


def _append(using: str, events: list[AccessEvent]) -> None:
    """Chain `events` after the newest event and insert them, under the chain lock, in one statement."""
    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        latest = AccessEvent.objects.using(using).order_by("-id").values_list("hash", flat=True).first()
        previous = latest or GENESIS
        for event in events:
            event.prev_hash = previous
            event.at = timezone.now()
            event.hash = previous = event.compute_hash()
        AccessEvent.objects.using(using).bulk_create(events)


# --- events recorded with the transaction's last one -------------------------------------------------------
# A subscriber that runs inside another service's transaction (a case opened when an interception is
# submitted: core.events) must not take the chain lock early: the lock would be held for the rest of the
# publisher's transaction. `record_event_later` builds its event now and appends it with the next event the
# transaction records (the publisher's own, recorded last), under one lock and in one insert. Should no event
# follow before the commit, the events are appended right after it; a rolled-back transaction drops them.


def _deferred(using: str, *, create: bool) -> list | None:
    """The events waiting in the current transaction (None outside one, or when none wait and not `create`).
    The list lives as long as its on-commit callback: a rollback discards the callback, and so the list."""
    connection = connections[using]
    if not connection.in_atomic_block:
        return None
    store = getattr(connection, "_audit_deferred", None)
    if store is not None and any(entry[1] is store[0] for entry in connection.run_on_commit):
        return store[1]
    if not create:
        return None
    waiting: list[AccessEvent] = []

    def leftovers() -> None:  # after the commit: events no later event took along
        if waiting:
            events = list(waiting)
            waiting.clear()
            _append(using, events)

    transaction.on_commit(leftovers, using=using)
    connection._audit_deferred = (leftovers, waiting)
    return waiting


def _take_deferred(using: str) -> list[AccessEvent]:
    """The waiting events, taken along by the event being recorded; their after-commit fallback is dropped."""
    waiting = _deferred(using, create=False)
    if not waiting:
        return []
    events = list(waiting)
    waiting.clear()
    connection = connections[using]
    leftovers = connection._audit_deferred[0]
    connection.run_on_commit = [entry for entry in connection.run_on_commit if entry[1] is not leftovers]
    del connection._audit_deferred
    return events


def record_event_later(**kwargs) -> AccessEvent:
    """`record_event`, appended with the transaction's next recorded event (see above); outside a
    transaction, now."""
    using = router.db_for_write(AccessEvent)
    waiting = _deferred(using, create=True)
    if waiting is None:
        return record_event(**kwargs)
    event = _build(**kwargs)
    waiting.append(event)
    return event


def record_denied(*, actor, object_type: str, object_id, action: str, station=None) -> None:
    """Log an attempt on a record that exists but is out of `actor`'s reach (a 404 or 403 all the same),
    then publish `access.denied`: alerts subscribe to it, and repeated attempts raise a security alert."""
    from core import events

    record_event(
        actor=actor,
        action="access.denied",
        object_type=object_type,
        object_id=object_id,
        station=station,
        details={"action": str(action)},
    )
    events.publish("access.denied", user_id=actor.pk)
