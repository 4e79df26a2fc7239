"""The case list at 100,000 cases across 150 stations: scoped vs unscoped, and queries per page.

    python -m benchmarks.cases [--rebuild] [--runs 30] [--build-only]

Uses its own database (`cases_bench_100k`, or CASES_BENCH_DATABASE_URL), built once with set-based SQL
(`INSERT ... SELECT generate_series`) and reused. Each scenario is one page of the case list for one user:

- the page (`cases.selectors.case_page` without its access-log write: the capped count, the page's ids in
  the list's order, then its rows with the summary joins and the access flag);
- the API (`GET /api/v1/cases/`: the first page by keyset with the same joins and flag).

The unscoped baseline is the same work with `case_scope` returning
every case and `can_see_sensitive` a constant: the same joins, ordering and filters, without the access
predicate. Both read the user's access profile (one query): every page of the application reads it once
for its header (the navigation, the "can add" buttons) whether its list is scoped or not, so it is not the
list's cost; what the scope adds is the live referrals' lookup and the predicate in the page's queries. Scoped
and unscoped runs alternate. Queries per page are counted for page sizes 20, 50 and 100
(the access profile, the live referrals to the user's stations, then the page: count, ids, rows; the API:
the page), plus the access log's own write (3 statements: lock, previous hash, insert), the same for
every list. Writes benchmarks/cases-results.json and benchmarks/CASES.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from unittest import mock

HERE = Path(__file__).resolve().parent
N_CASES = 100_000
N_STATIONS = 150
CASE_MANAGERS_PER_STATION = 3
GOALS = {"ratio": 1.5, "queries_per_page": 6}
NOTES = """Reading the figures:

- The data: 100,000 cases at 150 stations of one country (~667 a station), opened over four years;
  10% new (unassigned), 60% active, 5% closure requested, 25% closed; three case managers a station (a
  case manager has ~220 cases, ~110 of them open); 70% of open cases have a follow-up due, from 10 days
  overdue to 50 days ahead. No live referral (the referral branch of the scope is then left out: with
  some, it is an `id IN (...)` list, a bitmap OR of the primary key and the station index).
- The first version of `case_scope` was `station_id = X OR EXISTS (live referral to my station)`.
  PostgreSQL cannot use the station index under that OR, so a station's page walked the
  newest cases of every station (7,347 rows read for 50 shown): scoped ÷ unscoped was 2.8–8 (155–193 ms
  a page). `cases.selectors.case_scope` now reads the live referrals first and names them by id: the page's
  ids come from `case_station_recent_idx` (0.5 ms) and no index was added.
