"""Page weight of the interception form and login time with the password hasher in use.

    python -m benchmarks.pageweight [--logins N]

Page weight: the form's first load (its HTML, every stylesheet and script it links, as transferred) and a
repeat visit (the HTML, plus any static file that may not be cached). The fonts (loaded by the CSS only
for Devanagari text) and images are not counted. Static files are collected into a temporary directory with
the production storage (hashed names, gzip copies) and served by WhiteNoise with DEBUG off, in-process
through Django's test client, so the figure is what WhiteNoise sends. Django's HTML is not compressed by
the app; the Caddy front (`deploy/Caddyfile`: `encode zstd gzip`) gzips it, so an uncompressed body counts
at its gzip size (level 6). Budgets: first load <= 80 KB, repeat visit <= 20 KB (1 KB = 1,024 bytes).

Login time: a few password logins (the login form's POST, up to the redirect to the second step), p50,
and the password check alone, with the hasher the settings put first.

Uses the benchmark database of `benchmarks.run` (created and migrated when missing) and writes
benchmarks/pageweight-results.json and benchmarks/PAGEWEIGHT.md. Takes about 10 s.
"""

import argparse
import gzip
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS_JSON = HERE / "pageweight-results.json"
RESULTS_MD = HERE / "PAGEWEIGHT.md"
KB = 1024
FIRST_LOAD_BUDGET = 80 * KB
REPEAT_BUDGET = 20 * KB
ONE_YEAR = 365 * 24 * 3600
ACCEPT_ENCODING = "br, gzip"

# fetch(path) -> (status, headers with lower-case names, body bytes as sent)
Fetch = Callable[[str], tuple[int, dict[str, str], bytes]]


