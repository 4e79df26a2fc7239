"""The scoped interception list against the same list unscoped, at 100,000 interceptions across 200 stations.

    python -m benchmarks.run [--size 100k|1m | --interceptions N] [--rebuild] [--runs N] [--warmup N]
                             [--check] [--explain] [--build-only]

Uses its own database (`interception_bench`, or BENCH_DATABASE_URL; `interception_bench_1m` for --size 1m),
built once and reused; writes benchmarks/results.json and benchmarks/RESULTS.md (other sizes:
<size>-results.json, as .gitignore leaves out results-*.json, and RESULTS-<size>.md) and prints the table.
See docs/benchmarks.md.
"""

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from . import db

HERE = Path(__file__).resolve().parent
TARGET = 2.0  # the acceptance criterion: scoped / unscoped at most 2


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--rebuild", action="store_true", help="drop the benchmark database and build it again"
    )
    parser.add_argument("--runs", type=int, default=15, help="timed runs per scenario (default 15)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 if any ratio is above {TARGET:g}")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="write EXPLAIN ANALYZE of the queries of the scenarios above the target (and of the "
        "country director's whole list) to benchmarks/plans.txt",
    )
    parser.add_argument("--build-only", action="store_true", help="build the data set, measure nothing")
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument(
        "--size",
        choices=["100k", "1m"],
        default="100k",
        help="the data set: 100k (200 stations, database interception_bench) or 1m (500 stations, "
        "interception_bench_1m); default 100k",
    )
    sizes.add_argument("--interceptions", type=int, help="a data set of any size, in a database of its own")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")
    if args.interceptions is not None and args.interceptions < 1_000:
        parser.error("--interceptions must be at least 1000")
    size = sizes_for(args)

    cfg = db.configure(suffix_of(size))  # before Django reads its settings
    if "bench" not in cfg["NAME"]:
        parser.error(f"refusing to use database {cfg['NAME']!r}: its name must contain 'bench'")
    db.ensure(cfg, drop=args.rebuild)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from . import dataset, measure

    dataset.use(size)
    print(f"Benchmark database {cfg['NAME']} on {cfg.get('HOST') or 'localhost'}:{cfg.get('PORT') or 5432}")
    call_command("migrate", verbosity=0, interactive=False)
    data = dataset.state()
    if data is None:
        if dataset.Interception.objects.exists() or dataset.Station.objects.exists():
            print("The data set is incomplete or of another version: building it again.")
            connection.close()
            db.ensure(cfg, drop=True)
            call_command("migrate", verbosity=0, interactive=False)
        print(f"Building the {size.interceptions:,}-interception data set (once; --rebuild builds it again):")
        data = dataset.build()
    else:
        print(f"Data set built {data['built_at']} (in {data['build_seconds']}s): reusing it.")
    if args.build_only:
        return 0

    settings.DEBUG = False  # DEBUG only spared us a SECRET_KEY; it would also log every query
    started = time.perf_counter()
    checked = measure.check_rows(*measure.scenarios())
    print(
        f"Rows checked against the plain ORM form of the access rule: {checked} lists identical "
        f"({time.perf_counter() - started:.0f}s)."
    )
    print(f"Measuring: {args.warmup} warm-up + {args.runs} timed runs of each scenario, round-robin.")
    started = time.perf_counter()
    found = measure.run(runs=args.runs, warmup=args.warmup, log=lambda m: print(m, end="\r", flush=True))
    print(f"\nMeasured in {time.perf_counter() - started:.0f}s.")

    results = {
        "target_ratio": TARGET,
        "machine": machine(connection, cfg),
        "data_set": data,
        "runs": args.runs,
        "warmup": args.warmup,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "lists_checked_against_plain_orm_rule": checked,
        "scenarios": [scenario_result(s) for s in found],
    }
    tag = suffix_of(size)
    (HERE / (f"{tag}-results.json" if tag else "results.json")).write_text(
        json.dumps(results, indent=2, default=str) + "\n"
    )
    table = markdown(results)
    (HERE / (f"RESULTS-{tag}.md" if tag else "RESULTS.md")).write_text(table)
    print()
    print(table)

    if args.explain:  # the scenarios above the target, and the reference case (the director's whole list)
        _, users = measure.scenarios()
        names = {s["name"] for s in results["scenarios"] if s["ratio"] > TARGET}
        names.add(f"{dataset.DIRECTOR} html none")
        plans = "\n\n".join(measure.explain(s, users) for s in found if s.name in names)
        (HERE / "plans.txt").write_text(plans)
        print(f"Plans written to {HERE / 'plans.txt'}")

    over = [s for s in results["scenarios"] if s["ratio"] > TARGET]
    if over:
        print(
            f"{len(over)} scenario(s) above the target ratio of {TARGET:g}: "
            + ", ".join(s["name"] for s in over)
        )
        if args.check:
            return 1
    return 0


