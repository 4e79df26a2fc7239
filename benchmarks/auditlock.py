"""The access log's chain lock under concurrency (issue 9, "Audit writes under load").

`audit.services.record_event` takes one transaction-level advisory lock (`pg_advisory_xact_lock`) so that
appends link one after another; the lock is held until the caller's transaction ends. This measures:

1. writers: N processes (1, 4, 8, 16), each with its own connection, calling `record_event` in a loop:
   a) alone, in autocommit (its own short transaction: what a list or detail read does);
   b) inside a transaction that does 5 ms more work *after* the event (the event recorded early);
   c) the same 5 ms of work *before* the event (the event recorded last, as the services do);
   n) baseline: an insert of the same JSON into a plain table, autocommit, no lock (what a request would
      pay if events were inserted unchained and sealed later).
   Reports events/s, p50/p95 of `record_event`, p50/p95 of the wait on the lock statement, the mean time
   the lock is held (lock granted → commit) and the lock's utilisation (time held ÷ wall time: near 1.0
   means the lock is the limit). Afterwards `audit_verify` must accept the chain.
2. http: gunicorn (3 workers, production settings) serving `/api/v1/interceptions/` to 16 concurrent
   aiohttp clients for 10 s, with the lock and without it (a throwaway run: the wrapper
   `nolock_app()` turns the lock statement into `SELECT 1` on every connection), interleaved
   lock / no lock / lock. Samples pg_stat_activity every 5 ms for backends waiting on an advisory lock.

Uses its own database (`interception_bench_audit`, or BENCH_DATABASE_URL), created and migrated here and
dropped at the end (unless --keep). Writes benchmarks/AUDITLOCK.md (the tables) and prints them.

    python -m benchmarks.auditlock [--seconds 5] [--http-seconds 10] [--skip-http] [--keep]
"""

import argparse
import asyncio
import importlib
import json
import multiprocessing as mp
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS_MD = HERE / "AUDITLOCK.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/interception_bench_audit"
LOCK_SQL = "pg_advisory_xact_lock"
SERVER_LOG = Path(tempfile.gettempdir()) / "auditlock-gunicorn.log"
WORK_SECONDS = 0.005  # the "more work" of variants b and c


# --- 1. writers -----------------------------------------------------------------------------------------


def _writer(variant: str, seconds: float, start_at: float, user_id: int, out) -> None:
    """One writer process: record events until the deadline; send back per-event timings."""
    from django.db import connection, transaction

    from accounts.models import User
    from audit.services import CHAIN_LOCK_KEY, record_event

    connection.close()  # a fresh connection of this process's own
    actor = User.objects.get(pk=user_id)
    state = {"wait": 0.0, "granted": 0.0}

    def timer(execute, sql, params, many, context):
        if LOCK_SQL in sql and list(params or []) == [CHAIN_LOCK_KEY]:
            t0 = time.perf_counter()
            result = execute(sql, params, many, context)
            state["granted"] = time.perf_counter()
            state["wait"] = state["granted"] - t0
            return result
        return execute(sql, params, many, context)

    def work():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(%s)", [WORK_SECONDS])

    samples = []  # (record_event seconds, lock wait seconds, lock held seconds)
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = time.perf_counter() + seconds
    n = 0
    with connection.execute_wrapper(timer):
        while time.perf_counter() < deadline:
            n += 1
            details = {"n": n, "pid": os.getpid(), "filters": {"q": "bench"}, "ids": list(range(50))}
            if variant == "n":
                t0 = time.perf_counter()
                with connection.cursor() as cursor:  # autocommit: one insert, its own commit, no lock
                    cursor.execute("INSERT INTO bench_unchained (details) VALUES (%s)", [json.dumps(details)])
                end = time.perf_counter()
                samples.append((end - t0, 0.0, 0.0))
            elif variant == "a":
                t0 = time.perf_counter()
                record_event(actor=actor, action="bench.write", details=details)
                end = time.perf_counter()
                samples.append((end - t0, state["wait"], end - state["granted"]))
            else:
                with transaction.atomic():
                    if variant == "c":
                        work()
                    t0 = time.perf_counter()
                    record_event(actor=actor, action="bench.write", details=details)
                    t1 = time.perf_counter()
                    if variant == "b":
                        work()
                end = time.perf_counter()  # committed
                samples.append((t1 - t0, state["wait"], end - state["granted"]))
    connection.close()
    out.send(samples)
    out.close()


def _pct(values, q):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run_writers(variant: str, writers: int, seconds: float, user_id: int) -> dict:
    from django.db import connections

    connections.close_all()  # never share the parent's socket with the children
    ctx = mp.get_context("fork")
    pipes, procs = [], []
    start_at = time.time() + 0.5 + 0.05 * writers
    for _ in range(writers):
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_writer, args=(variant, seconds, start_at, user_id, child))
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    samples = []
    for parent in pipes:
        samples += parent.recv()
    for proc in procs:
        proc.join()
    total = [s[0] * 1000 for s in samples]
    wait = [s[1] * 1000 for s in samples]
    held = [s[2] * 1000 for s in samples]
    return {
        "variant": variant,
        "writers": writers,
        "events": len(samples),
        "events_per_s": len(samples) / seconds,
        "p50_ms": _pct(total, 0.5),
        "p95_ms": _pct(total, 0.95),
        "wait_p50_ms": _pct(wait, 0.5),
        "wait_p95_ms": _pct(wait, 0.95),
        "held_mean_ms": statistics.fmean(held) if held else 0.0,
        "utilisation": sum(held) / 1000 / seconds,
    }