class _Links(HTMLParser):
    """The stylesheets and scripts a page loads (not icons, images or fonts)."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.urls.append(("js", a["src"]))
        elif tag == "link" and a.get("href"):
            rel = (a.get("rel") or "").lower().split()
            if "stylesheet" in rel:
                self.urls.append(("css", a["href"]))
            elif {"preload", "modulepreload"} & set(rel) and a.get("as") in ("script", "style"):
                self.urls.append(("js" if a["as"] == "script" else "css", a["href"]))


def linked_assets(html: str) -> list[tuple[str, str]]:
    """(kind, url) of each stylesheet and script in `html`, in order, each once."""
    parser = _Links()
    parser.feed(html)
    seen, out = set(), []
    for kind, url in parser.urls:
        if url not in seen:
            seen.add(url)
            out.append((kind, url))
    return out


def transferred(headers: dict[str, str], body: bytes) -> tuple[int, str]:
    """Bytes on the wire for a body (headers not counted) and its encoding: as sent when the server encoded
    it, else its gzip size (what the front proxy sends for text)."""
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding and encoding != "identity":
        return len(body), encoding
    return len(gzip.compress(body, compresslevel=6, mtime=0)), "gzip (proxy)"


def cacheable(headers: dict[str, str]) -> bool:
    """Cached by the browser for the repeat visit: a far-future max-age (a year or more) or immutable."""
    cc = [d.strip().lower() for d in headers.get("cache-control", "").split(",")]
    if "no-store" in cc or "no-cache" in cc:
        return False
    if "immutable" in cc:
        return True
    for d in cc:
        if d.startswith("max-age="):
            try:
                return int(d.split("=", 1)[1]) >= ONE_YEAR
            except ValueError:
                return False
    return False


@dataclass
class Asset:
    kind: str
    url: str
    status: int
    raw_bytes: int
    transferred_bytes: int
    encoding: str
    cached: bool


@dataclass
class PageWeight:
    path: str
    status: int
    html_raw_bytes: int
    html_transferred_bytes: int
    html_encoding: str
    assets: list[Asset] = field(default_factory=list)

    @property
    def first_load(self) -> int:
        return self.html_transferred_bytes + sum(a.transferred_bytes for a in self.assets)

    @property
    def repeat_visit(self) -> int:
        return self.html_transferred_bytes + sum(a.transferred_bytes for a in self.assets if not a.cached)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["first_load_bytes"] = self.first_load
        d["repeat_visit_bytes"] = self.repeat_visit
        return d


def measure(fetch: Fetch, path: str) -> PageWeight:
    """Load `path` and everything it links (stylesheets, scripts) through `fetch`, and weigh it."""
    status, headers, body = fetch(path)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    html_bytes, html_encoding = transferred(headers, body)
    raw = body
    if headers.get("content-encoding", "").lower() == "gzip":
        raw = gzip.decompress(body)
    page = PageWeight(path, status, len(raw), html_bytes, html_encoding)
    for kind, url in linked_assets(raw.decode("utf-8", "replace")):
        a_status, a_headers, a_body = fetch(url)
        if a_status != 200:
            raise RuntimeError(f"{url} (linked from {path}) answered {a_status}")
        size, encoding = transferred(a_headers, a_body)
        raw_len = len(gzip.decompress(a_body) if encoding == "gzip" else a_body)
        page.assets.append(Asset(kind, url, a_status, raw_len, size, encoding, cacheable(a_headers)))
    return page


def client_fetch(client) -> Fetch:
    """A `Fetch` through Django's test client (the app's middleware, WhiteNoise included)."""

    def fetch(path: str):
        response = client.get(path, HTTP_ACCEPT_ENCODING=ACCEPT_ENCODING)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if hasattr(response, "close"):
            response.close()
        return response.status_code, {k.lower(): v for k, v in response.items()}, body

    return fetch


# --- the benchmark -----------------------------------------------------------------------------------


def _environment(static_root: str) -> None:
    """Production settings (DEBUG off, hashed and compressed static files), the benchmark database."""
    from . import db

    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-for-production-8d2b")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS"):
        os.environ[name] = "0"
    os.environ["STATIC_ROOT"] = static_root
    os.environ.pop("STATICFILES_BACKEND", None)  # the production default: hashed names + gzip copies
    cfg = db.configure()
    return cfg


def _users():
    """A monitor at one station, with an authenticator (the form needs a session past the second step)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Country, Membership, Station, User

    station = Station.objects.order_by("code").first()
    if station is None:  # run alone on an empty database (`benchmarks.run` builds the real data set)
        country, _ = Country.objects.get_or_create(code="NP", defaults={"name": "Nepal"})
        station = Station.objects.create(code="PW1", name="Page weight", country=country)
    user, _ = User.objects.get_or_create(username="bench_pageweight")
    Membership.objects.get_or_create(user=user, role="monitor", station=station)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    return user, device


def _logged_in_client(user, device):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _login_times(user, runs: int) -> dict:
    from django.contrib.auth.hashers import check_password, get_hasher
    from django.test import Client
    from django.urls import reverse

    password = "bench-Pageweight-2026!"  # noqa: S105 - a benchmark user in the benchmark database
    user.set_password(password)  # hashed with the hasher in use now
    user.save(update_fields=["password"])
    encoded = user.password
    hashing = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        assert check_password(password, encoded)
        hashing.append((time.perf_counter() - started) * 1000)
    logins = []
    for _ in range(runs + 1):
        client = Client()
        started = time.perf_counter()
        response = client.post(reverse("login"), {"username": user.username, "password": password})
        logins.append((time.perf_counter() - started) * 1000)
        if response.status_code != 302:
            raise RuntimeError(f"the benchmark login failed ({response.status_code})")
    hashing, logins = hashing[1:], logins[1:]  # the first of each warms up
    return {
        "hasher": get_hasher().algorithm,
        "runs": runs,
        "login_p50_ms": round(statistics.median(logins), 1),
        "login_max_ms": round(max(logins), 1),
        "password_check_p50_ms": round(statistics.median(hashing), 1),
    }


