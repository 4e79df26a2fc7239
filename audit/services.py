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
    meta = current_request_meta()
    details = dict(details or {})
    if object_ids is not None:
        details["ids"] = sorted({id_value(i) for i in object_ids}, key=lambda v: (isinstance(v, str), v))
    if stations is not None:
        details["stations"] = sorted({getattr(s, "code", s) for s in stations if s})
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    event = AccessEvent(
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
    using = router.db_for_write(AccessEvent)
    with transaction.atomic(using=using):
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        latest = AccessEvent.objects.using(using).order_by("-id").values_list("hash", flat=True).first()
        event.prev_hash = latest or GENESIS
        event.at = timezone.now()
        event.hash = event.compute_hash()
        event.save(using=using, force_insert=True)
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