# --- 2. http --------------------------------------------------------------------------------------------


def nolock_app():
    """The WSGI application with the chain lock turned into a no-op (throwaway experiment only)."""
    from django.db.backends.signals import connection_created

    from config.wsgi import application  # sets Django up first

    chain_key = importlib.import_module("audit.services").CHAIN_LOCK_KEY  # only once Django is set up

    def skip_lock(execute, sql, params, many, context):
        if LOCK_SQL in sql and list(params or []) == [chain_key]:
            return execute("SELECT %s", params, many, context)
        return execute(sql, params, many, context)

    def install(sender, connection, **kwargs):
        connection.execute_wrappers.append(skip_lock)

    connection_created.connect(install, weak=False)
    return application


def _manage(env: dict, *args) -> str:
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def _server_env(url: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        DEBUG="0",
        SECRET_KEY="bench-only-" + "x" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        TRUSTED_PROXY_COUNT="1",
    )
    return env


async def _load(url: str, token: str, seconds: float, clients: int) -> dict:
    import aiohttp

    headers = {
        "Authorization": f"Token {token}",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "10.1.2.3",
        "Accept": "application/json",
    }
    latencies, statuses = [], {}
    deadline = time.perf_counter() + seconds

    async def client(session):
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            async with session.get(url, headers=headers) as response:
                await response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1
            latencies.append((time.perf_counter() - t0) * 1000)

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        wall = time.perf_counter() - t0
    return {
        "requests": len(latencies),
        "req_per_s": len(latencies) / wall,
        "p50_ms": _pct(latencies, 0.5),
        "p95_ms": _pct(latencies, 0.95),
        "statuses": statuses,
    }


def _sample_lock_waits(cfg: dict, stop: threading.Event, found: dict) -> None:
    """Every 5 ms: how many backends wait on an advisory lock (pg_stat_activity)."""
    import psycopg2

    conn = psycopg2.connect(dbname=cfg["NAME"], user=cfg.get("USER") or None, host=cfg.get("HOST") or None)
    conn.autocommit = True
    samples = waiting = 0
    with conn.cursor() as cur:
        while not stop.is_set():
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
                "AND wait_event = 'advisory'",
                [cfg["NAME"]],
            )
            waiting += cur.fetchone()[0]
            samples += 1
            time.sleep(0.005)
    conn.close()
    found.update(samples=samples, mean_waiting=waiting / samples if samples else 0.0)


def _wait_until_up(url: str, server, timeout: float = 90) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.returncode}): see {SERVER_LOG}")
        request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=2):  # noqa: S310 - our own server
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer in {timeout} s: see {SERVER_LOG}")