def _write(results: dict) -> None:
    RESULTS_JSON.write_text(json.dumps(results, indent=2) + "\n")
    w, login = results["page_weight"], results["login"]
    lines = [
        "# Benchmark: page weight of the interception form, login time",
        "",
        f"{results['timestamp']}; {results['machine']['cpus']} CPUs; Django {results['machine']['django']}; "
        "static files collected with the production storage and served by WhiteNoise (DEBUG off); "
        "bytes as transferred (gzip), headers not counted, fonts and images not counted; 1 KB = 1,024 bytes.",
        "",
        "| load | KB | budget KB | within |",
        "|---|--:|--:|---|",
        f"| first load (HTML + CSS + JS) | {w['first_load_bytes'] / KB:.1f} | {FIRST_LOAD_BUDGET // KB} | "
        f"{'yes' if w['first_load_bytes'] <= FIRST_LOAD_BUDGET else '**no**'} |",
        f"| repeat visit (HTML, static cached) | {w['repeat_visit_bytes'] / KB:.1f} | "
        f"{REPEAT_BUDGET // KB} | "
        f"{'yes' if w['repeat_visit_bytes'] <= REPEAT_BUDGET else '**no**'} |",
        "",
        "| file | raw bytes | transferred bytes | encoding | cached on repeat |",
        "|---|--:|--:|---|---|",
        f"| {w['path']} (HTML) | {w['html_raw_bytes']:,} | {w['html_transferred_bytes']:,} | "
        f"{w['html_encoding']} | no (no-store) |",
    ]
    for a in w["assets"]:
        lines.append(
            f"| {a['url']} | {a['raw_bytes']:,} | {a['transferred_bytes']:,} | {a['encoding']} | "
            f"{'yes' if a['cached'] else 'no'} |"
        )
    lines += [
        "",
        f"Login with the `{login['hasher']}` hasher: p50 {login['login_p50_ms']} ms per login "
        f"(max {login['login_max_ms']} ms, {login['runs']} logins: the login form's POST up to the "
        f"redirect to the second step); the password check alone: p50 {login['password_check_p50_ms']} ms.",
        "",
    ]
    RESULTS_MD.write_text("\n".join(lines))
    print("\n".join(lines))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.pageweight", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--logins", type=int, default=5, help="timed logins (default 5)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a page-weight budget is exceeded")
    args = parser.parse_args(argv)
    if args.logins < 1:
        parser.error("--logins must be at least 1")

    from . import db

    with tempfile.TemporaryDirectory(prefix="pageweight-static-") as static_root:
        cfg = _environment(static_root)
        if "bench" not in cfg["NAME"]:
            parser.error(f"refusing to use database {cfg['NAME']!r}: its name must contain 'bench'")
        created = db.ensure(cfg)

        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.urls import reverse

        if created:
            call_command("migrate", verbosity=0, interactive=False)
        started = time.perf_counter()
        call_command("collectstatic", verbosity=0, interactive=False)
        collect_seconds = time.perf_counter() - started

        user, device = _users()
        page = measure(client_fetch(_logged_in_client(user, device)), reverse("interception:create"))
        login = _login_times(user, args.logins)

        import django as dj

        results = {
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "python": sys.version.split()[0],
                "django": dj.get_version(),
                "static_storage": settings.STORAGES["staticfiles"]["BACKEND"],
                "collectstatic_seconds": round(collect_seconds, 1),
            },
            "budgets": {"first_load_bytes": FIRST_LOAD_BUDGET, "repeat_visit_bytes": REPEAT_BUDGET},
            "page_weight": page.as_dict(),
            "login": login,
        }
    _write(results)
    over = page.first_load > FIRST_LOAD_BUDGET or page.repeat_visit > REPEAT_BUDGET
    if over:
        print("A page-weight budget is exceeded.")
    return 1 if (over and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
