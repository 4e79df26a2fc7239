"""The interception form's save flow (views.py): every error in one round, lenient parsing for autosave,
the service's errors on the fields (and people rows) they name, and the error summary at the top.

Parsing stays in the forms and the rules in the service: this module only moves values and messages
between the two (docs/interceptions.md "Autosave and saving twice")."""

import re
from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import QueryDict
from django.utils.translation import gettext as _

from .forms import formset_people, station_now

# The house convention for per-person errors from the service: "interceptees.<0-based index>.<field>".
PERSON_KEY = re.compile(r"^interceptees\.(\d+)\.(\w+)")
# Fields that are never patched: the form cannot save without them being right.
FIXED = {"station", "idempotency_key", "version"}
MULTI_WIDGETS = (forms.CheckboxSelectMultiple, forms.RadioSelect)


def person_rows(formset) -> list[int]:
    """For each person the service receives (forms.formset_people's order), the formset row it came from:
    the rows formset_people itself took, so the two can never disagree."""
    return list(formset_people(formset).positions)


def _as_post(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, bool):
        return ["on"] if value else []
    if isinstance(value, (list, tuple, set)):
        return [v for item in value for v in _as_post(item)]
    if isinstance(value, Model):
        return [str(value.pk)]
    if isinstance(value, datetime):
        return [value.strftime("%Y-%m-%dT%H:%M")]
    if isinstance(value, date):
        return [value.isoformat()]
    return [str(value)]


def _set(data: QueryDict, name: str, value) -> None:
    data.setlist(name, _as_post(value))


def patch(post: QueryDict, form, formset, *, stored=None, stored_people=None, station=None) -> QueryDict:
    """A copy of `post` in which each field that did not parse takes its stored value (`stored`: the
    record's form initial; `stored_people`: initial rows by id), or is left empty on a new record, so the
    rest can be checked and saved. A new person row without a name is left out."""
    stored = stored or {}
    stored_people = stored_people or {}
    data = post.copy()
    for name in form.errors:
        if name in FIXED or name not in form.fields:
            continue
        value = stored.get(name)
        if value is None and name == "occurred_at" and station is not None:
            value = station_now(station)
        _set(data, form.add_prefix(name), value)
    for f in formset.forms:
        if not f.errors:
            continue
        try:
            row_id = int(data.get(f.add_prefix("id")) or 0)
        except ValueError:
            row_id = 0
        old = stored_people.get(row_id)
        for name in f.errors:
            if name not in f.fields or name == "id":
                continue
            if old is not None:
                _set(data, f.add_prefix(name), old.get(name))
            elif name == "full_name":
                data[f.add_prefix("DELETE")] = "on"
            else:
                _set(data, f.add_prefix(name), None)
    return data


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"__all__": exc.messages}


def add_service_errors(form, formset, exc: ValidationError, rows: list[int], *, skip_parsed=False) -> None:
    """The service's validation errors on the fields they name: `interceptees.<i>.<field>` on that
    person's row (`rows` maps the service's index to the formset row), the people's list errors above the
    people. With `skip_parsed`, a field that already shows a parse error does not get a second message."""
    for key, errors in _messages(exc).items():
        match = PERSON_KEY.match(key)
        if match:
            i, field = int(match.group(1)), match.group(2)
            if i < len(rows):
                row = formset.forms[rows[i]]
                if skip_parsed and field in row.errors:
                    continue
                row.add_error(field if field in row.fields else None, errors)
                continue
            formset.non_form_errors().extend(errors)
        elif key == "interceptees" or key.startswith("interceptees."):
            formset.non_form_errors().extend(errors)
        elif key in form.fields:
            if skip_parsed and key in form.errors:
                continue
            form.add_error(key, errors)
        else:
            form.add_error(None, errors)


def _target(bound) -> str:
    """The id a summary link points at: the input itself, or its error text for a group of boxes."""
    if isinstance(bound.field.widget, MULTI_WIDGETS):
        return f"{bound.auto_id}_error"
    return bound.auto_id


def _label(bound, name) -> str:
    return str(bound.label or name.replace("_", " ").capitalize())


def error_summary(form, formset) -> list[dict]:
    """Every error on the page, in page order, each with the id of the element to go to."""
    items = []
    for e in form.non_field_errors():
        items.append({"target": "interception-form", "label": "", "message": e})
    for name in form.fields:
        if name in form.errors:
            bound = form[name]
            hidden = bound.is_hidden
            items.append(
                {
                    "target": "interception-form" if hidden else _target(bound),
                    "label": "" if hidden else _label(bound, name),
                    "message": " ".join(form.errors[name]),
                }
            )
    if formset is None:
        return items
    for e in formset.non_form_errors():
        items.append({"target": "people-errors", "label": _("People"), "message": e})
    for n, f in enumerate(formset.forms):
        person = _("Person %(number)s") % {"number": n + 1}
        for e in f.non_field_errors():
            items.append({"target": f"{f.prefix}-errors", "label": person, "message": e})
        for name in f.fields:
            if name in f.errors:
                bound = f[name]
                items.append(
                    {
                        "target": _target(bound),
                        "label": f"{person}: {_label(bound, name)}",
                        "message": " ".join(f.errors[name]),
                    }
                )
    return items
