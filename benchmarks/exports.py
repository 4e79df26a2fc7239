"""Export throughput and peak worker memory, at ~10,000 and 100,000 interceptions.

Runs each export in a fresh Python process (the same code a Celery worker runs: `exports.services.export_run`)
and reads that process's peak resident memory, so a writer that kept rows in memory would show up as memory
growing with the row count. Uses the benchmark database of `benchmarks.run` (built there when missing).

    python -m benchmarks.exports [--runs-per-case 1]
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

CASES = [
    # (label, kind, format, deidentified, filters)
    ("interceptions csv, ~10k", "interceptions", "csv", False, {"date_from": "DAYS:73"}),
    ("interceptions csv, 100k", "interceptions", "csv", False, {}),
    ("interceptions xlsx, ~10k", "interceptions", "xlsx", False, {"date_from": "DAYS:73"}),
    ("interceptions xlsx, 100k", "interceptions", "xlsx", False, {}),
    ("persons csv de-identified, 100k interceptions", "persons", "csv", True, {}),
]


def child(case_index: int, media: str) -> None:
    """Run one export in this process and print its figures as JSON."""
    import resource

    from benchmarks import db

    db.configure()
    os.environ["PRIVATE_MEDIA_ROOT"] = media
    import django

    django.setup()
    from datetime import timedelta

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
    started = time.perf_counter()
    export_run(job_id=job.pk)
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    size = os.path.getsize(job.file.path) if job.file else 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "case": label,
                "rows": job.row_count,
                "seconds": round(seconds, 2),
                "rows_per_second": round(job.row_count / seconds) if seconds else None,
                "peak_rss_mb": round(peak / 1024, 1),
                "rss_before_export_mb": round(rss_before / 1024, 1),
                "file_mb": round(size / 1e6, 2),
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
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.media)
        return 0

    # make sure the data set exists (benchmarks.run builds it once)
    build = [sys.executable, "-m", "benchmarks.run", "--build-only"]
    subprocess.run(build, check=True, cwd=HERE.parent)  # noqa: S603 - our own module
    results = []
    with tempfile.TemporaryDirectory() as media:
        for index, case in enumerate(CASES):
            out = subprocess.run(  # noqa: S603 - our own module, fixed arguments
                [sys.executable, "-m", "benchmarks.exports", "--child", str(index), "--media", media],
                cwd=HERE.parent,
                capture_output=True,
                text=True,
                check=True,
            )
            line = [x for x in out.stdout.splitlines() if x.startswith("{")][-1]
            results.append(json.loads(line))
            print(
                f"{case[0]:<48} {results[-1]['rows']:>7} rows  {results[-1]['rows_per_second']:>7} rows/s  "
                f"peak {results[-1]['peak_rss_mb']:>6} MB"
            )
    small = {r["case"].split(",")[0]: r for r in results if "~10k" in r["case"]}
    growth = {
        name: round(big["peak_rss_mb"] - small[name]["peak_rss_mb"], 1)
        for big in results
        if "100k" in big["case"] and (name := big["case"].split(",")[0]) in small
    }
    payload = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "results": results,
        "peak_memory_growth_10k_to_100k_mb": growth,
    }
    RESULTS_JSON.write_text(json.dumps(payload, indent=2) + "\n")
    lines = [
        "# Benchmark: exports",
        "",
        f"{payload['when']}; {payload['cpus']} CPUs. Each export runs in a fresh process "
        "(`exports.services.export_run`, as in a Celery worker); peak = that process's maximum resident "
        "memory.",
        "",
        "| case | rows | seconds | rows/s | peak memory (MB) | file (MB) |",
        "|---|--:|--:|--:|--:|--:|",
        *[
            f"| {r['case']} | {r['rows']:,} | {r['seconds']} | {r['rows_per_second']:,} | "
            f"{r['peak_rss_mb']} | {r['file_mb']} |"
            for r in results
        ],
        "",
        "Peak memory growth from ~10k to 100k rows: "
        + ", ".join(f"{k}: {v:+} MB" for k, v in growth.items()),
        "",
    ]
    RESULTS_MD.write_text("\n".join(lines))
    print(f"peak memory growth 10k → 100k: {growth}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
