"""What the benchmark times: the work of one interception list page, scoped to a user and unscoped.

A scenario is one page (HTML, 25 rows with the capped count; or API, the first 50 summary rows by
keyset) for one user and one set of filters. Its work is what the view does with the queryset
(`page_work`). The unscoped baseline is the same selector with the scope left out: `interception_scope`
returns every interception and `can_see_sensitive` is a constant `True`, so the query has the same
joins, annotations and ordering, minus the access predicate. Before timing, `check_rows` compares every
scenario's rows with the plain ORM form of the access rule. Import only after `django.setup()`.
"""

import contextlib
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from unittest import mock

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Value
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.access import granted_object_ids, stations_for
from accounts.access_cache import access_memo
from accounts.models import User
from accounts.roles import Action
from core import keyset
from core.pagination import CappedPaginator
from interception import selectors
from interception.models import IntercepteeRole, Interception
from interception.selectors import GRANTS, InterceptionFilters
from interception.views import PAGE_SIZE

from . import dataset

HTML_PAGE = PAGE_SIZE  # 25 rows a page
API_PAGE = settings.REST_FRAMEWORK["PAGE_SIZE"]  # 50


@contextmanager
def unscoped():
    """`interception_list` without the access predicate: every row, and every row sensitive-visible."""

    def every_interception(user, action=Action.VIEW):
        return Interception.objects.all()

    def all_sensitive(qs, user):
        return qs.annotate(can_see_sensitive=Value(True, output_field=BooleanField()))

    with (
        mock.patch.object(selectors, "interception_scope", every_interception),
        mock.patch.object(selectors, "with_access_flags", all_sensitive),
    ):
        yield


def check_baseline(user) -> None:
    """Fail loudly if the unscoped baseline still carries the access predicate (if `interception_list` stops
    going through `interception_scope` and `with_access_flags`, this module must follow it)."""
    sql = str(list_queryset(user, InterceptionFilters(), api=False, scoped=False).query).lower()
    if "accounts_membership" in sql or "objectpermission" in sql:
        raise RuntimeError(
            "The unscoped baseline still contains the access predicate: interception_list no longer builds "
            "on selectors.interception_scope / with_access_flags. Update benchmarks/measure.unscoped()."
        )


def _plain_rule(user, action: str) -> Q:
    """The access rule in its plain ORM form: `station IN (stations the user's roles cover)` or
    `pk IN (objects shared with the user)` or `pk IN (objects shared with a group of theirs)`."""
    by_user, by_group = granted_object_ids(user, GRANTS, action)
    stations = stations_for(user, "interception", action).values("pk")
    return Q(station__in=stations) | Q(pk__in=by_user) | Q(pk__in=by_group)


@contextmanager
def plain():
    """`interception_list` as the plain ORM writes it: the rule as `IN (subquery)` arms, the sensitive flag
    the same way, the victim and suspect counts as a join and `GROUP BY`. The reference for `check_rows`."""

    def scope(user, action=Action.VIEW):
        return Interception.objects.filter(_plain_rule(user, action))

    def flags(qs, user):
        rule = _plain_rule(user, Action.VIEW_SENSITIVE)
        return qs.annotate(can_see_sensitive=ExpressionWrapper(rule, output_field=BooleanField()))

    def counts():
        role = "interceptees__role"
        return {
            "victim_count": Count("interceptees", filter=Q(**{role: IntercepteeRole.POTENTIAL_VICTIM})),
            "suspect_count": Count("interceptees", filter=Q(**{role: IntercepteeRole.SUSPECT})),
        }

    with (
        mock.patch.object(selectors, "interception_scope", scope),
        mock.patch.object(selectors, "with_access_flags", flags),
        mock.patch.object(selectors, "interceptee_counts", counts),
    ):
        yield


