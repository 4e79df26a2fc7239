"""Page numbers for long lists whose cost does not grow with the list or with the page's depth
(docs/interceptions.md, "The list at a million records"). Every HTML list reuses it.

- The count stops at a cap (`settings.LIST_COUNT_CAP`, default 10,000): `SELECT COUNT(*) FROM (SELECT id ...
  LIMIT cap + 1)` costs the same at a million rows as at a hundred thousand. The page shows "10,000+", and
  that a list is past the cap is remembered for a minute (`capped_count`), so its next pages do not count.
- Page numbers go up to the cap. A page finds its ids first (`values_list("pk")` with the list's order and
  OFFSET/LIMIT: the order's index, no per-row extras), then fetches the rows `WHERE id IN (ids)`, with
  whatever the queryset annotates (subqueries, access flags) computed for those rows only.
- Past the last numbered page, "Older records" continues by keyset (core/keyset.py): `page_after(token)`
  takes the rows strictly after the key of the last row shown.
- A bad page number or cursor gives the first page, never an error."""

import hashlib
from collections.abc import Callable, Sequence
from functools import cached_property

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import InvalidPage, Page, Paginator

from core import keyset

DEFAULT_COUNT_CAP = 10_000


def count_cap() -> int:
    return int(getattr(settings, "LIST_COUNT_CAP", DEFAULT_COUNT_CAP))


# How long "more rows than the cap" is remembered for one list query (seconds).
CAPPED_MEMO_SECONDS = 60


def capped_count(qs, cap: int, *, remember: bool = False) -> tuple[int, bool]:
    """(the number of rows, at most `cap`; whether there are more), in one statement that reads at most
    cap + 1 ids.

    With `remember`, a list found to have more rows than the cap is remembered for a minute in the Django
    cache, keyed by the count's own SQL and parameters (which name the user's stations and grants and the
    filters): paging through a long list then counts it once. Only "more than the cap" is remembered: that
    is what the page shows ("10,000+"), and it cannot go stale in a way the reader would see, as an exact
    count could after a new record."""
    query = qs.order_by().values("pk")[: cap + 1]
    key = None
    if remember:
        try:
            sql, params = query.query.sql_with_params()
        except EmptyResultSet:  # a list that cannot have a row (no station, no grant)
            return 0, False
        key = "list:capped:v1:" + hashlib.sha256(repr((sql, params)).encode()).hexdigest()
        if cache.get(key):
            return cap, True
    n = query.count()
    if key is not None and n > cap:
        cache.set(key, True, CAPPED_MEMO_SECONDS)
    return min(n, cap), n > cap


def _pk(row):
    return row["id"] if isinstance(row, dict) else row.pk


class CappedPage(Page):
    """A page of a `CappedPaginator`. `older` is the cursor of the "Older records" link (the last
    numbered page of a capped list, and each keyset page that has more rows), else None. A keyset page
    (`seek` True) has number 0: it is not one of the numbered pages."""

    older: str | None = None
    seek: bool = False

    def has_next(self) -> bool:
        return not self.seek and super().has_next()

    def has_previous(self) -> bool:
        return not self.seek and super().has_previous()


class CappedPaginator(Paginator):
    """A Django Paginator with a capped count (`count`, `capped`) and ids-first pages.

    `object_list` is an ordered queryset (its order must be total: end with the primary key). `fetch(ids)`
    returns the rows for those ids (default: `object_list.filter(pk__in=ids)`); they are put back in the
    ids' order here. `keyset_fields` is the order as fields for the "Older records" cursor (all in the
    same direction, `descending`)."""

    def __init__(
        self,
        object_list,
        per_page: int,
        *,
        cap: int | None = None,
        fetch: Callable | None = None,
        keyset_fields: Sequence[str] = ("occurred_at", "id"),
        descending: bool = True,
        remember_capped: bool = True,
    ):
        super().__init__(object_list, per_page)
        self.remember_capped = remember_capped
        self.cap = count_cap() if cap is None else int(cap)
        self.fetch = fetch or (lambda ids: object_list.filter(pk__in=ids))
        self.keyset_fields = tuple(keyset_fields)
        self.descending = descending

    @cached_property
    def _capped_count(self) -> tuple[int, bool]:
        return capped_count(self.object_list, self.cap, remember=self.remember_capped)

    @cached_property
    def count(self) -> int:
        """The number of rows, at most the cap (see `capped`)."""
        return self._capped_count[0]

    @property
    def capped(self) -> bool:
        """True when there are more rows than the cap (the page shows "10,000+")."""
        return self._capped_count[1]

    def rows(self, ids: list) -> list:
        """The rows for `ids`, in the ids' order (one query; none for no ids)."""
        if not ids:
            return []
        by_pk = {_pk(row): row for row in self.fetch(ids)}
        return [by_pk[pk] for pk in ids if pk in by_pk]

    def _page(self, ids, number: int, *, seek: bool = False, more: bool = False) -> CappedPage:
        page = CappedPage(self.rows(ids), number, self)
        page.seek = seek
        last_numbered = not seek and number == self.num_pages and self.capped
        if page.object_list and (more or last_numbered):
            page.older = keyset.encode(keyset.key_of(page.object_list[-1], self.keyset_fields))
        return page

    def page(self, number) -> CappedPage:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = list(self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        return self._page(ids, number)

    def get_page(self, number) -> CappedPage:
        """The page `number`, or the first page for anything else (not a number, out of range)."""
        try:
            return self.page(number)
        except (InvalidPage, ValueError, TypeError, OverflowError):
            return self.page(1)

    def page_after(self, token: str) -> CappedPage:
        """The `per_page` rows strictly after the row `token` names (an "Older records" cursor), by keyset:
        the cost does not depend on how far the key is. A bad token gives the first page."""
        try:
            key = keyset.decode(token)
            qs = keyset.seek(self.object_list, self.keyset_fields, key, descending=self.descending)
            ids = list(qs.values_list("pk", flat=True)[: self.per_page + 1])
        except (ValueError, TypeError, OverflowError):
            return self.page(1)
        return self._page(ids[: self.per_page], 0, seek=True, more=len(ids) > self.per_page)
