"""The interception lists over real HTTP: gunicorn (3 workers, production settings) at 100k and at 1M.

    python -m benchmarks.http [--sizes 100k,1m] [--quick] [--clients N] [--rounds N] [--seconds S]

For each data set (benchmarks.run builds it once; see docs/benchmarks.md) a gunicorn with the production
settings serves its database on a port of its own. A small asyncio client (aiohttp) sends every scenario to
every server, alternating servers within each round, with N concurrent clients (`X-Forwarded-Proto: https`
as from the proxy; a knox token for the API, a session cookie that has passed MFA for the HTML pages).
Each response's `Server-Timing` header (core.timing, on with SERVER_TIMING=1) gives the time spent in the
Django process. Then a throughput run: the monitor's API list, 16 clients. Writes benchmarks/HTTP.md and
benchmarks/http-results.json.
"""

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import db
from .sizes import SIZES

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECRET_KEY = "benchmark-only-secret-key-not-for-production-http-5f1c"
REDIS = "redis://127.0.0.1:6379/6"
PORTS = {"100k": 8761, "1m": 8762}
WORKERS = 3
ALL_STATIONS = "bench_all"  # country director of both countries: every station (the baseline)
SEARCH = "00123"  # a fragment of record numbers (`...-2025-00123`), as typed in the list's search box
IDEMPOTENCY_PREFIX = "bench-http-"

# Scopes: the users of benchmarks.dataset, and the all-stations user this module adds.
SCOPES = [
    ("monitor", "bench_monitor", "monitor, 1 station"),
    ("manager", "bench_manager", "station manager + 200 shared records"),
    ("director", "bench_director", "country director, 75% of stations"),
    ("all", ALL_STATIONS, "all stations (baseline)"),
]
PAGES = [
    ("api list", "API list, first page (50)"),
    ("html list", "HTML list, first page (25)"),
    ("number search", f"HTML list, number contains {SEARCH!r}"),
    ("html deep", "HTML list, page at the count cap (or the last)"),
    ("api deep", "API list, a cursor ~50,000 rows deep (or the last page)"),
    ("create", "API create (POST, new Idempotency-Key)"),
]
FIRST_PAGES = ("api list", "html list")
DEEP_PAGES = ("html deep", "api deep", "number search")
GOALS = {"first_page_ms": 20, "first_page_size_ratio": 1.2, "deep_ms": 50, "scope_ratio": 1.5, "rps": 100}


# --- in a Django process of its own, one per data set ---------------------------------------------------