def check_rows(found: list, users: dict) -> int:
    """Fail loudly unless every scenario's list equals the plain ORM rule's: the count, the first page (rows,
    order, `can_see_sensitive`, victim and suspect counts) and the whole list (ids and flags). Returns the
    number of lists compared."""
    seen = set()
    for s in found:
        if (s.user, s.filters) in seen:
            continue
        seen.add((s.user, s.filters))
        user = users[s.user]
        lists = []
        for reference in (False, True):
            with plain() if reference else contextlib.nullcontext():
                qs = selectors.interception_list(user=user, filters=s.filters)
                page = Paginator(qs, HTML_PAGE).page(1)
                first = [
                    (r.pk, r.can_see_sensitive, r.victim_count, r.suspect_count) for r in page.object_list
                ]
                whole = set(qs.values_list("pk", "can_see_sensitive"))
            lists.append((page.paginator.count, first, whole))
        if lists[0] != lists[1]:
            raise RuntimeError(f"{s.name}: the scoped list differs from the plain ORM rule's.")
        if lists[0][0] != len(lists[0][2]):
            raise RuntimeError(f"{s.name}: the count ({lists[0][0]}) is not the number of rows.")
    return len(seen)


def list_queryset(user, filters: InterceptionFilters, *, api: bool, scoped: bool):
    """The list's queryset as the page (`interception_list`) or the API (`interception_rows`) builds it."""
    build = selectors.interception_rows if api else selectors.interception_list
    with contextlib.nullcontext() if scoped else unscoped():
        return build(user=user, filters=filters)


def page_work(user, filters: InterceptionFilters, *, api: bool, scoped: bool) -> int:
    """The first page's work as the app does it, with one access-profile read as in a request:
    - HTML: `core.pagination.CappedPaginator`, the count capped at 10,000 (not remembered between runs, so
      every run counts) and the page's 25 ids first, then their rows with the people counts;
    - API: the first 50 summary rows by keyset (`core.keyset.seek`), then their people counts.
    Returns the count (HTML) or the number of rows (API)."""
    with access_memo(), contextlib.nullcontext() if scoped else unscoped():
        if api:
            qs = keyset.seek(list_queryset(user, filters, api=True, scoped=True), ("occurred_at", "id"), None)
            return len(selectors.with_interceptee_counts(list(qs[:API_PAGE]), user=user))
        qs = list_queryset(user, filters, api=False, scoped=True)
        paginator = CappedPaginator(qs, HTML_PAGE, remember_capped=False)
        rows = list(paginator.page(1).object_list)
        if rows:
            rows[0].can_see_sensitive  # noqa: B018  (the annotation is there)
        return paginator.count


@dataclass
class Job:
    """One timed callable: a scoped scenario or an unscoped baseline."""

    key: str
    call: Callable[[], int]
    times: list[float] = field(default_factory=list)  # ms, the whole page work
    sql_times: list[float] = field(default_factory=list)  # ms of it spent in cursor.execute (PostgreSQL)
    rows: int = 0
    queries: int = 0

    def once(self) -> None:
        sql = 0.0

        def timed(execute, *args):
            nonlocal sql
            started = time.perf_counter()
            try:
                return execute(*args)
            finally:
                sql += time.perf_counter() - started

        started = time.perf_counter()
        with connection.execute_wrapper(timed):
            self.rows = self.call()
        self.times.append((time.perf_counter() - started) * 1000)
        self.sql_times.append(sql * 1000)

    def count_queries(self) -> None:
        with CaptureQueriesContext(connection) as ctx:
            self.call()
        self.queries = len(ctx.captured_queries)

    def stats(self) -> dict:
        times = sorted(self.times)
        p95 = statistics.quantiles(times, n=20, method="inclusive")[18] if len(times) > 1 else times[0]
        return {
            "median_ms": round(statistics.median(times), 2),
            "p95_ms": round(p95, 2),
            "min_ms": round(times[0], 2),
            "sql_median_ms": round(statistics.median(self.sql_times), 2),
            "runs": len(times),
            "rows": self.rows,
            "queries": self.queries,
        }


