"""Export throughput and peak worker memory, at 100,000 interceptions (and, with `--sizes 100k,1m`, at
1,000,000 too).

Runs each export in a fresh Python process (the same code a Celery worker runs: `exports.services.export_run`)
and reads that process's peak resident memory, so a writer that kept rows in memory would show up as memory
growing with the row count. Uses the benchmark databases of `benchmarks.run` (built there when missing:
`interception_bench`, `interception_bench_1m`).

    python -m benchmarks.exports [--sizes 100k[,1m]]
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS_JSON = HERE / "exports-results.json"
RESULTS_MD = HERE / "EXPORTS.md"
SIZES = ("100k", "1m")

CASES = [
    # (label, kind, format, deidentified, filters); "recent" = the last 73 days (a tenth of the 100k set)
    ("interceptions csv, recent", "interceptions", "csv", False, {"date_from": "DAYS:73"}),
    ("interceptions csv, all", "interceptions", "csv", False, {}),
    ("interceptions xlsx, recent", "interceptions", "xlsx", False, {"date_from": "DAYS:73"}),
    ("interceptions xlsx, all", "interceptions", "xlsx", False, {}),
    ("persons csv de-identified, all", "persons", "csv", True, {}),
]


def child(case_index: int, media: str, size: str) -> None:
    """Run one export in this process and print its figures as JSON."""
    import resource

    from benchmarks import db

    db.configure("" if size == "100k" else size)
    os.environ["PRIVATE_MEDIA_ROOT"] = media
    import django

    django.setup()
    from datetime import timedelta

    from django.conf import settings

    settings.DEBUG = False  # as in a worker: DEBUG only spared us a SECRET_KEY (it would log every query)

    from django.utils import timezone

    from accounts.models import Country, Membership, User
    from exports.models import ExportJob
    from exports.services import export_run

    label, kind, fmt, deidentified, filters = CASES[case_index]
    filters = {
        k: (timezone.now() - timedelta(days=int(v[5:]))).date().isoformat()
        if str(v).startswith("DAYS:")
        else v
        for k, v in filters.items()
    }
    user, _ = User.objects.get_or_create(username="bench_exporter")
    for country in Country.objects.all():
        # a country director of every country: exports every row (names masked: no view_sensitive)
        Membership.objects.get_or_create(user=user, role="country_director", country=country, station=None)
        Membership.objects.get_or_create(user=user, role="station_manager", country=country, station=None)
    job = ExportJob.objects.create(
        user=user, kind=kind, format=fmt, deidentified=deidentified, filters=filters
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu = time.perf_counter(), time.process_time()
    export_run(job_id=job.pk)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    job.refresh_from_db()
    file_size = os.path.getsize(job.file.path) if job.file else 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "case": label,
                "size": size,
                "rows": job.row_count,
                "seconds": round(seconds, 2),
                "rows_per_second": round(job.row_count / seconds) if seconds else None,
                # the worker's own CPU time per row (the database's is not in it): steadier than the
                # wall-clock figures on a machine shared with other work
                "worker_cpu_us_per_row": round(cpu * 1e6 / job.row_count, 1) if job.row_count else None,
                "peak_rss_mb": round(peak / 1024, 1),
                "rss_before_export_mb": round(rss_before / 1024, 1),
                "file_mb": round(file_size / 1e6, 2),
                "status": job.status,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--media", help=argparse.SUPPRESS)
    parser.add_argument("--size", default="100k", help=argparse.SUPPRESS)
    parser.add_argument(
        "--sizes",
        default="100k",
        help="data sets to measure, comma-separated: 100k, 1m (default 100k; 1m takes minutes)",
    )
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.media, args.size)
        return 0
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if not sizes or set(sizes) - set(SIZES):
        parser.error(f"--sizes takes {', '.join(SIZES)}")

    results = []
    for size in sizes:
        # make sure the data set exists (benchmarks.run builds it once)
        build = [sys.executable, "-m", "benchmarks.run", "--build-only", "--size", size]
        subprocess.run(build, check=True, cwd=HERE.parent)  # noqa: S603 - our own module
        with tempfile.TemporaryDirectory() as media:
            for index, case in enumerate(CASES):
                out = subprocess.run(  # noqa: S603 - our own module, fixed arguments
                    [
                        *(sys.executable, "-m", "benchmarks.exports", "--child", str(index)),
                        *("--media", media, "--size", size),
                    ],
                    cwd=HERE.parent,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                line = [x for x in out.stdout.splitlines() if x.startswith("{")][-1]
                results.append(json.loads(line))
                r = results[-1]
                print(
                    f"{size:>4} {case[0]:<34} {r['rows']:>9} rows  {r['rows_per_second']:>7} rows/s  "
                    f"{r['worker_cpu_us_per_row']:>5} µs CPU/row  peak {r['peak_rss_mb']:>6} MB"
                )
    growth = {}
    for size in sizes:
        of_size = {r["case"]: r for r in results if r["size"] == size}
        for name in ("interceptions csv", "interceptions xlsx"):
            small, big = of_size.get(f"{name}, recent"), of_size.get(f"{name}, all")
            if small and big:
                growth[f"{size} {name}"] = round(big["peak_rss_mb"] - small["peak_rss_mb"], 1)
    payload = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "results": results,
        "peak_memory_growth_recent_to_all_mb": growth,
    }
    RESULTS_JSON.write_text(json.dumps(payload, indent=2) + "\n")
    lines = [
        "# Benchmark: exports",
        "",
        f"{payload['when']}; {payload['cpus']} CPUs. Each export runs in a fresh process "
        "(`exports.services.export_run`, as in a Celery worker); peak = that process's maximum resident "
        "memory. `recent` = the last 73 days; `all` = every row.",
        "",
        "| data set | case | rows | seconds | rows/s | worker CPU µs/row | peak memory (MB) | file (MB) |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
        *[
            f"| {r['size']} | {r['case']} | {r['rows']:,} | {r['seconds']} | {r['rows_per_second']:,} | "
            f"{r['worker_cpu_us_per_row']} | {r['peak_rss_mb']} | {r['file_mb']} |"
            for r in results
        ],
        "",
        "Peak memory growth from the recent rows to all rows: "
        + ", ".join(f"{k}: {v:+} MB" for k, v in growth.items()),
        "",
    ]
    RESULTS_MD.write_text("\n".join(lines))
    print(f"peak memory growth recent → all: {growth}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