def setup(size: str) -> dict:
    """Users, tokens, sessions, deep cursors and pages for one data set (run with the server's settings)."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice
    from knox.models import AuthToken

    from accounts.access import stations_for
    from accounts.models import Country, Membership, User
    from accounts.policies import mfa_required
    from accounts.roles import Action, Role
    from core.keyset import encode
    from core.pagination import count_cap
    from interception.selectors import interception_scope
    from interception.views import PAGE_SIZE

    from . import dataset

    cleanup_records()
    user, _ = User.objects.get_or_create(username=ALL_STATIONS)
    for country in Country.objects.all():
        Membership.objects.get_or_create(user=user, role=Role.COUNTRY_DIRECTOR, country=country)
    api_page = settings.REST_FRAMEWORK["PAGE_SIZE"]
    out = {"users": {}, "session_cookie": settings.SESSION_COOKIE_NAME, "data_set": dataset_meta(dataset)}
    for scope, username, _label in SCOPES:
        user = User.objects.get(username=username)
        # MFA: every role that can see sensitive fields needs the second step (accounts.policies). A session
        # counts as verified when it names a confirmed device of the user, as after the real login flow.
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name="bench-http", defaults={"confirmed": True}
        )
        AuthToken.objects.filter(user=user).delete()
        _, token = AuthToken.objects.create(user=user)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.create()
        rows = interception_scope(user).count()
        deep_rows = min(rows, count_cap())
        ordered = interception_scope(user).order_by("-occurred_at", "-id").values_list("occurred_at", "id")
        depth = max(0, min(1000 * api_page - 1, rows - api_page - 1))
        add = stations_for(user, "interception", Action.ADD).order_by("code").values_list("code", flat=True)
        out["users"][scope] = {
            "username": username,
            "token": token,
            "session": session.session_key,
            "mfa_required": mfa_required(user),
            "rows": rows,
            "html_deep_page": max(1, -(-deep_rows // PAGE_SIZE)),
            "api_cursor": encode(tuple(ordered[depth])) if rows else None,
            "api_cursor_depth": depth + 1,
            "add_station": add.first(),
        }
    return out


def dataset_meta(dataset) -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT built_at, seconds FROM {dataset.META_TABLE} ORDER BY built_at DESC LIMIT 1")  # noqa: S608
        built_at, seconds = cur.fetchone()
    return {"built_at": built_at.isoformat(), "build_seconds": seconds, **dataset.row_counts()}


def cleanup_records() -> int:
    """Delete what the create scenario made (and the people on it), so the data set keeps its size."""
    from django.db import transaction

    from interception.models import Interceptee, Interception
    from people.models import Person

    with transaction.atomic():
        made = Interception.objects.filter(idempotency_key__startswith=IDEMPOTENCY_PREFIX)
        people = list(Interceptee.objects.filter(interception__in=made).values_list("person_id", flat=True))
        n, _ = made.delete()
        Person.objects.filter(pk__in=people).delete()
    return n


def child(mode: str, size: str) -> None:
    import django

    django.setup()
    result = setup(size) if mode == "setup" else {"deleted": cleanup_records()}
    print("RESULT " + json.dumps(result, default=str))


# --- the servers -----------------------------------------------------------------------------------------


def server_env(size: str, static_root: str) -> dict:
    env = dict(os.environ)
    for name in ("DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        env.pop(name, None)
    env.update(
        DATABASE_URL=db.url_for("" if size == "100k" else size),
        DEBUG="0",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        TRUSTED_PROXY_COUNT="1",
        SERVER_TIMING="1",
        STATIC_ROOT=static_root,
        REDIS_URL=REDIS,
        CELERY_BROKER_URL=REDIS,
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    env.pop("STATICFILES_BACKEND", None)
    return env


def run_child(mode: str, size: str, env: dict) -> dict:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "benchmarks.http", f"--{mode}", size],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if done.returncode or line is None:
        raise RuntimeError(f"{mode} {size} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(line[len("RESULT ") :])


def build(size: str) -> None:
    """The data set, built once (benchmarks.run --build-only also applies new migrations)."""
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "benchmarks.run", "--size", size, "--build-only"], cwd=ROOT, check=True
    )


def start_server(size: str, env: dict) -> subprocess.Popen:
    port = PORTS[size]
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", str(WORKERS), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(Path(tempfile.gettempdir()) / f"bench-http-{size}.log", "w"),  # noqa: SIM115
        start_new_session=True,
    )
    import urllib.error
    import urllib.request

    for _ in range(150):  # /healthz answers 503 without a Celery worker: any answer means it is up
        if server.poll() is not None:
            raise RuntimeError(
                f"gunicorn for {size} exited; see {tempfile.gettempdir()}/bench-http-{size}.log"
            )
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310
                return server
        except urllib.error.HTTPError:
            return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"gunicorn for {size} did not answer /healthz")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- the load generator ---------------------------------------------------------------------------------

TIMING = re.compile(r"app;dur=([\d.]+), db;dur=([\d.]+);desc=\"(\d+) queries\"")


class Scenario:
    def __init__(self, size: str, scope: str, page: str, user: dict, cookie: str):
        self.size, self.scope, self.page, self.user = size, scope, page, user
        base = f"http://127.0.0.1:{PORTS[size]}"
        self.headers = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "203.0.113.9",
            "Accept-Language": "en",
        }
        self.method, self.body = "GET", None
        if page.startswith("api") or page == "create":
            self.headers["Authorization"] = f"Token {user['token']}"
            self.headers["Accept"] = "application/json"
            self.url = f"{base}/api/v1/interceptions/"
            if page == "api deep":
                self.url += f"?cursor={user['api_cursor']}" if user["api_cursor"] else ""
            elif page == "create":
                self.method = "POST"
                self.headers["Content-Type"] = "application/json"
        else:
            self.headers["Cookie"] = f"{cookie}={user['session']}"
            self.url = f"{base}/interceptions/"
            if page == "number search":
                self.url += f"?number={SEARCH}"
            elif page == "html deep":
                self.url += f"?page={user['html_deep_page']}"
        self.latencies: list[float] = []  # ms, as the client sees it
        self.app: list[float] = []  # ms, Server-Timing app
        self.db: list[float] = []
        self.queries: list[int] = []
        self.errors: dict[int, int] = {}
        self.check: str | None = None  # what `verify` found the page to be, when it checks one
        self.seconds = 0.0
        self.bytes = 0

    @property
    def key(self) -> str:
        return f"{self.size} {self.scope} {self.page}"

    def payload(self) -> str:
        occurred = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0).isoformat()
        return json.dumps(
            {
                "station": self.user["add_station"],
                "occurred_at": occurred,
                "place": "Benchmark checkpoint",
                "certainty": 4,
                "reason": "Minor travelling without guardian; companion met online.",
                "status": "submitted",
                "interceptees": [
                    {"name": "Sita Bench", "gender": "female", "age": 16, "role": "potential_victim"}
                ],
            }
        )

    def stats(self) -> dict:
        def pct(values, q):
            if not values:
                return None
            if len(values) == 1:
                return round(values[0], 2)
            return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 2)

        n = len(self.latencies)
        return {
            "requests": n,
            "errors": self.errors,
            "p50_ms": pct(self.latencies, 50),
            "p95_ms": pct(self.latencies, 95),
            "req_per_s": round(n / self.seconds, 1) if self.seconds else None,
            "server_p50_ms": pct(self.app, 50),
            "server_p95_ms": pct(self.app, 95),
            "db_p50_ms": pct(self.db, 50),
            "queries": max(self.queries) if self.queries else None,
            "bytes": self.bytes // n if n else None,
            "check": self.check,
        }


async def burst(session, s: Scenario, clients: int, seconds: float, record: bool = True) -> None:
    """`clients` concurrent loops sending `s`'s request until `seconds` have passed."""
    ok = 201 if s.method == "POST" else 200
    deadline = time.perf_counter() + seconds

    async def loop():
        while time.perf_counter() < deadline:
            headers, data = s.headers, None
            if s.method == "POST":
                headers = {**s.headers, "Idempotency-Key": IDEMPOTENCY_PREFIX + uuid.uuid4().hex}
                data = s.payload()
            started = time.perf_counter()
            async with session.request(
                s.method, s.url, headers=headers, data=data, allow_redirects=False
            ) as r:
                body = await r.read()
                elapsed = (time.perf_counter() - started) * 1000
                timing = TIMING.search(r.headers.get("Server-Timing", ""))
            if not record:
                continue
            if r.status != ok:
                s.errors[r.status] = s.errors.get(r.status, 0) + 1
                if len(s.errors) == 1 and s.errors[r.status] == 1:
                    print(f"\n  {s.key}: HTTP {r.status} {body[:300]!r}", flush=True)
                continue
            s.latencies.append(elapsed)
            s.bytes += len(body)
            if timing:
                s.app.append(float(timing[1]))
                s.db.append(float(timing[2]))
                s.queries.append(int(timing[3]))

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(clients)))
    if record:
        s.seconds += time.perf_counter() - started