def run_http(cfg: dict, url: str, seconds: float, runs: int, users: list[str]) -> list[dict]:
    from django.db import connections

    from audit.models import AccessEvent

    env = dict(os.environ, DATABASE_URL=url, DEBUG="1")
    tokens = {user: _manage(env, "issue_token", user).strip().splitlines()[-1] for user in users}
    connections.close_all()
    port = 8765
    api = f"http://127.0.0.1:{port}/api/v1/interceptions/"
    results = []
    for run in range(runs):
        lock = run % 2 == 0  # lock, no lock, lock, ...
        app = "config.wsgi:application" if lock else "benchmarks.auditlock:nolock_app()"
        server = subprocess.Popen(  # noqa: S603 - our own gunicorn
            [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", "3"],
            cwd=ROOT,
            env=_server_env(url),
            stdout=subprocess.DEVNULL,
            stderr=open(SERVER_LOG, "ab"),  # noqa: SIM115 - closed with the process
        )
        try:
            _wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
            for user, token in tokens.items():
                asyncio.run(_load(api, token, 2, 16))  # warm-up
                before = AccessEvent.objects.count()
                stop, found = threading.Event(), {}
                sampler = threading.Thread(target=_sample_lock_waits, args=(cfg, stop, found))
                sampler.start()
                figures = asyncio.run(_load(api, token, seconds, 16))
                stop.set()
                sampler.join()
                figures.update(
                    run=run + 1,
                    user=user,
                    lock=lock,
                    events=AccessEvent.objects.count() - before,
                    waiting_on_lock=found["mean_waiting"],
                    load=os.getloadavg()[0],
                )
                connections.close_all()
                results.append(figures)
                print(json.dumps(figures), flush=True)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    return results


# --- report ---------------------------------------------------------------------------------------------

VARIANTS = {
    "n": "baseline: an unchained insert + commit, no lock (not record_event)",
    "a": "record_event alone (autocommit)",
    "b": "in a transaction, 5 ms of work after the event",
    "c": "in a transaction, 5 ms of work before the event",
}


def write_report(writer_rows: list[dict], http_rows: list[dict], verified: str) -> str:
    lines = [
        "# Audit chain lock under concurrency",
        "",
        f"`python -m benchmarks.auditlock` on {platform.node()} ({os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {os.getloadavg()[0]:.1f} at "
        "the end). The machine was shared with other "
        'jobs: figures are indicative. See docs/audit.md, "The chain lock under load".',
        "",
        "## Writers (own connection each, separate processes)",
        "",
        "held = lock granted → commit; utilisation = total time held ÷ wall time (1.0 = the lock is the "
        "limit).",
        "",
        "| variant | writers | events/s | p50 ms | p95 ms | lock wait p50 | lock wait p95 | held mean ms "
        "| utilisation |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in writer_rows:
        lines.append(
            f"| {r['variant']}: {VARIANTS[r['variant']]} | {r['writers']} | {r['events_per_s']:.0f} "
            f"| {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['wait_p50_ms']:.2f} | {r['wait_p95_ms']:.2f} "
            f"| {r['held_mean_ms']:.2f} | {r['utilisation']:.2f} |"
        )
    lines += ["", f"audit_verify afterwards: `{verified}`", ""]
    if http_rows:
        lines += [
            "## HTTP: API list, gunicorn 3 workers, 16 concurrent clients",
            "",
            "`/api/v1/interceptions/` as seed_demo's monitor (one station) and country director (every "
            "station), first page (50 rows), production settings "
            "(DEBUG=0, X-Forwarded-Proto: https). Each request writes one `interception.list` event. "
            '"waiting" is the mean number of backends waiting on the advisory lock (pg_stat_activity, '
            "sampled every 5 ms).",
            "",
            "| run | user | lock | requests | req/s | p50 ms | p95 ms | events | waiting on lock | load |",
            "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in http_rows:
            lines.append(
                f"| {r['run']} | {r['user']} | {'yes' if r['lock'] else 'no (throwaway)'} | {r['requests']} "
                f"| {r['req_per_s']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['events']} "
                f"| {r['waiting_on_lock']:.3f} | {r['load']:.1f} |"
            )
        lines += ["", "Mean req/s over the runs:", ""]
        for user in dict.fromkeys(r["user"] for r in http_rows):
            with_lock = [r["req_per_s"] for r in http_rows if r["user"] == user and r["lock"]]
            without = [r["req_per_s"] for r in http_rows if r["user"] == user and not r["lock"]]
            if with_lock and without:
                a, b = statistics.fmean(with_lock), statistics.fmean(without)
                lines.append(f"- {user}: {a:.1f} with the lock, {b:.1f} without ({a / b:.2f}×)")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="Per writer scenario (5).")
    parser.add_argument("--writers", default="1,4,8,16")
    parser.add_argument("--variants", default="n,a,b,c")
    parser.add_argument("--http-seconds", type=float, default=10.0)
    parser.add_argument("--interceptions", type=int, default=300, help="seed_demo size for the HTTP run.")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-writers", action="store_true")
    parser.add_argument("--http-runs", type=int, default=6, help="Alternating lock / no lock (6).")
    parser.add_argument("--http-users", default="monitor,director", help="seed_demo users to list as.")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args()

    os.environ.setdefault("BENCH_DATABASE_URL", DEFAULT_URL)
    from benchmarks import db

    cfg = db.configure()
    url = os.environ["BENCH_DATABASE_URL"]
    db.ensure(cfg, drop=True)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        from accounts.models import User

        # The demo data first (seed_demo refuses a database holding users it did not create).
        _manage(
            dict(os.environ, DATABASE_URL=url, DEBUG="1"),
            "seed_demo",
            "--interceptions",
            str(args.interceptions),
        )
        user = User.objects.get(username="monitor")
        with connections["default"].cursor() as cursor:
            cursor.execute("CREATE TABLE bench_unchained (id bigserial PRIMARY KEY, details jsonb NOT NULL)")
        writer_rows = []
        for variant in [] if args.skip_writers else args.variants.split(","):
            for n in (int(x) for x in args.writers.split(",")):
                row = run_writers(variant, n, args.seconds, user.pk)
                writer_rows.append(row)
                print(json.dumps(row), flush=True)
        verified = subprocess.run(
            [sys.executable, "manage.py", "audit_verify"],
            cwd=ROOT,
            env=dict(os.environ, DATABASE_URL=url, DEBUG="1"),
            capture_output=True,
            text=True,
        )
        verified_line = (verified.stdout or verified.stderr).strip().splitlines()[0]
        print(verified_line, flush=True)
        http_rows = (
            []
            if args.skip_http
            else run_http(cfg, url, args.http_seconds, args.http_runs, args.http_users.split(","))
        )
        report = write_report(writer_rows, http_rows, verified_line)
        RESULTS_MD.write_text(report + "\n", encoding="utf-8")
        print(report)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin = db._admin(cfg)
            try:
                with admin.cursor() as cur:
                    cur.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}" WITH (FORCE)')
            finally:
                admin.close()


if __name__ == "__main__":
    main()
