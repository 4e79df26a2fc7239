"""The transactional outbox (core.outbox) and the domain-event hub (core.events).

The first test drives the real path: a private redis-server as the broker, killed and started again, a real
login with CSRF, the interception form and the API, the relay command and a real Celery worker."""

import re
import shutil
import socket
import subprocess
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from kombu import pools as kombu_pools

from accounts.roles import Role
from alerts.models import Notification, Rule
from config.celery import app
from core import events, outbox
from core.models import OutboxMessage
from interception.models import DailyTally, Interception

from .factories import csrf_from, interception_form, make_interception, member, person, sign_in, wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_pause():
    """A failed send makes this process leave sending to the relay for a few seconds; not across tests."""
    outbox._paused_until = 0.0
    yield
    outbox._paused_until = 0.0


# --- a broker of our own, to stop and start ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """A private redis-server without persistence: killing it is a real broker outage."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        assert wait_for(lambda: self._answers(client), timeout=10), "redis-server did not start"

    @staticmethod
    def _answers(client) -> bool:
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=10)

    def queued(self) -> int:
        return redis.Redis.from_url(self.url).llen("celery")


def point_celery_at(url: str, settings, monkeypatch) -> None:
    """Celery's broker for this test (the CELERY_BROKER_URL environment variable wins over its conf)."""
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.setattr(app.conf, "broker_url", url)
    settings.CELERY_BROKER_URL = url
    reset_pools()


def reset_pools() -> None:
    """Forget Celery's pooled connections: they are bound to the broker URL they were made for."""
    # Celery's pools come from kombu's process-wide registries (one pool per broker URL): close and forget
    # them all, or a later use of the same URL gets the closed pool back ("Acquire on closed pool").
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    # The control mailbox (pings, as /healthz sends) caches the producer pool it first used.
    app.control.mailbox.__dict__.pop("producer_pool", None)


@pytest.fixture
def broker(settings, monkeypatch):
    broker = Broker()
    broker.start()
    point_celery_at(broker.url, settings, monkeypatch)
    yield broker
    monkeypatch.undo()
    reset_pools()
    if broker.process.poll() is None:
        broker.kill()


@contextmanager
def worker():
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as w:
        yield w


# --- a real sign-in, the real form ----------------------------------------------------------------------


def post_form(client, station, minutes_ago: int):
    """Open the interception form and submit it as the monitor would (its CSRF token and idempotency key)."""
    html = client.get(reverse("interception:create")).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)
    when = timezone.now().astimezone(station.tzinfo) - timedelta(minutes=minutes_ago)
    data = interception_form(
        station,
        when=when,
        csrfmiddlewaretoken=csrf_from(html),
        idempotency_key=key,
        certainty="5",
        reason="Girl travelling with a man she met online; no job contract.",
        outcome="shelter",
        submit="1",
    )
    return client.post(reverse("interception:create"), data)


