"""What a record's timeline and change history are made of, shared by case files and legal cases
(cases/timeline.py, prosecution/timeline.py): one line of a timeline, and how a history row's author, field
name and value read. They read django-simple-history's tables."""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _


@dataclass
class Item:
    """One line of a timeline: when, who (a username), what kind (a code), the text, a link or ""."""

    at: datetime
    user: str
    kind: str
    text: str
    url: str = ""
    codes: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "at": self.at,
            "user": self.user,
            "kind": self.kind,
            "text": self.text,
            "url": self.url,
            **({"codes": self.codes} if self.codes else {}),
        }


def label(choices, code: str) -> str:
    """The label of `code` among `choices` ("" for no code; the code itself when unknown)."""
    return str(dict(choices).get(code, code)) if code else ""


def who(record) -> str:
    """The username of a history row's author ("system" when there is none)."""
    user = getattr(record, "history_user", None)
    return user.username if user else _("system")


def ordered(qs):
    """History rows oldest first, with their authors (one query)."""
    return qs.select_related("history_user").order_by("history_date", "history_id")


def usernames(ids) -> dict[int, str]:
    """{user id: username} for these ids (one query, none for no id)."""
    ids = {i for i in ids if i}
    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username")) if ids else {}


def field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name.replace("_", " ")


def shown(model, name: str, value, users: dict, user_fields):
    """A history value as a reader sees it: yes/no, a username for a user field, a choice's label (a list
    of choices joined), else the value."""
    if value in (None, "", []):
        return value
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name in user_fields:
        return users.get(value, value)
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return value
    if isinstance(value, list):
        base = getattr(model_field, "base_field", None)
        choices = dict(base.flatchoices) if base is not None and base.choices else {}
        return ", ".join(str(choices.get(v, v) if isinstance(v, str | int) else v) for v in value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return value
