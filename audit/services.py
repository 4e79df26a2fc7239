from django.db import models

from .context import current_request_meta
from .models import AccessEvent


def record_event(
    *, actor, action: str, obj: models.Model | None = None, station=None, details: dict | None = None
) -> AccessEvent:
    """Append one event to the access log, in the caller's transaction."""
    meta = current_request_meta()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AccessEvent.objects.create(
        actor=actor if is_user else None,
        actor_username=actor.get_username() if is_user else "",
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        station=station,
        ip=meta.get("ip"),
        user_agent=meta.get("user_agent", ""),
        details=details or {},
    )
