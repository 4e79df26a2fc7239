"""What the benchmark times: the work of one interception list page, scoped to a user and unscoped.

A scenario is one page (HTML, 25 rows; or API, 50 rows with the record's details prefetched) for one user
and one set of filters. Its work is what the view does with the queryset: build it with
`selectors.interception_list`, count it (the paginator) and materialise the first page. The unscoped
baseline is the same selector with the scope left out: `interception_scope` returns every interception
and `can_see_sensitive` is a constant `True`, so the query has the same joins, annotations, grouping and
ordering, minus the access predicate. Import only after `django.setup()`.
"""

import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from unittest import mock

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import BooleanField, Count, Value
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.access import stations_for
from accounts.models import User
from accounts.roles import Action
from interception import selectors
from interception.models import Interception
from interception.selectors import InterceptionFilters

from . import dataset

HTML_PAGE = 25  # interception.views.PAGE_SIZE
API_PAGE = 50  # REST_FRAMEWORK["PAGE_SIZE"]


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


def list_queryset(user, filters: InterceptionFilters, *, api: bool, scoped: bool):
    if scoped:
        qs = selectors.interception_list(user=user, filters=filters)
    else:
        with unscoped():
            qs = selectors.interception_list(user=user, filters=filters)
    return selectors.with_details(qs) if api else qs


def page_work(user, filters: InterceptionFilters, *, api: bool, scoped: bool) -> int:
    """Count plus the first page, materialised (with prefetches for the API); returns the count."""
    qs = list_queryset(user, filters, api=api, scoped=scoped)
    page = Paginator(qs, API_PAGE if api else HTML_PAGE).page(1)
    rows = list(page.object_list)
    if rows:
        rows[0].can_see_sensitive  # noqa: B018  (the annotation is there)
    return page.paginator.count


@dataclass
class Job:
    """One timed callable: a scoped scenario or an unscoped baseline."""

    key: str
    call: Callable[[], int]
    times: list[float] = field(default_factory=list)
    rows: int = 0
    queries: int = 0

    def once(self) -> None:
        started = time.perf_counter()
        self.rows = self.call()
        self.times.append((time.perf_counter() - started) * 1000)

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
        (dataset.DIRECTOR, "country director, NP (150 of 200 stations)", busiest),
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
                    continue  # the API shares the HTML list's query; one station-filtered API case is enough
                name = f"{username} {page} {filter_name}"
                out.append(Scenario(name, username, role, page, filter_name, filters))
    return out, users


def run(*, runs: int, warmup: int, log=print) -> list[Scenario]:
    """Time every scenario and its baseline, round-robin (one run of each per round), so that any drift of
    the machine during the benchmark spreads over all of them alike."""
    found, users = scenarios()
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
