"""Helpers every app's services share."""

from django.db import models


def plain(value):
    """A value as the access log keeps it: a row with a code (a station, a country) by its code, another
    row by its id, anything else as it is."""
    if isinstance(value, models.Model):
        code = getattr(value, "code", None)
        return code if code is not None else value.pk
    return value


def model_update(obj: models.Model, data: dict) -> dict:
    """Set the fields in `data` on `obj` (not saved); return {field: {"old": .., "new": ..}} for those that
    changed, in the access log's terms, so the caller saves `update_fields=list(changes)` and logs them."""
    changes = {}
    for field, new in data.items():
        old = getattr(obj, field)
        if old != new:
            changes[field] = {"old": plain(old), "new": plain(new)}
            setattr(obj, field, new)
    return changes
