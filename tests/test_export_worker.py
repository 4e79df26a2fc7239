"""Exports through real Celery workers on the real Redis broker, including a worker killed mid-export."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection

from config.celery import app
from exports import services
from exports.models import ExportJob

from .factories import make_interception, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parent.parent


def broker():
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def test_export_runs_in_a_worker(manager, bhw):
    for _ in range(5):
        make_interception(manager, bhw)
    broker().flushdb()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        job = services.export_request(
            actor=manager, kind="interceptions", fmt="csv", deidentified=False, filters={}
        )
        assert wait_for(lambda: ExportJob.objects.get(pk=job.pk).status == "done", timeout=20)
    job.refresh_from_db()
    assert job.row_count == 5 and job.progress == 100


def worker_process(log_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
        "CELERY_VISIBILITY_TIMEOUT": "2",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        "EXPORT_CHUNK_SIZE": "10",
        "EXPORT_PAUSE_PER_CHUNK": "0.25",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool",
        "solo",
        "--loglevel",
        "INFO",
        "--without-mingle",
        "--without-gossip",
    ]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=open(log_path, "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )


def test_a_worker_killed_mid_export_does_not_lose_it(manager, bhw, tmp_path):
    from alerts.models import Notification

    for _ in range(120):
        make_interception(manager, bhw)
    broker().flushdb()
    job = services.export_request(
        actor=manager, kind="interceptions", fmt="csv", deidentified=False, filters={}
    )
    log = tmp_path / "worker.log"
    first = worker_process(log)
    try:
        assert wait_for(lambda: ExportJob.objects.get(pk=job.pk).row_count >= 20, timeout=60), log.read_text()
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    job.refresh_from_db()
    assert job.status == "running" and 0 < job.progress < 100 and job.attempts == 1

    second = worker_process(log)
    try:
        assert wait_for(lambda: ExportJob.objects.get(pk=job.pk).status == "done", timeout=90), (
            log.read_text()
        )
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=20)
        except subprocess.TimeoutExpired:
            second.kill()
    job.refresh_from_db()
    assert job.row_count == 120 and job.attempts == 2
    with job.file.open("rb") as handle:
        lines = handle.read().decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + 120
    notes = list(Notification.objects.values_list("recipient__username", "subject_key"))
    assert notes.count((manager.username, f"export:{job.pk}")) == 1, notes
