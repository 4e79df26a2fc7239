"""The access log itself: the hash chain, the append-only trigger, audit_verify and the read scope."""

import threading
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.utils import timezone

from accounts.roles import Role
from audit.chain import GENESIS
from audit.context import _request_meta
from audit.models import AccessEvent
from audit.selectors import event_scope, record_events
from audit.services import record_event

from .factories import CountryFactory, StationFactory, member

pytestmark = pytest.mark.django_db


def verify(*args) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


@contextmanager
def triggers_disabled():
    """Tamper the way someone owning the table could: with the append-only triggers switched off.

    The events' foreign keys are checked at commit (deferred); they are checked now, because PostgreSQL
    refuses ALTER TABLE while such checks are pending.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE audit_accessevent DISABLE TRIGGER USER")
    try:
        yield connection.cursor()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_accessevent ENABLE TRIGGER USER")


@pytest.fixture
def events(monitor, manager, bhw, brg):
    """Six chained events: reads and writes at two stations, and one without a station."""
    made = [
        record_event(actor=monitor, action="interception.create", obj=bhw, station=bhw, details={"n": 1}),
        record_event(actor=manager, action="interception.view", obj=bhw, station=bhw),
        record_event(actor=monitor, action="interception.list", details={"filters": {}, "count": 2}),
        record_event(actor=manager, action="attachment.download", obj=brg, station=brg),
        record_event(actor=None, action="login.failed", details={"username": "nobody"}),
        record_event(actor=monitor, action="interception.view", obj=bhw, station=bhw, details={"ok": True}),
    ]
    return [e.pk for e in made]


def test_events_are_chained_in_id_order(events):
    rows = list(AccessEvent.objects.order_by("id").values_list("id", "prev_hash", "hash", "at"))
    assert [r[0] for r in rows] == events
    assert rows[0][1] == GENESIS
    for before, after in zip(rows, rows[1:], strict=False):
        assert after[1] == before[2]  # each prev_hash is the hash of the event before
        assert after[3] >= before[3]
    assert all(len(r[2]) == 64 and int(r[2], 16) >= 0 for r in rows)
    assert len({r[2] for r in rows}) == len(rows)


def test_stored_hash_matches_the_content_read_back(events):
    for event in AccessEvent.objects.all():
        assert event.compute_hash() == event.hash


def test_record_event_returns_the_stored_event(monitor, bhw):
    token = _request_meta.set({"ip": "2001:0db8:0000::0001", "user_agent": "Firefox"})
    try:
        event = record_event(
            actor=monitor,
            action="interception.view",
            obj=bhw,
            station=bhw,
            details={"when": timezone.now().date(), "score": 2.0, "big": 1e20, "ratio": 0.1, "ids": (1, 2)},
        )
    finally:
        _request_meta.reset(token)
    stored = AccessEvent.objects.get(pk=event.pk)
    assert stored.ip == "2001:db8::1" and stored.user_agent == "Firefox"
    assert stored.actor_username == "mon_bhw" and (stored.object_type, stored.object_id) == (
        "station",
        str(bhw.pk),
    )
    assert stored.at == event.at and stored.hash == event.hash
    # jsonb returns 1e20 as an integer and 2.0 as a float; the chain's canonical form sees the same value.
    assert stored.compute_hash() == stored.hash
    assert "Access log intact: 1 events" in verify()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_keep_one_chain(monitor, bhw):
    """Writers in parallel transactions queue on the advisory lock instead of forking the chain."""
    errors = []

    def write(n):
        try:
            for i in range(10):
                with transaction.atomic():
                    record_event(
                        actor=monitor, action="interception.view", station=bhw, details={"t": n, "i": i}
                    )
                    record_event(actor=monitor, action="interception.list", details={"t": n, "i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    prev_hashes = list(AccessEvent.objects.values_list("prev_hash", flat=True))
    assert len(prev_hashes) == 80 and len(set(prev_hashes)) == 80
    assert "Access log intact: 80 events" in verify()


def test_a_row_written_past_record_event_is_refused(monitor):
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessEvent.objects.create(actor=monitor, actor_username="mon_bhw", action="sneaky")


def test_update_and_delete_are_refused_by_the_database(events):
    first = AccessEvent.objects.get(pk=events[0])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessEvent.objects.filter(pk=first.pk).update(action="interception.nothing")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        first.details = {"n": 2}
        first.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessEvent.objects.filter(pk=first.pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_accessevent SET actor_username = 'someone' WHERE id = %s", [first.pk])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_accessevent")
    assert AccessEvent.objects.count() == len(events)
    assert AccessEvent.objects.get(pk=first.pk).action == "interception.create"


def test_verify_passes_on_an_untouched_log(events):
    out = verify()
    assert "Access log intact: 6 events" in out
    latest = AccessEvent.objects.get(pk=events[-1])
    assert f"Latest event: {latest.pk}:{latest.hash}" in out
    assert "Access log intact: 6 events" in verify("--anchor", f"{latest.pk}:{latest.hash}")


def test_verify_passes_on_an_empty_log(db):
    assert "Access log intact: 0 events" in verify()


def test_verify_fails_when_an_event_is_altered(events):
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE audit_accessevent SET details = '{\"n\": 2}'::jsonb WHERE id = %s", [events[0]]
        )
    with pytest.raises(CommandError, match=rf"event {events[0]}: altered"):
        verify()


def test_verify_fails_when_an_altered_event_is_rehashed(events):
    """Recomputing the altered event's hash breaks the link from the next event instead."""
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE audit_accessevent SET actor_username = 'someone' WHERE id = %s", [events[2]])
    event = AccessEvent.objects.get(pk=events[2])
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE audit_accessevent SET hash = %s WHERE id = %s", [event.compute_hash(), event.pk]
        )
    with pytest.raises(CommandError, match=rf"event {events[3]}: previous event missing or reordered"):
        verify()


