"""Tasks run through a real Celery worker on the real Redis broker."""

import json
from datetime import timedelta

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.celery import app
from interception.models import DailyTally, Interception

from .factories import make_interception, person, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def queued(client) -> list[str]:
    """The names of the tasks waiting on the broker."""
    return sorted(json.loads(m)["headers"]["task"] for m in client.lrange("celery", 0, -1))


@pytest.fixture
def worker():
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as w:
        yield w


def test_submitting_recomputes_the_daily_tally_in_a_worker(worker, monitor, bhw):
    # Yesterday at noon, station time: the second record, 5 minutes later, falls on the same local day
    # whatever the hour the test runs at.
    noon = timezone.now().astimezone(bhw.tzinfo).replace(hour=12, minute=0, second=0, microsecond=0)
    interception = make_interception(
        monitor,
        bhw,
        people=[person("Sita"), person("Gita"), person("Ram", role="suspect")],
        occurred_at=noon - timedelta(days=1),
    )
    assert wait_for(lambda: DailyTally.objects.filter(station=bhw, day=interception.occurred_on).exists())
    tally = DailyTally.objects.get(station=bhw, day=interception.occurred_on)
    assert (tally.submitted, tally.potential_victims) == (1, 2)
    make_interception(monitor, bhw, occurred_at=interception.occurred_at + timedelta(minutes=5))
    assert wait_for(lambda: DailyTally.objects.get(pk=tally.pk).submitted == 2)


def test_a_rolled_back_interception_queues_nothing(monitor, bhw):
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_interception(monitor, bhw)
        raise RuntimeError("rolled back")
    assert not Interception.objects.exists()
    assert client.llen("celery") == 0
    make_interception(monitor, bhw)
    # the daily tally, and the match suggestions for its one person (issue 10)
    assert queued(client) == ["interception.tasks.recompute_daily_tally", "people.suggest_matches"]


def test_drafts_do_not_queue_a_tally(monitor, bhw):
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    make_interception(monitor, bhw, submit=False)
    assert "interception.tasks.recompute_daily_tally" not in queued(client)


def test_healthz_reports_worker_database_and_redis(client, worker):
    # A worker that has just started answers pings once its control channel is up: allow it a moment.
    responses = []
    assert wait_for(lambda: responses.append(client.get("/healthz")) or responses[-1].status_code == 200)
    response = responses[-1]
    data = response.json()
    assert data["status"] == "ok"
    assert data["checks"]["database"]["ok"] and data["checks"]["redis"]["ok"]
    assert data["checks"]["celery"]["workers"] >= 1


def test_healthz_is_503_without_a_worker(client, settings):
    settings.HEALTHZ_CELERY_TIMEOUT = 0.3
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["celery"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True


def test_healthz_is_503_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["ok"] is False
