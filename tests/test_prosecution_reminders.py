"""The daily hearing reminder (docs/prosecution.md "Hearings, reminders and the timeline"): the legal
officers covering the station are told 3 days before a hearing and on the day, once per hearing and day,
with no personal data; through a real Celery worker on the real Redis broker too."""

from datetime import date, timedelta

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from accounts.roles import Role
from alerts.models import Notification, NotificationPreference, Rule
from config.celery import app
from prosecution.models import Hearing, HearingReminder, LegalCase
from prosecution.services.hearings import due_hearings, hearings_remind
from prosecution.services.numbering import station_today

from .factories import member, wait_for

PURPOSE = "Witness statement of Sita Tamang"


def new_case(station, actor, n=1, stage="trial"):
    return LegalCase.objects.create(
        number=f"{station.code}-L-2026-{n:05d}",
        station=station,
        stage=stage,
        opened_on=date(2026, 1, 1),
        created_by=actor,
    )


def hearing_in(legal_case, days):
    return Hearing.objects.create(
        legal_case=legal_case,
        held_on=station_today(legal_case.station) + timedelta(days=days),
        purpose=PURPOSE,
        created_by=legal_case.created_by,
    )


def notifications(user):
    return Notification.objects.filter(recipient=user, rule=Rule.HEARING_DUE)


@pytest.fixture
def lo(bhw):
    return member(Role.LEGAL_OFFICER, station=bhw, username="lo_bhw", email="lo_bhw@example.org")


@pytest.mark.django_db
def test_hearings_in_3_days_and_today_are_reminded_once(bhw, brg, lo):
    other_lo = member(Role.LEGAL_OFFICER, station=brg, username="lo_brg")
    case = new_case(bhw, lo)
    today_, in_3 = hearing_in(case, 0), hearing_in(case, 3)
    for days in (1, 2, 4, -1):
        hearing_in(case, days)
    hearing_in(new_case(bhw, lo, n=2, stage="closed"), 3)
    assert hearings_remind() == 2
    assert hearings_remind() == 0  # the same day again: nothing new
    assert set(HearingReminder.objects.values_list("hearing_id", flat=True)) == {today_.pk, in_3.pk}
    titles = sorted(notifications(lo).values_list("title", flat=True))
    assert titles == [
        f"Hearing in 3 days in legal case {case.number}",
        f"Hearing today in legal case {case.number}",
    ]
    for n in notifications(lo):
        assert "Sita" not in n.title + n.body
    assert not notifications(other_lo).exists()
    # three days later the hearing then "in 3 days" is today: reminded again, on its day
    later = station_today(bhw) + timedelta(days=3)
    assert hearings_remind(today=later) == 1
    assert HearingReminder.objects.filter(hearing=in_3).count() == 2


@pytest.mark.django_db
def test_finding_due_hearings_is_one_query(bhw, lo, django_assert_num_queries):
    case = new_case(bhw, lo)
    for days in (0, 3, 3, 5):
        hearing_in(case, days)
    with django_assert_num_queries(1):
        assert len(list(due_hearings())) == 3


# --- through a real worker --------------------------------------------------------------------------------


@pytest.fixture
def worker():
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as w:
        yield w


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_hearing_reminder_goes_out_once_through_a_worker(worker, mailoutbox, bhw, lo):
    from prosecution.tasks import remind_hearings

    NotificationPreference.objects.create(user=lo, rule=Rule.HEARING_DUE, email=True)
    case = new_case(bhw, lo)
    hearing = hearing_in(case, 3)
    remind_hearings.delay()
    assert wait_for(lambda: notifications(lo).exists())
    assert wait_for(lambda: len(mailoutbox) == 1)
    (notification,) = notifications(lo)
    assert notification.title == f"Hearing in 3 days in legal case {case.number}"
    assert "Sita" not in notification.title + notification.body
    (message,) = mailoutbox
    assert message.to == ["lo_bhw@example.org"] and "Sita" not in message.subject + message.body
    # The same day again: nothing more for this hearing. A hearing today in another legal case shows that
    # the second run has finished (the solo worker runs the messages in order).
    other = hearing_in(new_case(bhw, lo, n=2), 0)
    remind_hearings.delay()
    assert wait_for(lambda: HearingReminder.objects.filter(hearing=other).exists())
    assert wait_for(lambda: len(mailoutbox) == 2)
    assert HearingReminder.objects.filter(hearing=hearing).count() == 1
    assert notifications(lo).filter(subject_key__startswith=f"hearing:{hearing.pk}:").count() == 1
    assert notifications(lo).count() == 2
