"""The daily follow-up reminder (docs/cases.md "Risk, services and follow-ups"): the assigned case manager
is told once per follow-up and day about follow-ups due or overdue, with no personal data; through a real
Celery worker on the real Redis broker too."""

from datetime import timedelta

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from accounts.roles import Role
from alerts.models import Notification, NotificationPreference, Rule
from cases.models import CaseSource, CaseStatus, FollowUp, FollowUpReminder, VictimCase
from cases.services import care
from cases.services.opening import PersonData, case_open
from config.celery import app

from .factories import StationFactory, member, wait_for

NAME = "Sita Tamang"


def open_case(station, case_manager, *, name=NAME, assigned=True, status=CaseStatus.ACTIVE):
    case, _ = case_open(
        actor=case_manager, station=station, source=CaseSource.WALK_IN, person=PersonData(full_name=name)
    )
    VictimCase.objects.filter(pk=case.pk).update(
        assigned_to=case_manager if assigned else None,
        status=status,
        closure_reason="reintegrated" if status == CaseStatus.CLOSED else "",
    )
    case.refresh_from_db()
    return case


def due(case, days: int, **kwargs) -> FollowUp:
    """A follow-up due `days` from today at the case's station (written directly: the service refuses due
    dates before the case was opened)."""
    return FollowUp.objects.create(
        case=case,
        due_on=care.local_today(case.station) + timedelta(days=days),
        method="phone",
        created_by=case.created_by,
        **kwargs,
    )


def notifications(user):
    return Notification.objects.filter(recipient=user, rule=Rule.FOLLOW_UP_DUE)


@pytest.fixture
def case_manager(bhw):
    return member(Role.CASE_MANAGER, station=bhw, username="cm_bhw", email="cm_bhw@example.org")


@pytest.mark.django_db
def test_due_and_overdue_follow_ups_are_reminded_once_a_day(bhw, case_manager):
    case = open_case(bhw, case_manager)
    overdue, today_, later = due(case, -1), due(case, 0), due(case, 3)
    assert care.follow_ups_remind() == 2
    assert care.follow_ups_remind() == 0  # the same day again: nothing new
    reminded = set(FollowUpReminder.objects.values_list("follow_up_id", flat=True))
    assert reminded == {overdue.pk, today_.pk} and later.pk not in reminded
    titles = sorted(notifications(case_manager).values_list("title", flat=True))
    assert titles == [f"Follow-up due in case {case.number}", f"Follow-up overdue in case {case.number}"]
    for n in notifications(case_manager):
        assert NAME not in n.title and NAME not in n.body
    # the next day, a follow-up still not done is reminded again
    tomorrow = care.local_today(bhw) + timedelta(days=1)
    assert care.follow_ups_remind(today=tomorrow) == 2
    assert notifications(case_manager).count() == 4


@pytest.mark.django_db
def test_no_reminder_when_unassigned_done_or_closed(bhw, case_manager):
    due(open_case(bhw, case_manager, name="A", assigned=False), -1)
    due(open_case(bhw, case_manager, name="B"), -1, done_on=care.local_today(bhw), situation="safe")
    due(open_case(bhw, case_manager, name="C", status=CaseStatus.CLOSED), -1)
    assert care.follow_ups_remind() == 0
    assert not FollowUpReminder.objects.exists() and not notifications(case_manager).exists()


@pytest.mark.django_db
def test_each_station_is_reminded_by_its_own_local_date(nepal):
    # Kiritimati (UTC+14) is always one or two calendar days ahead of Pago Pago (UTC-11).
    ahead = StationFactory(code="KIR", country=nepal, timezone="Pacific/Kiritimati")
    behind = StationFactory(code="PPG", country=nepal, timezone="Pacific/Pago_Pago")
    cm_ahead = member(Role.CASE_MANAGER, station=ahead, username="cm_kir")
    cm_behind = member(Role.CASE_MANAGER, station=behind, username="cm_ppg")
    day = care.local_today(ahead)
    on_ahead = FollowUp.objects.create(
        case=open_case(ahead, cm_ahead), due_on=day, method="visit", created_by=cm_ahead
    )
    FollowUp.objects.create(
        case=open_case(behind, cm_behind), due_on=day, method="visit", created_by=cm_behind
    )
    assert care.follow_ups_remind() == 1
    reminder = FollowUpReminder.objects.get()
    assert (reminder.follow_up_id, reminder.day) == (on_ahead.pk, day)


@pytest.mark.django_db
def test_finding_due_follow_ups_is_one_query(bhw, case_manager, django_assert_num_queries):
    for n in range(4):
        due(open_case(bhw, case_manager, name=f"P{n}"), -n)
    with django_assert_num_queries(1):
        assert len(list(care.due_follow_ups())) == 4


# --- through a real worker --------------------------------------------------------------------------------


@pytest.fixture
def worker():
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as w:
        yield w


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_overdue_follow_up_alert_goes_out_once_through_a_worker(worker, mailoutbox, bhw, case_manager):
    from cases.tasks import remind_follow_ups

    NotificationPreference.objects.create(user=case_manager, rule=Rule.FOLLOW_UP_DUE, email=True)
    case = open_case(bhw, case_manager)
    overdue = due(case, -1)
    remind_follow_ups.delay()
    assert wait_for(lambda: notifications(case_manager).exists())
    assert wait_for(lambda: len(mailoutbox) == 1)
    (notification,) = notifications(case_manager)
    assert notification.title == f"Follow-up overdue in case {case.number}"
    assert NAME not in notification.title + notification.body
    (message,) = mailoutbox
    assert message.to == ["cm_bhw@example.org"] and NAME not in message.subject + message.body
    # The same day again: nothing more for this follow-up. A follow-up on another case, due today, shows
    # that the second run has finished (the solo worker runs the messages in order).
    other_case = open_case(bhw, case_manager, name="Gita Rai")
    other = due(other_case, 0)
    remind_follow_ups.delay()
    assert wait_for(lambda: FollowUpReminder.objects.filter(follow_up=other).exists())
    assert wait_for(lambda: len(mailoutbox) == 2)
    assert FollowUpReminder.objects.filter(follow_up=overdue).count() == 1
    assert notifications(case_manager).filter(subject_key__startswith=f"follow_up:{overdue.pk}:").count() == 1
    assert notifications(case_manager).count() == 2
    assert len([m for m in mailoutbox if m.subject.endswith(f"Follow-up overdue in case {case.number}")]) == 1