def sizes_for(args):
    """The data set the options ask for (benchmarks.dataset.Size), without importing Django."""
    from .sizes import SIZES, size_for

    return size_for(args.interceptions) if args.interceptions else SIZES[args.size]


def suffix_of(size) -> str:
    """The database suffix of a data set: none for the default 100k set (`interception_bench`)."""
    return "" if size.name == "100k" else size.name


def scenario_result(s) -> dict:
    scoped, unscoped = s.scoped.stats(), s.baseline.stats()
    return {
        "name": s.name,
        "user": s.user,
        "role": s.role,
        "page": s.page,
        "filter": s.filter_name,
        "scoped": scoped,
        "unscoped": unscoped,
        "ratio": round(scoped["median_ms"] / unscoped["median_ms"], 2),
        "sql_ratio": round(scoped["sql_median_ms"] / unscoped["sql_median_ms"], 2),
    }


def machine(connection, cfg) -> dict:
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        version = cur.fetchone()[0]
        server = {}
        for name in ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit"):
            cur.execute(f"SHOW {name}")
            server[name] = cur.fetchone()[0]
    import django

    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "postgresql": version,
        "postgresql_settings": server,
        "database": cfg["NAME"],
        "database_size": db.size(cfg),
    }


def markdown(r: dict) -> str:
    m, d = r["machine"], r["data_set"]
    lines = [
        "# Benchmark: scoped interception list vs unscoped",
        "",
        f"{r['timestamp']}; {m['cpu_count']} CPUs; {m['postgresql'].split(' on ')[0]}; Django {m['django']}; "
        f"{d['interceptions']:,} interceptions, {d['interceptees']:,} interceptees, "
        f"{d['stations']} stations, "
        f"{d['user_object_grants']:,} user grants + {d['group_object_grants']:,} group grants. "
        f"Median of {r['runs']} runs after {r['warmup']} warm-up runs; times in ms; "
        f"ratio = scoped median / unscoped median (target ≤ {r['target_ratio']:g}).",
        "",
        "Work per run: build the queryset, count it, materialise the first page "
        "(HTML 25 rows; API 50 rows with details prefetched). SQL ms: the part of it spent in "
        "`cursor.execute` (PostgreSQL planning and execution, transfer); the rest is Python (the ORM "
        "building and compiling the query, making the objects).",
        "",
        "| user | page | filter | rows: scoped of unscoped | scoped ms: median (p95) "
        "| unscoped ms: median (p95) | **ratio** | SQL ms: scoped / unscoped | SQL ratio |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for s in r["scenarios"]:
        sc, un = s["scoped"], s["unscoped"]
        flag = " ✗" if s["ratio"] > r["target_ratio"] else ""
        lines.append(
            f"| {s['role']} | {s['page']} | {s['filter']} | {sc['rows']:,} of {un['rows']:,} "
            f"| {sc['median_ms']:.1f} ({sc['p95_ms']:.1f}) | {un['median_ms']:.1f} ({un['p95_ms']:.1f}) "
            f"| **{s['ratio']:.2f}**{flag} | {sc['sql_median_ms']:.1f} / {un['sql_median_ms']:.1f} "
            f"| {s['sql_ratio']:.2f} |"
        )
    worst = max(r["scenarios"], key=lambda s: s["ratio"])
    over = [s["name"] for s in r["scenarios"] if s["ratio"] > r["target_ratio"]]
    lines += ["", f"Highest ratio: {worst['ratio']:.2f} ({worst['name']})."]
    lines += [f"Above the target: {', '.join(over)}." if over else "All ratios are within the target."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
