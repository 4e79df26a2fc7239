"""Keyset ("cursor") pagination: a page is the rows strictly after (or before) the last row the client saw,
in a fixed total order such as (occurred_at DESC, id DESC). Its cost does not grow with how deep the page
is, it needs no count, and rows inserted while a client walks the pages are never returned twice nor make
it skip a row (docs/api.md, "Pagination").

- `encode(values, reverse=False)` -> an opaque, signed, url-safe token naming a row's key;
  `decode(token)` -> the key (a tuple), `decode_cursor(token)` -> (key, reverse). A token that was
  tampered with, truncated or made up raises ValueError (the API answers 400).
- `seek(qs, fields, key, descending=True, reverse=False)`: the rows strictly after `key` in the order
  (before it with `reverse`), ordered so that a LIMIT takes the rows nearest the key. The comparison is a
  row comparison, `(occurred_at, id) < (%s, %s)`, which PostgreSQL reads as an index condition of an index
  on the same columns in the same direction (interception_recent_idx: -occurred_at, -id).
- `KeysetPagination`: the DRF pagination class (`?cursor=`, `?page_size=` 1..100, default 50), answering
  {"next": url|null, "previous": url|null, "results": [...]}.

The key fields must be NOT NULL and, taken together, unique (end with the primary key)."""

import base64
import binascii
import datetime
import decimal
import json
import uuid
from collections.abc import Sequence

from django.core import signing
from django.db.models import Field, Func, QuerySet, Value
from django.db.models.expressions import F
from django.db.models.lookups import GreaterThan, LessThan
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

SALT = "core.keyset"
MAX_TOKEN_LENGTH = 1000


# --- tokens -----------------------------------------------------------------------------------------------


def _tag(value) -> list:
    # bool before int (a bool is an int); datetime before date (a datetime is a date).
    if value is None or isinstance(value, bool):
        raise TypeError(f"a keyset value cannot be {value!r}")
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, datetime.datetime):
        return ["t", value.isoformat()]
    if isinstance(value, datetime.date):
        return ["d", value.isoformat()]
    if isinstance(value, str):
        return ["s", value]
    if isinstance(value, uuid.UUID):
        return ["u", str(value)]
    if isinstance(value, decimal.Decimal):
        return ["n", str(value)]
    raise TypeError(f"a keyset value cannot be a {type(value).__name__}")


def _untag(item):
    if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
        raise ValueError("malformed value")
    tag, raw = item
    if tag == "i" and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if tag == "s" and isinstance(raw, str):
        return raw
    if isinstance(raw, str):
        if tag == "t":
            value = parse_datetime(raw)
            if value is not None:
                return value
        elif tag == "d":
            value = parse_date(raw)
            if value is not None:
                return value
        elif tag == "u":
            return uuid.UUID(raw)
        elif tag == "n":
            try:
                return decimal.Decimal(raw)
            except decimal.InvalidOperation:
                pass
    raise ValueError("malformed value")


