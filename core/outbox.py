"""Transactional outbox: Celery work that must follow a commit is written to a table in the same transaction,
then sent to the broker (docs/operations.md "Outbox").

- `enqueue(task, *ids)` inside a service's transaction writes an `OutboxMessage`. A rollback removes it.
- Right after the commit, `send_now` tries to publish it (one short attempt: a broker that is down costs the
  request a moment, never an error) and marks it sent.
- What could not be sent waits for the relay (`manage.py outbox_relay`, and the `core.tasks.relay_outbox`
  beat task as a fallback), which sends pending messages oldest first once the broker answers again.

Delivery is at least once: a crash between the publish and the mark sends the message again, so every task
queued here must be safe to run twice (DESIGN.md rule 7). Messages carry ids and short strings only.
"""

import logging
import time
from datetime import timedelta
from functools import partial

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError

from .models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_STRING_ARG = 150  # a username hash, an ISO date, a kind: never free text
PAUSE_AFTER_FAILURE = 10.0  # seconds this process leaves sending to the relay after a failed send
_paused_until = 0.0


def _check(task_name: str, values) -> None:
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(
                f"Outbox message {task_name}: arguments are ids or short strings, not {type(value).__name__}."
            )
        if isinstance(value, str) and len(value) > MAX_STRING_ARG:
            raise ValueError(f"Outbox message {task_name}: a string is over {MAX_STRING_ARG} characters.")


def enqueue(task, *args, **kwargs) -> OutboxMessage:
    """Record `task(*args, **kwargs)` in the current transaction; it is sent once the transaction commits.
    `task` is a Celery task or its registered name."""
    name = task if isinstance(task, str) else task.name
    _check(name, [*args, *kwargs.values()])
    message = OutboxMessage.objects.create(task=name, args=list(args), kwargs=dict(kwargs))
    transaction.on_commit(partial(send_now, message.pk), robust=True)
    return message


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def _connection():
    """A broker connection that gives up quickly: a request must never hang on a broker that is down."""
    timeout = settings.OUTBOX_BROKER_TIMEOUT
    return current_app.connection_for_write(
        connect_timeout=timeout,
        transport_options={"socket_connect_timeout": timeout, "socket_timeout": timeout, "max_retries": 0},
    )


def _connect():
    connection = _connection()
    try:
        timeout = 2 * settings.OUTBOX_BROKER_TIMEOUT
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    except Exception:
        connection.release()
        raise
    return connection


def _publish(message: OutboxMessage, connection=None) -> None:
    options = {"task_id": f"outbox-{message.pk}", "retry": False}
    if connection is not None:
        options["connection"] = connection
    task = current_app.tasks.get(message.task)
    if task is not None:  # apply_async honours the task's routing (and task_always_eager in tests)
        task.apply_async(args=message.args, kwargs=message.kwargs, **options)
    else:
        current_app.send_task(message.task, args=message.args, kwargs=message.kwargs, **options)


def _note_failure(pk: int, exc: BaseException) -> None:
    try:
        OutboxMessage.objects.filter(pk=pk, sent_at__isnull=True).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:200]
        )
    except Exception:  # the database is in trouble too; the relay will see the row again
        logger.exception("Outbox: could not record a failed send of message #%s.", pk)


def send_now(pk: int) -> bool:
    """Publish one pending message and mark it sent; called right after the commit that wrote it. Never
    raises: when the broker is down, the message stays pending for the relay. Returns whether it was sent
    (False also when the relay holds or has sent it already). After a failure this process leaves sending to
    the relay for PAUSE_AFTER_FAILURE seconds, so a save during an outage waits for one timeout at most."""
    global _paused_until
    if time.monotonic() < _paused_until:
        return False
    try:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, sent_at__isnull=True)
                .first()
            )
            if message is None:
                return False
            if _eager():
                _publish(message)
            else:
                connection = _connect()
                try:
                    _publish(message, connection)
                finally:
                    connection.release()
            message.sent_at, message.attempts = timezone.now(), message.attempts + 1
            message.save(update_fields=["sent_at", "attempts"])
        return True
    except Exception as exc:
        logger.warning(
            "Outbox: message #%s not sent now (%s); the relay will send it when the broker answers.",
            pk,
            type(exc).__name__,
        )
        if not _eager():
            _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
        _note_failure(pk, exc)
        return False


def _broker_down(exc: BaseException, connection) -> bool:
    errors = (OperationalError, OSError, *(getattr(connection, "connection_errors", ()) or ()))
    return isinstance(exc, errors)


def relay(*, batch_size: int = 100) -> int:
    """Send the pending messages, oldest first, and mark them sent. Stops at the first broker error (the rest
    wait for the next round); a message that fails for another reason is noted and skipped. Several relays
    may run at once (rows are claimed with SKIP LOCKED). Returns how many were sent."""
    if not OutboxMessage.objects.filter(sent_at__isnull=True).exists():
        return 0
    connection = None
    if not _eager():
        try:
            connection = _connect()
        except Exception as exc:
            logger.warning("Outbox relay: broker unavailable (%s); will retry.", type(exc).__name__)
            return 0
    sent, failed = 0, set()
    try:
        while True:
            with transaction.atomic():
                batch = list(
                    OutboxMessage.objects.select_for_update(skip_locked=True)
                    .filter(sent_at__isnull=True)
                    .exclude(pk__in=failed)
                    .order_by("pk")[:batch_size]
                )
                done, stop = [], False
                for message in batch:
                    try:
                        with transaction.atomic():  # a task run eagerly (tests) cannot break the batch
                            _publish(message, connection)
                    except Exception as exc:
                        _note_failure(message.pk, exc)
                        if _broker_down(exc, connection):
                            logger.warning("Outbox relay: broker unavailable (%s).", type(exc).__name__)
                            stop = True
                            break
                        logger.exception("Outbox relay: message #%s (%s) not sent.", message.pk, message.task)
                        failed.add(message.pk)
                        continue
                    done.append(message.pk)
                if done:
                    OutboxMessage.objects.filter(pk__in=done).update(
                        sent_at=timezone.now(), attempts=F("attempts") + 1
                    )
            sent += len(done)
            if stop or len(batch) < batch_size:
                break
    finally:
        if connection is not None:
            connection.release()
    if sent:
        global _paused_until
        _paused_until = 0.0  # the broker answers again: saves in this process send right away again
        logger.info("Outbox relay: sent %s message(s).", sent)
    return sent


def purge_sent(*, keep_days: int | None = None) -> int:
    """Delete messages sent over `keep_days` (OUTBOX_KEEP_SENT_DAYS) ago. Pending ones are never purged."""
    days = settings.OUTBOX_KEEP_SENT_DAYS if keep_days is None else keep_days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=cutoff).delete()
    return deleted


def pending_summary() -> dict:
    """How many messages wait, and since when (for operators: `manage.py outbox_relay --status`)."""
    pending = OutboxMessage.objects.filter(sent_at__isnull=True)
    oldest = pending.order_by("pk").values_list("created_at", flat=True).first()
    return {"pending": pending.count(), "oldest": oldest}
