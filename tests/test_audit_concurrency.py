"""The access log's chain under concurrent writers, and how long its lock is held (docs/audit.md, "The
chain lock under load").

`record_event` serialises appends with a transaction-level advisory lock held until the caller's
transaction commits. Sixteen writers at once must still produce one unbroken chain holding every event,
and the services that record an event inside a longer transaction record it last, so that the lock is
held only for the head read, the insert and the commit.
"""

import threading
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from audit.models import AccessEvent
from audit.services import CHAIN_LOCK_KEY, record_event
from core.models import IdempotencyRecord, OutboxMessage
from exports import services as export_services
from exports.models import ExportJob, ExportStatus
from interception.models import Interception
from interception.services import (
    InterceptionData,
    attachment_add,
    attachment_delete,
    interception_create,
    interception_update,
)

from .factories import make_interception, person

WRITERS = 16
EVENTS_EACH = 8
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def verify() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sixteen_concurrent_writers_leave_one_unbroken_chain_with_every_event(monitor, bhw):
    """16 threads, each on its own connection, start together; half write in autocommit (a read's
    event), half inside a transaction that does more work after the event (a write's)."""
    start = threading.Barrier(WRITERS)
    written: list[int] = []
    errors: list[Exception] = []

    def writer(n: int) -> None:
        try:
            start.wait(timeout=30)
            for i in range(EVENTS_EACH):
                details = {"writer": n, "i": i}
                if n % 2:
                    event = record_event(actor=monitor, action="interception.list", details=details)
                else:
                    with transaction.atomic():
                        event = record_event(
                            actor=monitor, action="interception.view", station=bhw, details=details
                        )
                        Interception.objects.filter(station=bhw).exists()  # more work in the same transaction
                written.append(event.pk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = WRITERS * EVENTS_EACH
    assert len(written) == total
    # Every event is in the log, each links to a different predecessor, and audit_verify walks them all.
    stored = dict(AccessEvent.objects.values_list("id", "details"))
    assert set(written) <= set(stored)
    assert {(d["writer"], d["i"]) for d in stored.values()} == {
        (n, i) for n in range(WRITERS) for i in range(EVENTS_EACH)
    }
    prev_hashes = AccessEvent.objects.values_list("prev_hash", flat=True)
    assert len(set(prev_hashes)) == total
    assert f"Access log intact: {total} events" in verify()


# --- the lock is held only for the event's own insert ------------------------------------------------


@contextmanager
def statements_after_the_chain_lock():
    """Collect the SQL this connection runs from the chain lock on (savepoint statements left out). Other
    advisory locks (an idempotency key's) are not the chain's."""
    seen: list[str] = []
    after: list[str] = []

    def capture(execute, sql, params, many, context):
        if "pg_advisory_xact_lock" in sql and list(params or []) == [CHAIN_LOCK_KEY]:
            seen.append(sql)
        elif seen and "SAVEPOINT" not in sql:
            after.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        yield after
    assert seen, "no event was recorded"


def assert_only_the_event_follows(after: list[str]) -> None:
    """After the lock: the chain's head read and the event's insert, nothing else before the commit."""
    assert len(after) == 2, after
    assert after[0].startswith('SELECT "audit_accessevent"."hash"') and 'FROM "audit_accessevent"' in after[0]
    assert after[1].startswith('INSERT INTO "audit_accessevent"')


def data(**kwargs) -> InterceptionData:
    return InterceptionData(
        occurred_at=kwargs.pop("occurred_at", timezone.now()),
        place="Belahiya",
        certainty=3,
        reason="Travelling with a stranger",
        interceptees=[person("Gita")],
        **kwargs,
    )


@pytest.mark.django_db
def test_creating_an_interception_records_its_event_last(monitor, bhw):
    with statements_after_the_chain_lock() as after:
        interception, _ = interception_create(
            actor=monitor, station=bhw, data=data(), submit=True, idempotency_key="k-1"
        )
    assert_only_the_event_follows(after)
    # Everything the create writes is still there, in the same transaction as the event.
    event = AccessEvent.objects.get(action="interception.create")
    assert event.object_id == str(interception.pk) and event.details["number"] == interception.number
    # The day's tally queued and the idempotency key remembered, before the event.
    assert OutboxMessage.objects.filter(task__contains="tally").exists()
    assert IdempotencyRecord.objects.filter(key="k-1", object_id=interception.pk).exists()
    assert "Access log intact" in verify()


@pytest.mark.django_db
def test_editing_an_interception_records_its_event_last(monitor, bhw):
    interception = make_interception(monitor, bhw, submit=False)
    with statements_after_the_chain_lock() as after:
        interception_update(
            actor=monitor,
            interception=interception,
            expected_version=interception.version,
            data=data(occurred_at=timezone.now() - timedelta(days=3)),
            submit=True,
        )
    assert_only_the_event_follows(after)
    event = AccessEvent.objects.filter(action="interception.change").get()
    assert "occurred_at" in event.details["fields"] and event.details["version"] == interception.version + 1


@pytest.mark.django_db
def test_deleting_an_attachment_records_its_event_last_with_the_same_names(monitor, manager, bhw):
    interception = make_interception(monitor, bhw)
    attachment = attachment_add(
        actor=monitor, interception=interception, uploaded_file=SimpleUploadedFile("face.jpg", JPEG)
    )
    pk = attachment.pk
    with statements_after_the_chain_lock() as after:
        attachment_delete(actor=manager, attachment=attachment)
    assert_only_the_event_follows(after)
    event = AccessEvent.objects.get(action="attachment.delete")
    assert (event.object_type, event.object_id, event.station) == ("attachment", str(pk), bhw)
    assert event.details == {
        "interception": interception.number,
        "interception_id": interception.pk,
        "kind": "photo",
    }


@pytest.mark.django_db
def test_an_export_records_its_request_and_completion_events_last(manager, monitor, bhw):
    make_interception(monitor, bhw)
    with statements_after_the_chain_lock() as after:
        job = export_services.export_request(
            actor=manager, kind="interceptions", fmt="csv", deidentified=True, filters={}
        )
    assert_only_the_event_follows(after)
    with statements_after_the_chain_lock() as after:
        export_services.export_run(job_id=job.pk)
    assert_only_the_event_follows(after)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    assert AccessEvent.objects.filter(object_id=str(job.pk), action="export.complete").exists()
    assert manager.notifications.exists()  # the notification is written before the event, same transaction


@pytest.mark.django_db
def test_a_write_whose_event_cannot_be_appended_leaves_nothing(monitor, bhw):
    """Recorded last, the event is still in the write's transaction: if it fails, the write rolls back."""
    make_interception(monitor, bhw)
    outbox = OutboxMessage.objects.count()
    with (
        mock.patch.object(type(AccessEvent.objects), "bulk_create", side_effect=RuntimeError("no append")),
        pytest.raises(RuntimeError),
    ):
        interception_create(actor=monitor, station=bhw, data=data(), submit=True, idempotency_key="k-2")
    assert Interception.objects.count() == 1 and OutboxMessage.objects.count() == outbox
    # the first interception's event, with the case its submission opened (appended with it)
    assert list(AccessEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "case.create",
        "interception.create",
    ]
    assert "Access log intact: 2 events" in verify()


@pytest.mark.django_db
def test_a_failed_export_records_its_event_last(manager, monitor, bhw):
    make_interception(monitor, bhw)
    job = export_services.export_request(
        actor=manager, kind="interceptions", fmt="csv", deidentified=True, filters={}
    )
    with statements_after_the_chain_lock() as after:
        export_services._finish_failed(ExportJob.objects.get(pk=job.pk), ValueError("boom"))
    assert_only_the_event_follows(after)
    assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.FAILED
    assert AccessEvent.objects.filter(object_id=str(job.pk), action="export.failed").exists()
    assert manager.notifications.exists()