@dataclass
class Scenario:
    name: str
    user: str  # username
    role: str  # what the user is, in words
    page: str  # "html" or "api"
    filter_name: str
    filters: InterceptionFilters
    scoped: Job | None = None
    baseline: Job | None = None


def scenarios() -> tuple[list[Scenario], dict]:
    users = {
        u.username: u
        for u in User.objects.filter(username__in=[dataset.MONITOR, dataset.MANAGER, dataset.DIRECTOR])
    }
    # "Today" at the stations: the data set ends at the moment it was built, so take the newest local date.
    last_day = Interception.objects.order_by("-occurred_on").values_list("occurred_on", flat=True).first()
    last_30 = InterceptionFilters(date_from=(last_day or timezone.localdate()) - timedelta(days=29))
    busiest = (
        stations_for(users[dataset.DIRECTOR], "interception", Action.VIEW)
        .annotate(n=Count("interceptions"))
        .order_by("-n", "code")
        .values_list("code", flat=True)
        .first()
    )
    people = [
        (dataset.MONITOR, f"monitor at 1 station ({dataset.MONITOR_STATION})", dataset.MONITOR_STATION),
        (
            dataset.MANAGER,
            f"station manager at {dataset.MANAGER_STATION} + {dataset.MANAGER_GRANTS} shared records",
            dataset.MANAGER_STATION,
        ),
        (
            dataset.DIRECTOR,
            f"country director, NP ({dataset.COUNTRIES[0][3]} of {dataset.STATIONS} stations)",
            busiest,
        ),
    ]
    out = []
    for username, role, station in people:
        filter_sets = [
            ("none", InterceptionFilters()),
            ("last 30 days", last_30),
            (f"station {station}", InterceptionFilters(station=station)),
        ]
        for page in ("html", "api"):
            for filter_name, filters in filter_sets:
                if page == "api" and filter_name.startswith("station"):
                    continue  # the API runs the same list query; the station filter is timed on the page
                name = f"{username} {page} {filter_name}"
                out.append(Scenario(name, username, role, page, filter_name, filters))
    return out, users


def run(*, runs: int, warmup: int, log=print) -> list[Scenario]:
    """Time every scenario and its baseline, round-robin (one run of each per round), so that any drift of
    the machine during the benchmark spreads over all of them alike."""
    found, users = scenarios()
    check_baseline(users[dataset.DIRECTOR])
    baselines: dict[tuple, Job] = {}
    jobs: list[Job] = []
    for s in found:
        user, api = users[s.user], s.page == "api"
        s.scoped = Job(s.name, lambda u=user, f=s.filters, a=api: page_work(u, f, api=a, scoped=True))
        key = (s.page, s.filters)
        if key not in baselines:
            baselines[key] = Job(
                f"unscoped {s.page} {s.filter_name}",
                lambda u=user, f=s.filters, a=api: page_work(u, f, api=a, scoped=False),
            )
            jobs.append(baselines[key])
        s.baseline = baselines[key]
        jobs.append(s.scoped)
    for job in jobs:
        job.count_queries()
    for i in range(warmup + runs):
        for job in jobs:
            job.once()
        if i == warmup - 1:
            for job in jobs:
                job.times.clear()
                job.sql_times.clear()
        log(f"  round {i + 1}/{warmup + runs}{' (warm-up)' if i < warmup else ''}")
    return found


def explain(scenario: Scenario, users: dict) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of every query of a scenario, scoped and unscoped."""
    out = []
    for scoped in (True, False):
        with CaptureQueriesContext(connection) as ctx:
            page_work(users[scenario.user], scenario.filters, api=scenario.page == "api", scoped=scoped)
        for q in ctx.captured_queries:
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                plan = "\n".join(r[0] for r in cur.fetchall())
            out.append(f"-- {scenario.name} ({'scoped' if scoped else 'unscoped'})\n{q['sql']}\n\n{plan}\n")
    return "\n".join(out)