async def verify(session, scenarios) -> list[str]:
    """One request of each deep page first: a page number or cursor the app does not accept gives the first
    page, not an error, and would then be timed as a deep page. Returns the problems found."""
    problems, first_ids = [], {}
    for s in scenarios:
        if s.page not in ("api list", "api deep", "html deep"):
            continue
        async with session.get(s.url, headers=s.headers, allow_redirects=False) as r:
            body = await r.read()
        if r.status != 200:
            problems.append(f"{s.key}: HTTP {r.status}")
            continue
        if s.page == "html deep":
            n = s.user["html_deep_page"]
            found = re.search(rb"Page (\d+) of ([\d,]+\+?)", body)
            s.check = found[0].decode() if found else "no page number shown"
            if not found or int(found[1]) != n:
                problems.append(f"{s.key}: asked for page {n}, got {s.check!r}")
            continue
        rows = json.loads(body).get("results", [])
        ids = [row.get("id") for row in rows]
        if s.page == "api list":
            first_ids[(s.size, s.scope)] = ids
            continue
        s.check = f"{len(ids)} rows after row {s.user['api_cursor_depth']:,}"
        if ids and ids == first_ids.get((s.size, s.scope)):
            problems.append(f"{s.key}: the cursor gave the first page")
    return problems


async def measure(scenarios, *, clients: int, rounds: int, seconds: float, warmup: float, log) -> list:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as session:
        problems = await verify(session, sorted(scenarios, key=lambda s: s.page != "api list"))
        for problem in problems:
            print("  check: " + problem, flush=True)
        if warmup:
            for i, s in enumerate(scenarios):
                log(f"  warm-up {i + 1}/{len(scenarios)}")
                await burst(session, s, clients, warmup, record=False)
        # Round-robin: each round runs every scenario once, in the order of `scenarios`.
        for r in range(rounds):
            for i, s in enumerate(scenarios):
                log(f"  round {r + 1}/{rounds}: {i + 1}/{len(scenarios)} {s.key}" + " " * 20)
                await burst(session, s, clients, seconds)
    return problems


