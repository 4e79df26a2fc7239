"""The benchmark's own database: chosen before Django starts, created (or dropped) from the `postgres` db."""

import os

import environ
import psycopg2
from psycopg2 import sql

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/interception_bench"


def url_for(suffix: str = "") -> str:
    """The benchmark database's URL (BENCH_DATABASE_URL or the default); a data set other than the default
    one lives in a database of its own, named with `_<suffix>` appended (`interception_bench_1m`)."""
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if suffix:
        base, _, query = url.partition("?")
        url = f"{base}_{suffix}" + (f"?{query}" if query else "")
    return url


def configure(suffix: str = "") -> dict:
    """Point Django at the benchmark database (never the app's own) and return its connection settings."""
    url = url_for(suffix)
    os.environ["DATABASE_URL"] = url  # the Makefile exports the app's DATABASE_URL: override it
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")  # development settings: no SECRET_KEY needed
    return environ.Env.db_url_config(url)


def _admin(cfg: dict):
    conn = psycopg2.connect(
        dbname="postgres",
        user=cfg.get("USER") or None,
        password=cfg.get("PASSWORD") or None,
        host=cfg.get("HOST") or None,
        port=cfg.get("PORT") or None,
    )
    conn.autocommit = True
    return conn


def ensure(cfg: dict, *, drop: bool = False) -> bool:
    """Create the database if it is missing (dropping it first when `drop`); True when it was created."""
    name = cfg["NAME"]
    conn = _admin(cfg)
    try:
        with conn.cursor() as cur:
            if drop:
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone():
                return False
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        conn.close()


def size(cfg: dict) -> str:
    conn = _admin(cfg)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_size_pretty(pg_database_size(%s))", [cfg["NAME"]])
            return cur.fetchone()[0]
    finally:
        conn.close()