def tallied(station, interceptions) -> bool:
    """Whether each local day of these interceptions has its daily tally, counting them all."""
    days = Counter(i.occurred_on for i in interceptions)
    return all(
        DailyTally.objects.filter(station=station, day=day, submitted=count).exists()
        for day, count in days.items()
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_broker_outage_loses_no_alert_or_tally_and_fails_no_save(broker, bhw, catalogue, api):
    monitor = member(Role.MONITOR, station=bhw, username="mon_outage")
    manager = member(Role.STATION_MANAGER, station=bhw, username="mgr_outage")
    client = sign_in(monitor)

    # The broker is up: the work is sent right after the commit and a worker does it.
    with worker():
        assert post_form(client, bhw, minutes_ago=90).status_code == 302
        first = Interception.objects.get()
        assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
        assert wait_for(lambda: Notification.objects.filter(recipient=manager, rule=Rule.HIGH_RISK).exists())
        assert wait_for(lambda: tallied(bhw, [first]))

    # The broker goes down. Saves still succeed (quickly); their work waits in the outbox.
    broker.kill()
    started = time.monotonic()
    response = post_form(client, bhw, minutes_ago=60)
    assert response.status_code == 302, response.content.decode()[:300]
    api_response = api(monitor).post(
        "/api/v1/interceptions/",
        {
            "station": "BHW",
            "occurred_at": (timezone.now() - timedelta(minutes=30)).isoformat(),
            "place": "Bus park",
            "certainty": 4,
            "reason": "Two minors with an agent and no documents.",
            "status": "submitted",
            "interceptees": [{"name": "Gita", "gender": "female", "age": 15, "role": "potential_victim"}],
        },
        format="json",
    )
    assert api_response.status_code == 201, api_response.content
    assert time.monotonic() - started < 20  # a dead broker costs a moment, not a hang
    second, third = Interception.objects.exclude(pk=first.pk).order_by("pk")
    pending = OutboxMessage.objects.filter(sent_at__isnull=True)
    waiting = sorted(pending.values_list("task", flat=True))
    assert [t for t in waiting if t != "people.suggest_matches"] == sorted(
        ["alerts.tasks.evaluate_interception", "interception.tasks.recompute_daily_tally"] * 2
    )
    assert "people.suggest_matches" in waiting  # the new people's match suggestions wait too
    assert pending.exclude(last_error="").exists()  # tried once; then the process left it to the relay
    assert not Notification.objects.filter(
        subject_key__in=[f"interception:{second.pk}", f"interception:{third.pk}"]
    )

    # The broker is back (empty: it kept nothing). The relay sends what waited; a worker does the work.
    broker.start()
    call_command("outbox_relay", "--once")
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert broker.queued() == len(waiting)
    with worker():
        assert wait_for(
            lambda: (
                Notification.objects.filter(
                    recipient=manager, rule=Rule.HIGH_RISK, subject_key=f"interception:{second.pk}"
                ).exists()
                and Notification.objects.filter(
                    recipient=manager, subject_key=f"interception:{third.pk}"
                ).exists()
            ),
            timeout=60,
        )
        assert wait_for(lambda: tallied(bhw, [first, second, third]), timeout=60)
    assert Notification.objects.filter(recipient=manager, rule=Rule.HIGH_RISK).count() == 3


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_broker_messages_from_the_outbox_carry_ids_only(broker, bhw, catalogue):
    monitor = member(Role.MONITOR, station=bhw, username="mon_ids")
    member(Role.STATION_MANAGER, station=bhw, username="mgr_ids")
    interception = make_interception(
        monitor, bhw, certainty=5, people=[person("Sita Tamang", phone="+9779812345678")], place="Belahiya"
    )
    raw = b"".join(redis.Redis.from_url(broker.url).lrange("celery", 0, -1))
    # the tally, the alert evaluation and the person's match suggestions, sent right after the commit
    assert broker.queued() == 3
    for secret in (b"Sita", b"9812345678", b"Belahiya"):
        assert secret not in raw
    assert str(interception.pk).encode() in raw


# --- the outbox table ------------------------------------------------------------------------------------


def test_a_rolled_back_save_leaves_nothing_to_send(
    monitor, bhw, catalogue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        make_interception(monitor, bhw)
        raise RuntimeError("rolled back")
    assert callbacks == [] and not OutboxMessage.objects.exists()


def test_a_submission_writes_its_work_to_the_outbox_in_its_transaction(monitor, manager, bhw, catalogue):
    interception = make_interception(monitor, bhw, certainty=5)
    messages = {m.task: m for m in OutboxMessage.objects.all()}
    assert set(messages) == {
        "interception.tasks.recompute_daily_tally",
        "alerts.tasks.evaluate_interception",
        "people.suggest_matches",
    }
    assert messages["alerts.tasks.evaluate_interception"].args == [interception.pk]
    assert messages["people.suggest_matches"].args == [interception.interceptees.get().person_id]
    assert messages["interception.tasks.recompute_daily_tally"].args == [
        bhw.pk,
        interception.occurred_on.isoformat(),
    ]
    assert all(m.sent_at is None for m in messages.values())  # the test's transaction has not committed


def test_outbox_messages_refuse_anything_but_ids(db):
    with pytest.raises(TypeError):
        outbox.enqueue("alerts.tasks.security_check", {"name": "Sita Tamang"})
    with pytest.raises(ValueError):
        outbox.enqueue("alerts.tasks.security_check", "login", "x" * 500)
    with pytest.raises(TypeError):
        events.publish("interception.submitted", id=1, name=["Sita"])
    assert not OutboxMessage.objects.exists()


def test_sent_messages_are_purged_later_and_pending_ones_never(db):
    old = timezone.now() - timedelta(days=30)
    sent_long_ago = OutboxMessage.objects.create(task="t", created_at=old, sent_at=old)
    sent_today = OutboxMessage.objects.create(task="t", sent_at=timezone.now())
    pending_long = OutboxMessage.objects.create(task="t", created_at=old)
    assert outbox.purge_sent() == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {sent_today.pk, pending_long.pk}
    assert not OutboxMessage.objects.filter(pk=sent_long_ago.pk).exists()


def test_the_relay_leaves_messages_pending_while_the_broker_is_down(db, settings, monkeypatch):
    point_celery_at(f"redis://127.0.0.1:{free_port()}/0", settings, monkeypatch)  # nobody listens there
    message = outbox.enqueue("interception.tasks.recompute_daily_tally", 1, "2026-01-01")
    assert outbox.send_now(message.pk) is False
    assert outbox.relay() == 0
    monkeypatch.undo()
    reset_pools()
    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 1 and "Error" in message.last_error


# --- domain events ---------------------------------------------------------------------------------------


def test_a_same_transaction_subscriber_fails_and_rolls_back_with_the_publisher(db):
    def failing(**ids):
        OutboxMessage.objects.create(task="written by the subscriber")
        raise RuntimeError("subscriber failed")

    events.subscribe("test.happened", failing)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            OutboxMessage.objects.create(task="written by the publisher")
            events.publish("test.happened", id=7)
    finally:
        events.unsubscribe("test.happened", failing)
    assert not OutboxMessage.objects.exists()


def test_an_after_commit_subscriber_is_a_task_sent_through_the_outbox(db):
    from alerts import tasks

    with pytest.raises(TypeError):
        events.subscribe("test.happened", lambda **ids: None, after_commit=True)
    events.subscribe("test.happened", tasks.check_denied_accesses, after_commit=True)
    try:
        events.publish("test.happened", user_id=42)
    finally:
        events.unsubscribe("test.happened", tasks.check_denied_accesses)
    message = OutboxMessage.objects.get()
    assert (message.task, message.args, message.kwargs) == (
        "alerts.tasks.check_denied_accesses",
        [],
        {"user_id": 42},
    )


def test_alerts_subscribes_to_the_events_of_the_apps_below_it():
    labels = {name: {s.label for s in events.subscribers(name)} for name in ("access.denied", "login.failed")}
    assert "alerts.tasks.check_denied_accesses" in labels["access.denied"]
    assert labels["login.failed"]
    assert "alerts.services.on_interception_submitted" in {
        s.label for s in events.subscribers("interception.submitted")
    }