def test_verify_fails_when_an_event_is_deleted(events):
    with triggers_disabled() as cursor:
        cursor.execute("DELETE FROM audit_accessevent WHERE id = %s", [events[2]])
    with pytest.raises(CommandError, match=rf"event {events[3]}: previous event missing or reordered"):
        verify()


def test_verify_fails_when_the_oldest_event_is_deleted(events):
    with triggers_disabled() as cursor:
        cursor.execute("DELETE FROM audit_accessevent WHERE id = %s", [events[0]])
    with pytest.raises(CommandError, match=rf"event {events[1]}: previous event missing.*start of the chain"):
        verify()


def test_deleting_the_newest_events_needs_an_anchor_to_be_seen(events):
    latest = AccessEvent.objects.get(pk=events[-1])
    with triggers_disabled() as cursor:
        cursor.execute("DELETE FROM audit_accessevent WHERE id = %s", [latest.pk])
    assert "Access log intact: 5 events" in verify()  # the documented limit: no external anchor
    with pytest.raises(CommandError, match=rf"anchored event\(s\) {latest.pk} missing"):
        verify("--anchor", f"{latest.pk}:{latest.hash}")


def test_verify_fails_when_events_are_reordered(events):
    a, b = events[2], events[3]
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE audit_accessevent SET id = -id WHERE id = %s", [a])
        cursor.execute("UPDATE audit_accessevent SET id = %s WHERE id = %s", [a, b])
        cursor.execute("UPDATE audit_accessevent SET id = %s WHERE id = %s", [b, -a])
    with pytest.raises(CommandError, match=rf"event {a}: previous event missing or reordered"):
        verify()


def test_verify_refuses_a_malformed_anchor(events):
    with pytest.raises(CommandError, match="ID:HASH"):
        verify("--anchor", "12")


# --- who may read the log -----------------------------------------------------------------------------


def test_event_scope_by_membership(events, nepal, bhw, monitor, django_assert_num_queries):
    country_auditor = member(Role.AUDITOR, country=nepal, username="aud_np")
    station_auditor = member(Role.AUDITOR, station=bhw, username="aud_bhw")
    india = CountryFactory(code="IN", name="India")
    foreign_auditor = member(
        Role.AUDITOR,
        station=StationFactory(code="DEL", country=india, timezone="Asia/Kolkata"),
        username="aud_del",
    )
    actions = AccessEvent.objects.in_bulk(events)

    with django_assert_num_queries(1):
        seen = set(event_scope(country_auditor).values_list("id", flat=True))
    # Every Nepal station, plus the events without a station by Nepal's people; not the failed sign-in,
    # whose actor nobody knows.
    assert seen == set(events) - {events[4]}

    seen = set(event_scope(station_auditor).values_list("id", flat=True))
    assert seen == {pk for pk, e in actions.items() if e.station_id == bhw.pk}

    assert not event_scope(foreign_auditor).exists()
    assert not event_scope(monitor).exists()  # holds no auditor role
    country_auditor.is_active = False
    assert not event_scope(country_auditor).exists()


def test_record_events_lists_one_records_events_newest_first(events, bhw, monitor):
    got = list(record_events(user=monitor, obj=bhw))
    assert [e.pk for e in got] == sorted(
        AccessEvent.objects.filter(object_type="station", object_id=str(bhw.pk)).values_list("id", flat=True),
        reverse=True,
    )
    for _ in range(55):
        record_event(actor=monitor, action="station.view", obj=bhw, station=bhw)
    assert len(record_events(user=monitor, obj=bhw)) == 50
