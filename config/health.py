"""GET /healthz: the state of the database, Redis and the Celery workers, as JSON."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return {"ok": False, "error": exc.__class__.__name__}


def _redis() -> dict:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return {"ok": True}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": exc.__class__.__name__}


def _workers() -> dict:
    try:
        replies = app.control.ping(timeout=settings.HEALTHZ_CELERY_TIMEOUT)
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": exc.__class__.__name__, "workers": 0}
    count = len(replies or [])
    return {"ok": count > 0, "workers": count}


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database(), "redis": _redis()}
    checks["celery"] = _workers() if checks["redis"]["ok"] else {"ok": False, "workers": 0}
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if ok else "down", "checks": checks}, status=200 if ok else 503)