async def throughput(s: Scenario, *, clients: int, seconds: float) -> dict:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as session:
        await burst(session, s, clients, min(2.0, seconds / 3), record=False)
        await burst(session, s, clients, seconds)
    return {"clients": clients, "seconds": round(s.seconds, 1), **s.stats()}


# --- the run ---------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.http", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100k,1m", help="data sets, comma-separated (default 100k,1m)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 short round, short throughput")
    parser.add_argument(
        "--clients", type=int, default=2, help="concurrent clients per scenario (default 2: the cores)"
    )
    parser.add_argument("--rounds", type=int, help="timed rounds (default 3; --quick 1)")
    parser.add_argument("--seconds", type=float, help="seconds per scenario per round (default 2; quick 0.5)")
    parser.add_argument(
        "--throughput-seconds", type=float, help="throughput run length (default 10; quick 3)"
    )
    parser.add_argument("--setup", metavar="SIZE", help=argparse.SUPPRESS)
    parser.add_argument("--cleanup", metavar="SIZE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.setup or args.cleanup:
        child("setup" if args.setup else "cleanup", args.setup or args.cleanup)
        return 0
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES or s not in PORTS]
    if unknown or not sizes:
        parser.error(f"unknown size(s) {unknown}; choose from {', '.join(SIZES)}")
    rounds = args.rounds or (1 if args.quick else 3)
    seconds = args.seconds or (0.5 if args.quick else 2.0)
    warmup = 0.3 if args.quick else 0.5
    tp_seconds = args.throughput_seconds or (3.0 if args.quick else 10.0)
    started = time.perf_counter()
    load_before = os.getloadavg()

    for size in sizes:
        build(size)
    static_root = tempfile.mkdtemp(prefix="bench-http-static-")
    env0 = server_env(sizes[0], static_root)
    print("collectstatic (production storage) into", static_root, flush=True)
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env0, check=True
    )
    info, servers = {}, {}
    try:
        for size in sizes:
            env = server_env(size, static_root)
            info[size] = run_child("setup", size, env)
            servers[size] = start_server(size, env)
            print(f"gunicorn ({WORKERS} workers) for {size} on port {PORTS[size]}", flush=True)

        scenarios = []
        # Page by page; within a page the scopes, and within a scope the sizes, alternate: a scenario and
        # the ones it is compared with (the other size, the all-stations baseline) run close in time.
        for page, _ in PAGES:
            for scope, _, _ in SCOPES:
                for size in sizes:
                    user = info[size]["users"][scope]
                    if page == "create" and not user["add_station"]:
                        continue
                    scenarios.append(Scenario(size, scope, page, user, info[size]["session_cookie"]))
        print(
            f"{len(scenarios)} scenarios, {args.clients} clients each, {rounds} round(s) of {seconds:g}s "
            f"after a {warmup:g}s warm-up each",
            flush=True,
        )
        problems = asyncio.run(
            measure(
                scenarios,
                clients=args.clients,
                rounds=rounds,
                seconds=seconds,
                warmup=warmup,
                log=lambda m: print(m, end="\r", flush=True),
            )
        )
        print()
        tp = {}
        for size in sizes:
            print(f"throughput: monitor's API list, 16 clients, {tp_seconds:g}s, {size}", flush=True)
            s = Scenario(size, "monitor", "api list", info[size]["users"]["monitor"], "")
            tp[size] = asyncio.run(throughput(s, clients=16, seconds=tp_seconds))
    finally:
        for server in servers.values():
            stop_server(server)
        for size in info:
            run_child("cleanup", size, server_env(size, static_root))
        subprocess.run(["rm", "-rf", static_root], check=False)  # noqa: S603, S607

    results = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine() | {"load_average_1_5_15_min": {"start": load_before, "end": os.getloadavg()}},
        "commit": commit(),
        "settings": {
            "workers": WORKERS,
            "clients": args.clients,
            "rounds": rounds,
            "seconds_per_round": seconds,
            "warmup_seconds": warmup,
            "quick": args.quick,
            "throughput_seconds": tp_seconds,
        },
        "goals": GOALS,
        "data_sets": {size: info[size]["data_set"] for size in sizes},
        "users": {
            size: {
                k: {f: v for f, v in u.items() if f not in ("token", "session", "api_cursor")}
                for k, u in info[size]["users"].items()
            }
            for size in sizes
        },
        "scenarios": [
            {"size": s.size, "scope": s.scope, "page": s.page, "url": s.url.split(":", 2)[2].split("/", 1)[1]}
            | s.stats()
            for s in scenarios
        ],
        "throughput": tp,
        "problems": problems,
        "run_seconds": round(time.perf_counter() - started),
    }
    results["ratios"] = ratios(results)
    results["goals_met"] = goals(results, sizes)
    (HERE / "http-results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    table = markdown(results, sizes)
    (HERE / "HTTP.md").write_text(table)
    print(table)
    print(f"Run took {results['run_seconds']}s.")
    return 0


def _index(results) -> dict:
    return {(s["size"], s["scope"], s["page"]): s for s in results["scenarios"]}


def _ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def ratios(results) -> list[dict]:
    """1M ÷ 100k (same scope and page) and scoped ÷ all stations (same size and page), of the server p50
    and of the client p50."""
    idx, out = _index(results), []
    for (size, scope, page), s in idx.items():
        small = idx.get(("100k", scope, page))
        base = idx.get((size, "all", page))
        out.append(
            {
                "size": size,
                "scope": scope,
                "page": page,
                "server_size_ratio": _ratio(s["server_p50_ms"], small["server_p50_ms"])
                if small and size != "100k"
                else None,
                "client_size_ratio": _ratio(s["p50_ms"], small["p50_ms"])
                if small and size != "100k"
                else None,
                "server_scope_ratio": _ratio(s["server_p50_ms"], base["server_p50_ms"])
                if base and scope != "all"
                else None,
                "client_scope_ratio": _ratio(s["p50_ms"], base["p50_ms"])
                if base and scope != "all"
                else None,
            }
        )
    return out


def goals(results, sizes) -> list[dict]:
    big = "1m" if "1m" in sizes else sizes[-1]
    idx = _index(results)
    rat = {(r["size"], r["scope"], r["page"]): r for r in results["ratios"]}
    out = []

    def goal(name, target, found, met):
        out.append({"goal": name, "target": target, "found": found, "met": met})

    for page in FIRST_PAGES:
        vals = {sc: idx[(big, sc, page)]["server_p50_ms"] for sc, _, _ in SCOPES if (big, sc, page) in idx}
        worst = max((v for v in vals.values() if v is not None), default=None)
        goal(
            f"{page} at {big}: server p50 ≤ {GOALS['first_page_ms']} ms, every scope",
            GOALS["first_page_ms"],
            vals,
            worst is not None and worst <= GOALS["first_page_ms"],
        )
        if big != "100k" and "100k" in sizes:
            rs = {
                sc: rat[(big, sc, page)]["server_size_ratio"] for sc, _, _ in SCOPES if (big, sc, page) in rat
            }
            worst = max((v for v in rs.values() if v is not None), default=None)
            goal(
                f"{page}: server p50 {big} ÷ 100k ≤ {GOALS['first_page_size_ratio']}, every scope",
                GOALS["first_page_size_ratio"],
                rs,
                worst is not None and worst <= GOALS["first_page_size_ratio"],
            )
    tp = results["throughput"].get(big, {}).get("req_per_s")
    goal(
        f"monitor's API list at {big}, 16 clients: ≥ {GOALS['rps']} req/s", GOALS["rps"], tp, (tp or 0) >= 100
    )
    for page in DEEP_PAGES:
        vals = {sc: idx[(big, sc, page)]["server_p50_ms"] for sc, _, _ in SCOPES if (big, sc, page) in idx}
        worst = max((v for v in vals.values() if v is not None), default=None)
        goal(
            f"{page} at {big}: server p50 ≤ {GOALS['deep_ms']} ms, every scope",
            GOALS["deep_ms"],
            vals,
            worst is not None and worst <= GOALS["deep_ms"],
        )
    over = {
        f"{r['size']} {r['scope']} {r['page']}": r["server_scope_ratio"]
        for r in results["ratios"]
        if r["server_scope_ratio"] is not None and r["server_scope_ratio"] > GOALS["scope_ratio"]
    }
    goal(f"scoped ÷ all stations ≤ {GOALS['scope_ratio']} (server p50), every scenario", 1.5, over, not over)
    return out


def _f(v, digits=1) -> str:
    return "–" if v is None else f"{v:,.{digits}f}"


def markdown(r: dict, sizes) -> str:
    idx = _index(r)
    rat = {(x["size"], x["scope"], x["page"]): x for x in r["ratios"]}
    st, m = r["settings"], r["machine"]
    big = "1m" if "1m" in sizes else sizes[-1]
    lines = [
        "# HTTP benchmark: interception lists at " + " and ".join(sizes),
        "",
        f"{r['timestamp']}; commit {r['commit']}; {m['cpu_count']} CPUs (load average "
        f"{m['load_average_1_5_15_min']['start'][0]:.1f} at the start, "
        f"{m['load_average_1_5_15_min']['end'][0]:.1f} at the end); {m['postgresql']}; "
        f"gunicorn {st['workers']} workers, production settings (DEBUG off); {st['clients']} concurrent "
        f"clients per scenario; {st['rounds']} round(s) of {st['seconds_per_round']:g} s per scenario, "
        "scopes and sizes alternating" + (" (**quick run**: short, noisy)" if st["quick"] else "") + ".",
        "",
        "Data sets: "
        + "; ".join(
            f"{size}: {d['interceptions']:,} interceptions, {d['stations']} stations, "
            f"{d['persons']:,} people (built in {d['build_seconds']:.0f} s)"
            for size, d in r["data_sets"].items()
        )
        + ".",
        "",
        "p50 / p95: latency at the client (ms); req/s: completed requests per second of that scenario with "
        f"{st['clients']} clients; server: p50 of the Server-Timing `app` time, the request in the Django "
        "process (ms), and of its `db` part; q: queries. Ratios of the server p50: "
        + (f"size = {big} ÷ 100k, " if len(sizes) > 1 else "")
        + "scope = scoped ÷ all stations (nothing in the app is unscoped: the baseline is a "
        "user holding both countries).",
        "",
    ]
    for page, label in PAGES:
        lines += [f"## {label}", ""]
        head = "| scope |"
        sep = "|---|"
        for size in sizes:
            head += f" {size} p50 | p95 | req/s | server | db | q |"
            sep += "--:|--:|--:|--:|--:|--:|"
        if len(sizes) > 1:
            head += " size ratio |"
            sep += "--:|"
        head += " scope ratio |"
        sep += "--:|"
        lines += [head, sep]
        for scope, _, label2 in SCOPES:
            if not any((size, scope, page) in idx for size in sizes):
                continue
            row = f"| {label2} |"
            for size in sizes:
                s = idx.get((size, scope, page))
                if s is None:
                    row += " – |" * 6
                    continue
                err = f" ({sum(s['errors'].values())} errors)" if s["errors"] else ""
                row += (
                    f" {_f(s['p50_ms'])}{err} | {_f(s['p95_ms'])} | {_f(s['req_per_s'])} | "
                    f"**{_f(s['server_p50_ms'])}** | {_f(s['db_p50_ms'])} | {s['queries'] or '–'} |"
                )
            x = rat.get((big, scope, page), {})
            if len(sizes) > 1:
                row += f" {_f(x.get('server_size_ratio'), 2)} |"
            row += f" {_f(x.get('server_scope_ratio'), 2)} |"
            lines.append(row)
        lines.append("")
    lines += ["## Throughput: the monitor's API list, 16 concurrent clients", ""]
    lines += ["| size | req/s | p50 | p95 | server p50 | errors |", "|---|--:|--:|--:|--:|--:|"]
    for size, t in r["throughput"].items():
        lines.append(
            f"| {size} | **{_f(t['req_per_s'])}** | {_f(t['p50_ms'])} | {_f(t['p95_ms'])} | "
            f"{_f(t['server_p50_ms'])} | {sum(t['errors'].values())} |"
        )
    lines += ["", "## Checks", ""]
    lines += [f"- **{p}**" for p in r["problems"]] or [
        "Every deep page was the page asked for: "
        + "; ".join(
            f"{s['size']} {s['scope']} {s['page']}: {s['check']}" for s in r["scenarios"] if s["check"]
        )
        + "."
    ]
    lines += ["", "## Goals", "", "| goal | found | met |", "|---|---|---|"]
    for g in r["goals_met"]:
        found = g["found"]
        if isinstance(found, dict):
            found = ", ".join(f"{k}: {_f(v, 2)}" for k, v in found.items()) or "none above"
        else:
            found = _f(found)
        lines.append(f"| {g['goal']} | {found} | {'yes' if g['met'] else '**no**'} |")
    lines.append("")
    return "\n".join(lines)


def machine() -> dict:
    import psycopg2

    cfg = db.configure()
    conn = psycopg2.connect(dbname=cfg["NAME"], user=cfg.get("USER") or None, host=cfg.get("HOST") or None)
    with conn.cursor() as cur:
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
    conn.close()
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "postgresql": f"PostgreSQL {version}",
    }


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)  # noqa: S603, S607
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)  # noqa: S603, S607
    return done.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    sys.exit(main())
