"""The hash chain of the access log: how one event's hash is computed from its content and its predecessor.

This function must never change once events exist: `audit_verify` recomputes every stored hash with it.
Both the writer (`audit.services.record_event`) and the checker (`audit_verify`) feed it the values as
PostgreSQL stores and returns them, so the canonical form smooths over the representations that change on
the way in and out of the database (time zone of `at`, spelling of an IPv6 address, integral floats in
`details`, which jsonb returns as integers).
"""

import hashlib
import ipaddress
import json
from datetime import UTC, datetime

GENESIS = "0" * 64  # prev_hash of the first event

# The columns that make up an event's content, in the order audit_verify reads them.
CONTENT_FIELDS = (
    "at",
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "station_id",
    "ip",
    "user_agent",
    "details",
)


def canonical_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return str(value)


def _canonical_json_value(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _canonical_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_json_value(v) for v in value]
    return value


def canonical_content(
    *,
    at: datetime,
    actor_id: int | None,
    actor_username: str,
    action: str,
    object_type: str,
    object_id: str,
    station_id: int | None,
    ip: str | None,
    user_agent: str,
    details: dict,
) -> str:
    """The event's content as canonical JSON (sorted keys, no spaces, ASCII only)."""
    return json.dumps(
        {
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": actor_id,
            "actor_username": actor_username,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "station_id": station_id,
            "ip": canonical_ip(ip),
            "user_agent": user_agent,
            "details": _canonical_json_value(details),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        allow_nan=False,
    )


def event_hash(prev_hash: str, **content) -> str:
    """sha256(prev_hash + canonical JSON of the content), as 64 lowercase hex digits."""
    return hashlib.sha256((prev_hash + canonical_content(**content)).encode("ascii")).hexdigest()
