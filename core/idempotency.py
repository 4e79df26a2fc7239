"""Idempotency keys for create services (docs/api.md "Idempotency"): a retry with the same key and the same
content gets the first request's object back; the same key with other content is an IdempotencyConflict.

A service calls, inside its transaction:

    key = clean_key(idempotency_key)                         # before the transaction: ValidationError → 400
    existing = previous(user=actor, key=key, object_type="interception", content=normalised)
    ...create the object...
    remember(user=actor, key=key, object_type="interception", object_id=obj.pk, content=normalised)

`content` is the request's meaningful content, normalised the way the service stores it (stripped text,
sorted codes, UTC times), as plain JSON values. Only a keyed hash of it is stored.
"""

import hashlib
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from .errors import IdempotencyConflict
from .models import IdempotencyRecord

KEY_MAX_LENGTH = IdempotencyRecord._meta.get_field("key").max_length
_SALT = "core.idempotency.fingerprint"


def clean_key(value) -> str | None:
    """The key as stored, or None for no key. A key with control characters (NUL, tab, newline...) or longer
    than KEY_MAX_LENGTH characters is a ValidationError on `idempotency_key`, never silently changed."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError({"idempotency_key": _(_("The idempotency key must be text."))})
    if not value.isprintable():
        raise ValidationError(
            {"idempotency_key": _(_("The idempotency key may not contain control characters (NUL, tab...)."))}
        )
    value = value.strip()
    if len(value) > KEY_MAX_LENGTH:
        raise ValidationError(
            {
                "idempotency_key": f"The idempotency key is at most {KEY_MAX_LENGTH} characters long "
                f"(this one has {len(value)}). A UUID is a good key."
            }
        )
    return value or None


def _payload(content) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def fingerprint(content, *, secret: str | None = None) -> str:
    """A keyed hash (HMAC-SHA256 under SECRET_KEY) of the normalised content: equal content, equal hash;
    the stored hash tells nothing about the content without the key."""
    return salted_hmac(_SALT, _payload(content), secret=secret, algorithm="sha256").hexdigest()


def _matches(stored: str, content) -> bool:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(constant_time_compare(stored, fingerprint(content, secret=s)) for s in secrets)


def lock(user_id: int, key: str) -> None:
    """Serialise requests with the same (user, key) until the current transaction ends (PostgreSQL advisory
    lock), so two concurrent retries cannot both create."""
    digest = hashlib.blake2b(f"{user_id}:{key}".encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])


def previous(*, user, key: str, object_type: str, content) -> int | None:
    """Lock the key, then: the id of the object an earlier request with this key created (same content), or
    None when the key is new. IdempotencyConflict when the key was used for other content or another kind
    of object. Call inside the transaction that creates the object."""
    lock(user.pk, key)
    record = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if record is None:
        return None
    if record.object_type != object_type or not _matches(record.fingerprint, content):
        raise IdempotencyConflict()
    return record.object_id


def remember(*, user, key: str, object_type: str, object_id: int, content) -> IdempotencyRecord:
    """Record what this key created, with the content's fingerprint (same transaction as the object)."""
    return IdempotencyRecord.objects.create(
        user=user, key=key, fingerprint=fingerprint(content), object_type=object_type, object_id=object_id
    )
