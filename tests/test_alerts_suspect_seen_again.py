"""Issue 10: the "suspect seen again" alert (docs/alerts.md, rule 2). A new interception's suspect is the same
human as a suspect on an earlier submitted interception, confirmed (one identity) or probable (names in any
script and spelling, phones in any format) -> the legal officers who may see both records; nothing personal
in the notification. Also through a real Celery worker, from the submission to the e-mail."""

from contextlib import contextmanager

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from accounts.roles import Role
from alerts import services, tasks
from alerts.models import Notification, Rule
from config.celery import app
from people.models import Identity, MatchStatus, MatchSuggestion, Person

from .factories import make_interception, member, person, wait_for

pytestmark = pytest.mark.django_db

NAME, NAME_NE = "Ram Bahadur Thapa", "राम बहादुर थापा"
PHONE, PHONE_AGAIN = "9800000002", "+977-980-0000002"
SECRETS = (NAME, NAME_NE, "Ram", "Thapa", "राम", PHONE, PHONE_AGAIN, "+9779800000002", "0000002")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs what the block queued on commit (tasks, eagerly) when it ends."""
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True

    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            yield callbacks

    yield run
    app.conf.task_always_eager, app.conf.task_eager_propagates = False, False


@pytest.fixture
def legal_bhw(bhw):
    return member(Role.LEGAL_OFFICER, station=bhw, username="legal_bhw_sa", email="legal_bhw_sa@example.org")


@pytest.fixture
def legal_brg(brg):
    """A legal officer of another station: sees the earlier BRG record, not the new BHW one."""
    return member(Role.LEGAL_OFFICER, station=brg, username="legal_brg_sa", email="legal_brg_sa@example.org")


def suspect_record(actor, station, name, phone="", age=None, victim="Gita"):
    return make_interception(
        actor,
        station,
        certainty=2,  # not high-risk: only rule 2 can fire
        people=[person(victim), person(name, role="suspect", phone=phone, age=age, gender="male")],
    )


def seen_again(user=None):
    qs = Notification.objects.filter(rule=Rule.SUSPECT_SEEN_AGAIN)
    return list(qs.filter(recipient=user) if user is not None else qs)


def suspect_of(interception) -> Person:
    return Person.objects.get(pk=interception.interceptees.get(role="suspect").person_id)


def assert_nothing_personal(*texts):
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_a_suspect_in_devanagari_with_a_phone_in_another_format_alerts_the_legal_officer(
    committed, mailoutbox, monitor, bhw, legal_bhw, legal_brg, brg
):
    with committed():
        earlier = suspect_record(monitor, bhw, NAME, PHONE, age=40)
        assert seen_again() == []  # the first record alerts nobody
        new = suspect_record(monitor, bhw, NAME_NE, PHONE_AGAIN, age=40, victim="Sita")
    (notification,) = seen_again()
    assert notification.recipient == legal_bhw  # legal_brg sees neither record
    assert notification.title == f"Suspect seen again: {new.number}"
    assert new.number in notification.body and earlier.number in notification.body
    assert "Probably the same person" in notification.body and "% match" in notification.body
    assert notification.url == f"/interceptions/{new.pk}/"
    (mail,) = mailoutbox
    assert mail.to == ["legal_bhw_sa@example.org"] and earlier.number in mail.body
    assert_nothing_personal(notification.title, notification.body, mail.subject, mail.body)


def test_an_officer_who_cannot_see_the_earlier_record_is_not_told(
    committed, monitor, bhw, brg, legal_bhw, legal_brg, nepal
):
    legal_np = member(Role.LEGAL_OFFICER, country=nepal, username="legal_np_sa")
    brg_monitor = member(Role.MONITOR, station=brg, username="mon_brg_sa")
    with committed():
        earlier = suspect_record(brg_monitor, brg, NAME, PHONE)
        suspect_record(monitor, bhw, NAME_NE, PHONE_AGAIN)
    # legal_bhw sees only the new record, legal_brg only the earlier one; the country's officer sees both.
    assert [n.recipient for n in seen_again()] == [legal_np]
    assert earlier.number in seen_again(legal_np)[0].body


def test_a_merged_pair_with_different_names_alerts_as_confirmed(committed, monitor, bhw, legal_bhw):
    with committed():
        earlier = suspect_record(monitor, bhw, "Hari Prasad Koirala", "9811111111")
    new = suspect_record(monitor, bhw, "Kancha", "")  # nothing in common: no alert on its own
    services.interception_evaluate(interception_id=new.pk)
    assert seen_again() == []
    # A reviewer confirmed that both are one human: the new appearance joins the earlier one's identity.
    old_identity = suspect_of(new).identity
    Person.objects.filter(pk=suspect_of(new).pk).update(identity=suspect_of(earlier).identity)
    Identity.objects.filter(pk=old_identity.pk).update(merged_into=suspect_of(earlier).identity)
    services.interception_evaluate(interception_id=new.pk)
    (notification,) = seen_again(legal_bhw)
    assert f"Same person, confirmed by a reviewer: {earlier.number}." in notification.body
    assert "% match" not in notification.body


def test_a_similar_name_with_another_phone_and_age_does_not_alert(committed, monitor, bhw, legal_bhw):
    with committed():
        suspect_record(monitor, bhw, NAME, PHONE, age=25)
        suspect_record(monitor, bhw, "Ram Bahadur Thapa Magar", "9841999999", age=55)
        suspect_record(monitor, bhw, "Shyam Kumar", PHONE, age=25)  # the same phone alone is not enough
    assert seen_again() == []


def test_a_rejected_pair_does_not_alert(committed, monitor, bhw, legal_bhw):
    with committed():
        earlier = suspect_record(monitor, bhw, NAME, PHONE)
    new = suspect_record(monitor, bhw, NAME_NE, PHONE_AGAIN)
    low, high = sorted((suspect_of(earlier).identity_id, suspect_of(new).identity_id))
    MatchSuggestion.objects.update_or_create(
        identity_id=low, candidate_id=high, defaults={"score": 1.0, "status": MatchStatus.REJECTED}
    )
    assert services.interception_evaluate(interception_id=new.pk) == []
    assert seen_again() == []


def test_only_suspects_on_earlier_submitted_records_count(committed, monitor, bhw, legal_bhw):
    with committed():
        suspect_record(monitor, bhw, "Sita", victim=NAME)  # the name on a potential victim, not a suspect
        make_interception(monitor, bhw, submit=False, people=[person(NAME, role="suspect", phone=PHONE)])
        first = suspect_record(monitor, bhw, NAME_NE, PHONE_AGAIN)
    assert seen_again() == []  # a draft is not an earlier interception
    with committed():
        second = suspect_record(monitor, bhw, NAME, PHONE)
        tasks.evaluate_interception(first.pk)  # re-running the first: the later one is not "earlier"
    (notification,) = seen_again()
    assert notification.subject_key == f"interception:{second.pk}" and first.number in notification.body


def test_running_the_evaluation_twice_notifies_once(committed, mailoutbox, monitor, bhw, legal_bhw):
    with committed():
        suspect_record(monitor, bhw, NAME, PHONE)
        new = suspect_record(monitor, bhw, NAME_NE, PHONE_AGAIN)  # evaluated once on commit
    assert len(seen_again()) == 1
    with committed():
        again = services.interception_evaluate(interception_id=new.pk)
        assert tasks.evaluate_interception(new.pk) == 0
    assert again == [] and len(seen_again()) == 1 and len(mailoutbox) == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_alerts_the_legal_officer_after_submission(mailoutbox, monitor, bhw, legal_bhw):
    """Through the service, the outbox, the real Redis broker and a real Celery worker."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        earlier = suspect_record(monitor, bhw, NAME, PHONE, age=40)
        new = suspect_record(monitor, bhw, NAME_NE, PHONE_AGAIN, age=40, victim="Sita")
        assert wait_for(
            lambda: Notification.objects.filter(
                rule=Rule.SUSPECT_SEEN_AGAIN, recipient=legal_bhw, emailed_at__isnull=False
            ).exists()
        )
        assert wait_for(lambda: len(mailoutbox) == 1)
    (notification,) = seen_again()
    assert notification.subject_key == f"interception:{new.pk}" and earlier.number in notification.body
    assert mailoutbox[0].subject == f"[Interception CMS] Suspect seen again: {new.number}"
    assert_nothing_personal(notification.title, notification.body, mailoutbox[0].subject, mailoutbox[0].body)