def encode(values: Sequence, *, reverse: bool = False) -> str:
    """An opaque url-safe token for the key `values` (datetimes, dates, ints, strings, UUIDs, Decimals):
    base64url of a signed JSON document, with the direction (`reverse`: the page before the key)."""
    body = json.dumps({"k": [_tag(v) for v in values], "r": bool(reverse)}, separators=(",", ":"))
    signed = signing.Signer(salt=SALT).sign(body)
    return base64.urlsafe_b64encode(signed.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[tuple, bool]:
    """(key, reverse) from a token made by `encode`; ValueError if it was not (tampered, truncated...)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise ValueError("empty or too long")
    try:
        signed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        body = json.loads(signing.Signer(salt=SALT).unsign(signed))
    except (binascii.Error, UnicodeDecodeError, ValueError, signing.BadSignature) as e:
        raise ValueError("not a cursor of this server") from e
    if not isinstance(body, dict) or not isinstance(body.get("k"), list) or not body["k"]:
        raise ValueError("malformed cursor")
    if not isinstance(body.get("r"), bool):
        raise ValueError("malformed cursor")
    return tuple(_untag(item) for item in body["k"]), body["r"]


def decode(token: str) -> tuple:
    """The key a token names (see `decode_cursor` for the direction too); ValueError if not valid."""
    return decode_cursor(token)[0]


# --- the query --------------------------------------------------------------------------------------------


class Row(Func):
    """A row constructor, `(a, b)`, for row comparisons. Its output field is a plain Field: a row has no
    single type, and the comparison only needs the SQL."""

    template = "(%(expressions)s)"
    arg_joiner = ", "
    output_field = Field()


def row_filter(fields: Sequence[str], key: Sequence, *, after: bool, descending: bool = True):
    """The expression `(f1, f2...) < (k1, k2...)` (rows after `key` in a descending order; `>` for an
    ascending one, the other way round with after=False). Use it in `.filter()`."""
    if len(fields) != len(key):
        raise ValueError("the cursor does not match this list")
    lhs = Row(*[F(f) for f in fields])
    rhs = Row(*[Value(v) for v in key])
    lookup = LessThan if after == descending else GreaterThan
    return lookup(lhs, rhs)


def order(qs: QuerySet, fields: Sequence[str], *, descending: bool = True, reverse: bool = False) -> QuerySet:
    """`qs` in the keyset's order, or in the opposite order with `reverse` (for the page before a key)."""
    desc = descending != reverse
    return qs.order_by(*[f"-{f}" if desc else f for f in fields])


def seek(
    qs: QuerySet,
    fields: Sequence[str],
    key: Sequence | None,
    *,
    descending: bool = True,
    reverse: bool = False,
) -> QuerySet:
    """The rows strictly after `key` in the order given by `fields` (all descending or all ascending), or
    strictly before it with `reverse`, ordered so that a slice takes the rows nearest the key (reversed
    order with `reverse`: turn the slice round before showing it). `key` None: from the start (or the end)."""
    if key is not None:
        qs = qs.filter(row_filter(fields, key, after=not reverse, descending=descending))
    return order(qs, fields, descending=descending, reverse=reverse)


# --- DRF --------------------------------------------------------------------------------------------------


def key_of(row, fields: Sequence[str]) -> tuple:
    """The key of a row: a dict (`.values()`) or a model instance."""
    if isinstance(row, dict):
        return tuple(row[f] for f in fields)
    return tuple(getattr(row, f) for f in fields)


class KeysetPagination(BasePagination):
    """Cursor pages for the API. The view gives the order as `keyset_fields` (default occurred_at, id) and
    `keyset_descending` (default True); its queryset's own ordering is replaced. Rows may be dicts or model
    instances with those fields.

    `?cursor=` is an opaque token taken from `next` or `previous`; `?page_size=` is 1 to 100 (default 50).
    A bad cursor or page size is a 400 naming the parameter. There is no count: a count of every visible
    row is what made big lists slow."""

    page_size = 50
    max_page_size = 100
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_query_param = "page"  # refused (400): see refuse_page_numbers
    fields: Sequence[str] = ("occurred_at", "id")
    descending = True

    cursor_query_description = "The cursor: take the `next` or `previous` link of a page as it is."
    page_size_query_description = "Rows per page, 1 to 100 (default 50)."

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        try:
            size = int(raw)
        except (TypeError, ValueError):
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("The page size must be a whole number from 1 to %(max)s.")
                        % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def get_cursor(self, request) -> tuple[tuple | None, bool]:
        token = request.query_params.get(self.cursor_query_param)
        if token in (None, ""):
            return None, False
        try:
            key, reverse = decode_cursor(token)
            if len(key) != len(self.fields):
                raise ValueError("the cursor does not match this list")
        except ValueError:
            raise ValidationError(
                {
                    self.cursor_query_param: [
                        _("The cursor is not valid: use the next or previous link of a page as it is.")
                    ]
                }
            ) from None
        return key, reverse

    def refuse_page_numbers(self, request) -> None:
        # A client written for numbered pages would ask for page 2, 3... and get the first page again and
        # again, for ever: told instead.
        if self.page_query_param in request.query_params:
            raise ValidationError(
                {
                    self.page_query_param: [
                        _("This list has no page numbers: follow its next and previous links.")
                    ]
                }
            )

    def paginate_queryset(self, queryset, request, view=None):
        self.refuse_page_numbers(request)
        self.fields = tuple(getattr(view, "keyset_fields", self.fields))
        self.descending = getattr(view, "keyset_descending", self.descending)
        self.request = request
        size = self.get_page_size(request)
        key, reverse = self.get_cursor(request)
        self.by_cursor = key is not None  # a page reached by a cursor, not the first page
        rows = list(seek(queryset, self.fields, key, descending=self.descending, reverse=reverse)[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
            self.has_next, self.has_previous = True, more
        else:
            self.has_next, self.has_previous = more, key is not None
        self.first_key = key_of(rows[0], self.fields) if rows else None
        self.last_key = key_of(rows[-1], self.fields) if rows else None
        if not rows and key is not None:
            # Walked off either end (rows deleted meanwhile): from the key, the way back is still open.
            self.first_key = self.last_key = key
            self.has_next, self.has_previous = reverse, not reverse
        return rows

    def _link(self, key, reverse: bool) -> str:
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, encode(key, reverse=reverse))

    def get_next_link(self) -> str | None:
        if not self.has_next or self.last_key is None:
            return None
        return self._link(self.last_key, reverse=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous or self.first_key is None:
            return None
        return self._link(self.first_key, reverse=True)

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": self.cursor_query_description,
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": self.page_size_query_description,
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


__all__ = [
    "KeysetPagination",
    "Row",
    "decode",
    "decode_cursor",
    "encode",
    "key_of",
    "order",
    "row_filter",
    "seek",
]