- Both sides read the access profile, as every page does for its header (navigation, buttons): an earlier
  run that left it out of the baseline gave 1.3–1.6 (the director's page 1.61), the profile's ~1 ms
  counted against the list. What remains of the ratio is the live referrals' lookup (one short query)
  and, for the director, `station_id = ANY(150 ids)` checked on each of the 10,001 rows the capped count
  reads. Scoped and unscoped runs alternate so that drift weighs on both alike.
- Queries per page do not depend on the page size: the page 5 (profile, referrals, count, ids, rows),
  the API 3 (profile, referrals, page). Each response adds the access log's write (3 statements), as
  every list does.
"""


def _url() -> str:
    return os.environ.get("CASES_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cases_bench_100k")


def configure():
    import environ

    url = _url()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    return environ.Env.db_url_config(url)


def build(log=print) -> dict:
    """Stations, users and 100,000 cases (with their people and identities), by SQL. Returns timings."""
    from django.db import connection

    from accounts.models import Country, Membership, Station, User
    from accounts.roles import Role

    started = time.perf_counter()
    nepal = Country.objects.create(code="NP", name="Nepal")
    stations = Station.objects.bulk_create(
        Station(code=f"S{i:03d}", name=f"Station {i}", country=nepal) for i in range(N_STATIONS)
    )
    admin = User.objects.create(username="bench_admin")
    users, memberships = [], []
    for s in stations:
        for k in range(CASE_MANAGERS_PER_STATION):
            users.append(User(username=f"cm_{s.code}_{k}"))
        users.append(User(username=f"mgr_{s.code}"))
    users.append(User(username="director"))
    users = User.objects.bulk_create(users)
    by_name = {u.username: u for u in users}
    for s in stations:
        for k in range(CASE_MANAGERS_PER_STATION):
            memberships.append(
                Membership(user=by_name[f"cm_{s.code}_{k}"], role=Role.CASE_MANAGER, station=s)
            )
        memberships.append(Membership(user=by_name[f"mgr_{s.code}"], role=Role.STATION_MANAGER, station=s))
    memberships.append(Membership(user=by_name["director"], role=Role.COUNTRY_DIRECTOR, country=nepal))
    Membership.objects.bulk_create(memberships)
    station_ids = [s.pk for s in stations]
    codes = [s.code for s in stations]
    # the case managers of station i: cm ids in station order, CASE_MANAGERS_PER_STATION each
    cm_ids = [by_name[f"cm_{c}_{k}"].pk for c in codes for k in range(CASE_MANAGERS_PER_STATION)]
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO people_identity (gender, created_at, updated_at) "
            "SELECT 'female', now(), now() FROM generate_series(1, %s)",
            [N_CASES],
        )
        cur.execute("SELECT min(id) FROM people_identity")
        first_identity = cur.fetchone()[0]
        # case g (1..N) is at station (g % S); opened up to ~4 years ago; statuses: 10% new, 60% active,
        # 5% closure requested, 25% closed; open cases have a follow-up due 70% of the time (some overdue)
        cur.execute(
            """
            INSERT INTO people_person (full_name, gender, phone, address, nationality, created_at, updated_at,
                                       created_by_id, station_id, source, identity_id)
            SELECT 'Person ' || g, 'female', '', '', 'NP', now(), now(), %s,
                   (%s::bigint[])[1 + g %% %s], 'case', %s + g - 1
            FROM generate_series(1, %s) g
            """,
            [admin.pk, station_ids, N_STATIONS, first_identity, N_CASES],
        )
        cur.execute("SELECT min(id) FROM people_person")
        first_person = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO cases_victimcase (number, source, source_notes, status, risk, risk_reasons,
                interception_outcome, closure_reason, closure_notes, reopen_reason, opened_on, version,
                created_at, updated_at, created_by_id, person_id, station_id, assigned_to_id,
                next_follow_up_on)
            SELECT (%s::text[])[1 + g %% %s] || '-C-' || extract(year FROM d)::int || '-'
                   || lpad(g::text, 6, '0'),
                   'walk_in', '', st, (ARRAY['low', 'medium', 'high', ''])[1 + g %% 4], '', '',
                   CASE WHEN st = 'closed' THEN 'reintegrated' ELSE '' END, '', '', d, 1, now(), now(), %s,
                   %s + g - 1, (%s::bigint[])[1 + g %% %s],
                   CASE WHEN st = 'new' THEN NULL
                        ELSE (%s::bigint[])[1 + (g %% %s) * %s + (g / %s) %% %s] END,
                   CASE WHEN st IN ('active', 'closure_requested') AND g %% 10 < 7
                        THEN current_date + ((g * 7919) %% 60 - 10) END
            FROM (
                SELECT g, (current_date - (g * 31 %% 1460))::date AS d,
                       CASE WHEN g %% 20 < 2 THEN 'new' WHEN g %% 20 < 14 THEN 'active'
                            WHEN g %% 20 < 15 THEN 'closure_requested' ELSE 'closed' END AS st
                FROM generate_series(1, %s) g
            ) x
            """,
            [
                codes,
                N_STATIONS,
                admin.pk,
                first_person,
                station_ids,
                N_STATIONS,
                cm_ids,
                N_STATIONS,
                CASE_MANAGERS_PER_STATION,
                N_STATIONS,
                CASE_MANAGERS_PER_STATION,
                N_CASES,
            ],
        )
        cur.execute(
            "UPDATE people_person p SET record_id = c.id FROM cases_victimcase c WHERE c.person_id = p.id"
        )
        cur.execute("ANALYZE")
    seconds = round(time.perf_counter() - started, 1)
    log(f"built {N_CASES} cases at {N_STATIONS} stations in {seconds} s")
    return {"build_seconds": seconds}


@contextlib.contextmanager
def unscoped():
    from django.db.models import BooleanField, Value

    from cases import selectors
    from cases.models import VictimCase

    def every_case(user, action="view"):
        return VictimCase.objects.all()

    def all_sensitive(qs, user):
        return qs.annotate(can_see_sensitive=Value(True, output_field=BooleanField()))

    with (
        mock.patch.object(selectors, "case_scope", every_case),
        mock.patch.object(selectors, "with_access_flags", all_sensitive),
    ):
        yield


def page_work(user, filters, *, api: bool, per_page: int, scoped: bool) -> int:
    """One list page's reads (no access-log write): see the module's docstring."""
    from accounts.access import profile_of
    from accounts.access_cache import access_memo
    from cases import selectors
    from core import keyset
    from core.pagination import CappedPaginator

    with access_memo(), contextlib.nullcontext() if scoped else unscoped():
        profile_of(user)  # the page header's read, scoped or not (see the module's docstring)
        if api:
            qs = selectors.with_summary(
                selectors.with_access_flags(selectors.case_rows(user=user, filters=filters), user)
            )
            if filters.mine:
                qs = keyset.seek(selectors.with_mine_keys(qs), selectors.MINE_KEYSET, None, descending=False)
            else:
                qs = keyset.seek(qs, selectors.NEWEST_KEYSET, None)
            rows = list(qs[: per_page + 1])
            return len(rows)
        ordered = selectors.case_rows(user=user, filters=filters).order_by(
            *selectors.case_list_ordering(filters)
        )
        paginator = CappedPaginator(
            ordered,
            per_page,
            fetch=lambda ids: selectors.case_list_rows(ids, user=user),
            remember_capped=False,
        )
        rows = list(paginator.page(1).object_list)
        if rows:
            rows[0].can_see_sensitive  # noqa: B018
        return paginator.count


def _stats(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[max(0, int(round(0.95 * len(samples))) - 1)], 2),
    }


def _time_pair(scoped, unscoped, runs: int) -> tuple[dict, dict]:
    """Both timed in alternation (scoped, unscoped, scoped...), so a change of the machine's load during the
    run weighs on both alike; one warm run each first."""
    scoped(), unscoped()
    a, b = [], []
    for _ in range(runs):
        for fn, out in ((scoped, a), (unscoped, b)):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000)
    return _stats(a), _stats(b)


def measure(runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from cases.selectors import CaseFilters

    cm = User.objects.get(username="cm_S007_1")
    users = {
        "case manager, My cases": (cm, CaseFilters(mine=True)),
        "case manager, her station": (cm, CaseFilters()),
        "station manager, his station": (User.objects.get(username="mgr_S007"), CaseFilters()),
        "country director, 150 stations": (User.objects.get(username="director"), CaseFilters()),
        "station manager, status=active": (
            User.objects.get(username="mgr_S007"),
            CaseFilters(status="active"),
        ),
    }
    scenarios = []
    for label, (user, filters) in users.items():
        for api in (False, True):
            row = {"scenario": label, "kind": "API" if api else "page", "user": user.username}
            row["rows"] = page_work(user, filters, api=api, per_page=50, scoped=True)
            scoped, base = _time_pair(
                partial(page_work, user, filters, api=api, per_page=50, scoped=True),
                partial(page_work, user, filters, api=api, per_page=50, scoped=False),
                runs,
            )
            row.update({f"scoped_{k}": v for k, v in scoped.items()})
            row.update({f"unscoped_{k}": v for k, v in base.items()})
            row["ratio_p50"] = round(scoped["p50_ms"] / base["p50_ms"], 2) if base["p50_ms"] else None
            queries = {}
            for size in (20, 50, 100):
                with CaptureQueriesContext(connection) as ctx:
                    page_work(user, filters, api=api, per_page=size, scoped=True)
                queries[str(size)] = len(ctx.captured_queries)
            row["queries"] = queries
            scenarios.append(row)
            print(
                f"{label:34} {row['kind']:4} rows={row['rows']:>6} scoped p50={scoped['p50_ms']:7.2f} "
                f"p95={scoped['p95_ms']:7.2f} unscoped p50={base['p50_ms']:7.2f} ratio={row['ratio_p50']} "
                f"queries={queries}"
            )
    return {"scenarios": scenarios}


def write(results: dict) -> None:
    (HERE / "cases-results.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Case list at 100,000 cases (benchmarks/cases.py)",
        "",
        f"Run {results['at']} on {results['machine']}; {results['cases']:,} cases at {results['stations']} "
        f"stations; {results['runs']} timed runs per figure (after one warm run). Database size "
        f"{results.get('db_size', '?')}.",
        "",
        "Goals: scoped ÷ unscoped ≤ 1.5 (p50), at most 6 queries per page whatever the page size. "
        "Queries counted: the access profile, the live referrals to the user's stations, then the page's own "
        "(page: count, ids, rows; API: the page). "
        "Every list response adds the access log's write (3 statements: lock, previous hash, insert).",
        "",
        "| scenario | kind | rows / count | scoped p50 ms | scoped p95 ms | unscoped p50 ms "
        "| unscoped p95 ms "
        "| ratio p50 | queries 20/50/100 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results["scenarios"]:
        q = r["queries"]
        lines.append(
            f"| {r['scenario']} | {r['kind']} | {r['rows']} | {r['scoped_p50_ms']} | {r['scoped_p95_ms']} | "
            f"{r['unscoped_p50_ms']} | {r['unscoped_p95_ms']} | {r['ratio_p50']} | "
            f"{q['20']}/{q['50']}/{q['100']} |"
        )
    lines += ["", results.get("notes", ""), ""]
    (HERE / "CASES.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    from . import db

    cfg = configure()
    created = db.ensure(cfg, drop=args.rebuild)
    import django

    django.setup()
    from django.core.management import call_command

    from cases.models import VictimCase

    call_command("migrate", verbosity=0, interactive=False)
    info = {}
    if created or not VictimCase.objects.exists():
        info = build()
    if args.build_only:
        return
    results = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}",
        "cases": VictimCase.objects.count(),
        "stations": N_STATIONS,
        "runs": args.runs,
        "db_size": db.size(cfg),
        "goals": GOALS,
        **info,
        **measure(args.runs),
    }
    results["notes"] = NOTES
    write(results)


if __name__ == "__main__":
    main()
