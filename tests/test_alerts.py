"""Alerts: the four rules, their recipients, e-mail delivery, preferences, pages and API, and the tasks run
by a real Celery worker on the real Redis broker."""

import base64
import json
from contextlib import contextmanager
from smtplib import SMTPException

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from alerts import services, tasks
from alerts.models import EMAIL_BY_DEFAULT, Notification, NotificationPreference, Rule
from audit.models import AccessEvent
from config.celery import app
from core.models import OutboxMessage
from interception import services as interception_services
from interception.models import Interception

from .factories import StationFactory, UserFactory, login, make_interception, member, person, wait_for

pytestmark = pytest.mark.django_db

VICTIM, VICTIM_PHONE, PLACE = "Sita Tamang", "+9779812345678", "Belahiya checkpoint"
REASON = "Travelling with a man she met last week; no job contract."
SUSPECT, SUSPECT_PHONE = "Hari Bahadur", "+9779841000001"


# --- fixtures and helpers -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def without_case_alerts():
    """These tests are about the interception, export and security rules. A submitted interception also
    opens case files, and a new case without a case manager alerts the station's managers: that rule is
    tested with the case files (tests/test_cases_assignment.py); here it would add its own notifications."""
    from alerts import case_alerts
    from core import events

    events.unsubscribe("case.opened", case_alerts.on_case_opened)
    yield
    events.subscribe("case.opened", case_alerts.on_case_opened)


@pytest.fixture
def eager():
    """Tasks run in this process when queued (the broker is not used)."""
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = False, False


@pytest.fixture
def committed(eager, django_capture_on_commit_callbacks):
    """`with committed(): ...` runs what the block queued on commit (tasks, eagerly) when it ends, as a
    real commit would, including what those tasks queue in turn."""

    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            yield callbacks

    return run


def staff(role, station=None, country=None, **kwargs):
    kwargs.setdefault("email", f"{kwargs['username']}@example.org")
    return member(role, station=station, country=country, **kwargs)


@pytest.fixture
def manager(bhw):  # overrides conftest's: with an e-mail address
    return staff(Role.STATION_MANAGER, station=bhw, username="mgr_bhw")


@pytest.fixture
def legal_bhw(bhw):
    return staff(Role.LEGAL_OFFICER, station=bhw, username="legal_bhw")


@pytest.fixture
def legal_np(nepal):
    return staff(Role.LEGAL_OFFICER, country=nepal, username="legal_np")


@pytest.fixture
def brg_manager(brg):
    return staff(Role.STATION_MANAGER, station=brg, username="mgr_brg")


@pytest.fixture
def admins(bhw):
    role_admin = staff(Role.ADMIN, station=bhw, username="admin_role")
    superuser = UserFactory(username="root", email="root@example.org", is_superuser=True, is_staff=True)
    UserFactory(username="retired_root", email="old@example.org", is_superuser=True, is_active=False)
    return [role_admin, superuser]


def recipients(rule, **filters):
    return set(
        Notification.objects.filter(rule=rule, **filters).values_list("recipient__username", flat=True)
    )


def mailed_to(outbox):
    return sorted(address for message in outbox for address in message.to)


# --- rule 1: high risk --------------------------------------------------------------------------------


def test_certainty_4_or_5_alerts_the_station_managers_and_legal_officers(
    committed, mailoutbox, monitor, manager, legal_bhw, legal_np, brg_manager, bhw, nepal
):
    staff(Role.CASE_MANAGER, station=bhw, username="case_bhw")
    staff(Role.COUNTRY_DIRECTOR, country=nepal, username="director_np")
    staff(Role.LEGAL_OFFICER, station=StationFactory(code="BRG", country=nepal), username="legal_brg")
    with committed():
        interception = make_interception(monitor, bhw, certainty=5)
    assert recipients(Rule.HIGH_RISK) == {"mgr_bhw", "legal_bhw", "legal_np"}
    assert mailed_to(mailoutbox) == ["legal_bhw@example.org", "legal_np@example.org", "mgr_bhw@example.org"]
    n = Notification.objects.get(recipient=manager)
    assert (n.subject_key, n.url) == (f"interception:{interception.pk}", f"/interceptions/{interception.pk}/")
    assert n.title == f"High-risk interception {interception.number}" and n.unread and n.emailed_at


@pytest.mark.parametrize(("certainty", "alerts"), [(1, False), (3, False), (4, True), (5, True)])
def test_certainty_decides_when_the_score_is_low(committed, monitor, manager, bhw, certainty, alerts):
    with committed():
        make_interception(monitor, bhw, certainty=certainty)
    assert Notification.objects.filter(rule=Rule.HIGH_RISK).exists() is alerts


def test_the_score_threshold_is_per_station(committed, monitor, manager, brg_manager, bhw, brg, flags):
    codes = [f.code for f in flags]
    score = sum(f.points for f in flags)
    bhw.alert_score_threshold = score  # "at or above"
    bhw.save()
    brg.alert_score_threshold = score + 1
    brg.save()
    brg_monitor = member(Role.MONITOR, station=brg, username="mon_brg2")
    with committed():
        at_bhw = make_interception(monitor, bhw, flags=codes, certainty=2)
        make_interception(brg_monitor, brg, flags=codes, certainty=2)
    assert at_bhw.red_flag_score == score
    assert recipients(Rule.HIGH_RISK) == {"mgr_bhw"}


def test_drafts_alert_only_once_they_are_submitted(committed, monitor, manager, bhw, mailoutbox):
    with committed():
        draft = make_interception(monitor, bhw, certainty=5, submit=False)
    assert not Notification.objects.exists()
    with committed():
        data = interception_services.data_from_instance(draft)
        submitted = interception_services.interception_update(
            actor=monitor, interception=draft, expected_version=draft.version, data=data, submit=True
        )
    assert recipients(Rule.HIGH_RISK) == {"mgr_bhw"} and len(mailoutbox) == 1
    with committed():  # a later edit of a submitted record does not alert again
        data.place = "Bus park"
        interception_services.interception_update(
            actor=monitor, interception=submitted, expected_version=submitted.version, data=data
        )
    assert Notification.objects.count() == 1 and len(mailoutbox) == 1


def test_a_station_nobody_would_be_told_about_queues_no_task(
    monitor, bhw, django_capture_on_commit_callbacks
):
    def queued(callbacks):  # the outbox messages the commit sends (core.outbox.send_now(pk))
        pks = [callback.args[0] for callback in callbacks]
        return sorted(OutboxMessage.objects.filter(pk__in=pks).values_list("task", flat=True))

    with django_capture_on_commit_callbacks() as callbacks:
        make_interception(monitor, bhw, certainty=5)
    # the daily tally and the person's match suggestions, no alert
    assert queued(callbacks) == ["interception.tasks.recompute_daily_tally", "people.suggest_matches"]
    staff(Role.STATION_MANAGER, station=bhw, username="mgr_new")
    with django_capture_on_commit_callbacks() as callbacks:
        make_interception(monitor, bhw, certainty=5)
    assert "alerts.tasks.evaluate_interception" in queued(callbacks)


def test_a_rolled_back_interception_queues_no_alert(
    monitor, manager, bhw, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        make_interception(monitor, bhw, certainty=5)
        raise RuntimeError("rolled back")
    assert callbacks == [] and not Interception.objects.exists()


# --- idempotency ----------------------------------------------------------------------------------------


def test_evaluating_twice_creates_one_notification_and_one_email_each(
    committed, mailoutbox, monitor, manager, legal_bhw, bhw
):
    with committed():
        interception = make_interception(monitor, bhw, certainty=5)
    with committed():
        assert tasks.evaluate_interception(interception.pk) == 0
        assert tasks.evaluate_interception.delay(interception.pk).get() == 0
    assert Notification.objects.count() == 2
    assert mailed_to(mailoutbox) == ["legal_bhw@example.org", "mgr_bhw@example.org"]


def test_the_email_task_twice_sends_one_email(
    monitor, manager, bhw, mailoutbox, django_capture_on_commit_callbacks
):
    interception = make_interception(monitor, bhw, certainty=5)
    with django_capture_on_commit_callbacks() as queued:  # queued, not run
        tasks.evaluate_interception(interception.pk)
    assert len(queued) == 1
    notification = Notification.objects.get()
    assert tasks.send_notification_email(notification.pk) is True
    assert tasks.send_notification_email(notification.pk) is False  # a redelivered message
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_an_smtp_failure_leaves_the_email_to_be_retried(monitor, manager, bhw, mailoutbox, monkeypatch):
    interception = make_interception(monitor, bhw, certainty=5)
    services.interception_evaluate(interception_id=interception.pk)
    notification = Notification.objects.get()

    def down(*args, **kwargs):
        raise SMTPException("421 try again later")

    monkeypatch.setattr(services, "send_mail", down)
    with pytest.raises(SMTPException):
        tasks.send_notification_email(notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at is None
    monkeypatch.undo()
    assert tasks.send_notification_email(notification.pk) is True and len(mailoutbox) == 1


def test_tasks_are_safe_to_redeliver_and_bounded_in_time():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    for task in (tasks.evaluate_interception, tasks.security_check, tasks.send_notification_email):
        assert task.acks_late and task.reject_on_worker_lost
        assert 0 < task.soft_time_limit < task.time_limit <= 300
    email = tasks.send_notification_email
    assert set(email.autoretry_for) == {SMTPException, OSError}
    assert email.retry_backoff is True and email.max_retries == 5
    assert email.retry_backoff_max == 600 < visibility


# --- e-mail content -------------------------------------------------------------------------------------


def test_the_email_names_the_number_and_link_but_nobody(
    committed, mailoutbox, monitor, manager, bhw, settings
):
    settings.SITE_URL = "https://cms.example.org"
    people = [
        person(VICTIM, phone=VICTIM_PHONE, address="Ward 4, Butwal"),
        person("Ram Kumar", role="suspect"),
    ]
    with committed():
        interception = make_interception(monitor, bhw, certainty=5, people=people, place=PLACE, reason=REASON)
    (message,) = mailoutbox
    assert message.subject == f"[Interception CMS] High-risk interception {interception.number}"
    assert interception.number in message.body
    assert f"https://cms.example.org/interceptions/{interception.pk}/" in message.body
    assert "https://cms.example.org/notifications/preferences/" in message.body
    notification = Notification.objects.get()
    for text in (message.subject, message.body, notification.title, notification.body):
        for secret in (
            VICTIM,
            "Sita",
            "Tamang",
            VICTIM_PHONE,
            PLACE,
            "Belahiya",
            REASON,
            "Butwal",
            "Ram Kumar",
        ):
            assert secret not in text


# --- preferences ----------------------------------------------------------------------------------------


def test_defaults_email_every_rule_but_exports():
    assert EMAIL_BY_DEFAULT == {
        Rule.CASE_UNASSIGNED: True,
        Rule.CASE_ASSIGNED: True,
        Rule.HOME_ALARM: True,
        Rule.FOLLOW_UP_DUE: False,  # daily, in the app; e-mail when chosen
        Rule.CLOSURE_REQUESTED: False,
        Rule.HEARING_DUE: True,
        Rule.REOFFENDING: True,
        Rule.HIGH_RISK: True,
        Rule.SUSPECT_SEEN_AGAIN: True,
        Rule.EXPORT_FINISHED: False,
        Rule.SECURITY: True,
    }


def test_in_app_only_sends_no_email(committed, mailoutbox, monitor, manager, legal_bhw, bhw):
    services.preferences_set(actor=manager, email={Rule.HIGH_RISK: False})
    with committed():
        make_interception(monitor, bhw, certainty=5)
    assert recipients(Rule.HIGH_RISK) == {"mgr_bhw", "legal_bhw"}
    assert mailed_to(mailoutbox) == ["legal_bhw@example.org"]


def test_a_user_without_an_email_address_is_told_in_the_app(committed, mailoutbox, monitor, manager, bhw):
    manager.email = ""
    manager.save()
    with committed():
        make_interception(monitor, bhw, certainty=5)
    assert recipients(Rule.HIGH_RISK) == {"mgr_bhw"} and mailoutbox == []


def test_the_preferences_page_saves_checkboxes_and_is_audited(client, manager):
    login(client, manager)
    page = client.get(reverse("alerts:preferences")).content.decode()
    assert page.count('type="checkbox"') == len(Rule)
    assert 'id="id_high_risk" checked' in page and 'id="id_export_finished" checked' not in page
    response = client.post(reverse("alerts:preferences"), {"export_finished": "on", "security": "on"})
    assert response.status_code == 302
    assert dict(NotificationPreference.objects.filter(user=manager).values_list("rule", "email")) == {
        "high_risk": False,
        "suspect_seen_again": False,
        "export_finished": True,
        "security": True,
        "case_unassigned": False,
        "case_assigned": False,
        "home_alarm": False,
        "follow_up_due": False,
        "closure_requested": False,
        "hearing_due": False,
        "reoffending": False,
    }
    event = AccessEvent.objects.get(action="alerts.preferences")
    assert event.actor == manager
    assert event.details["changed"] == [
        "case_assigned",
        "case_unassigned",
        "export_finished",
        "hearing_due",
        "high_risk",
        "home_alarm",
        "reoffending",
        "suspect_seen_again",
    ]


# --- rule 2: a suspect seen again (more in test_alerts_suspect_seen_again.py) ----------------------------


@pytest.fixture
def earlier_at_brg(brg):
    """A submitted interception at another station whose suspect SUSPECT has SUSPECT_PHONE."""
    brg_monitor = member(Role.MONITOR, station=brg, username="mon_brg_r2")
    return make_interception(
        brg_monitor,
        brg,
        certainty=2,
        people=[person("Gita"), person(SUSPECT, role="suspect", phone=SUSPECT_PHONE)],
    )


def submit_with_suspect_phone(monitor, station, phone):
    return make_interception(
        monitor, station, certainty=2, people=[person(VICTIM), person(SUSPECT, role="suspect", phone=phone)]
    )


def test_a_suspect_seen_before_alerts_the_legal_officers_who_see_both(
    committed, mailoutbox, monitor, manager, legal_bhw, legal_np, earlier_at_brg, bhw, brg
):
    staff(Role.LEGAL_OFFICER, station=brg, username="legal_brg")  # sees the earlier one only
    with committed():
        new = submit_with_suspect_phone(monitor, bhw, "+977 984-1000001")  # stored normalised
    assert recipients(Rule.SUSPECT_SEEN_AGAIN) == {"legal_np"}  # legal_bhw cannot see the BRG record
    notification = Notification.objects.get(rule=Rule.SUSPECT_SEEN_AGAIN)
    assert new.number in notification.body and earlier_at_brg.number in notification.body
    assert notification.url == f"/interceptions/{new.pk}/"
    assert mailed_to(mailoutbox) == ["legal_np@example.org"]
    for secret in (SUSPECT_PHONE, "9841000001", SUSPECT, "Hari"):
        assert secret not in notification.title + notification.body + mailoutbox[0].body
    assert not Notification.objects.filter(rule=Rule.HIGH_RISK).exists()


def test_a_shared_earlier_interception_counts_as_seen(
    committed, monitor, legal_bhw, earlier_at_brg, bhw, brg_manager
):
    # shared with its phones (view_sensitive); a masked share does not count (test_alert_phone_privacy.py)
    interception_services.interception_share(
        actor=brg_manager, interception=earlier_at_brg, level="view_sensitive", user=legal_bhw
    )
    with committed():
        submit_with_suspect_phone(monitor, bhw, SUSPECT_PHONE)
    assert recipients(Rule.SUSPECT_SEEN_AGAIN) == {"legal_bhw"}


def test_the_same_name_without_the_same_phone_is_no_match(
    committed, monitor, legal_np, earlier_at_brg, bhw, brg
):
    brg_monitor = member(Role.MONITOR, station=brg, username="mon_brg_empty")
    make_interception(
        brg_monitor, brg, certainty=2, people=[person("A"), person("B", role="suspect", phone="")]
    )
    with committed():
        submit_with_suspect_phone(monitor, bhw, "")  # the name alone is below the alert threshold
        submit_with_suspect_phone(monitor, bhw, "+9779841000002")  # another number
        # the same number on a potential victim, not a suspect
        make_interception(
            monitor,
            bhw,
            certainty=2,
            people=[person(SUSPECT, phone=SUSPECT_PHONE), person("S", role="suspect")],
        )
    assert not Notification.objects.filter(rule=Rule.SUSPECT_SEEN_AGAIN).exists()


def test_only_earlier_submissions_count(committed, monitor, legal_np, bhw):
    draft = make_interception(
        monitor,
        bhw,
        certainty=2,
        submit=False,
        people=[person("A"), person(SUSPECT, role="suspect", phone=SUSPECT_PHONE)],
    )
    with committed():
        first = submit_with_suspect_phone(monitor, bhw, SUSPECT_PHONE)
    assert not Notification.objects.exists()  # a draft is not an earlier interception
    with committed():
        data = interception_services.data_from_instance(draft)
        interception_services.interception_update(
            actor=monitor, interception=draft, expected_version=draft.version, data=data, submit=True
        )
        tasks.evaluate_interception(first.pk)  # re-running the first: the later one is not "earlier"
    (notification,) = Notification.objects.filter(rule=Rule.SUSPECT_SEEN_AGAIN)
    assert notification.subject_key == f"interception:{draft.pk}" and first.number in notification.body


# --- rule 3: exports ------------------------------------------------------------------------------------


def test_export_finished_tells_the_user_in_the_app_only_by_default(manager, mailoutbox, committed):
    with committed():
        n = services.notify_export_finished(
            job_id=987654, user=manager, ok=True, number="EXP-2026-00007", url="/exports/987654/"
        )
        again = services.notify_export_finished(
            job_id=987654, user=manager, ok=True, number="EXP-2026-00007", url="/exports/987654/"
        )
    assert again is None and Notification.objects.count() == 1
    assert (n.rule, n.subject_key, n.url) == (Rule.EXPORT_FINISHED, "export:987654", "/exports/987654/")
    assert "EXP-2026-00007" in n.title and "ready" in n.body
    assert mailoutbox == []


def test_export_failed_is_emailed_when_chosen(manager, mailoutbox, committed):
    services.preferences_set(actor=manager, email={Rule.EXPORT_FINISHED: True})
    with committed():
        n = services.notify_export_finished(job_id=31337, user=manager, ok=False, url="/exports/31337/")
    assert n.subject_key == "export:31337" and "#31337" in n.title and "failed" in n.body
    (message,) = mailoutbox
    assert message.subject == "[Interception CMS] Export #31337 failed"
    assert f"{settings.SITE_URL}/exports/31337/" in message.body
    with pytest.raises(ValueError):
        services.notify_export_finished(job_id=1, user=manager, ok=True, url="https://evil.example/")


# --- rule 4: security -----------------------------------------------------------------------------------


def fail_logins(client, username, times):
    return [
        client.post(reverse("login"), {"username": username, "password": "wrong"}).status_code
        for _ in range(times)
    ]


def test_repeated_failed_logins_alert_the_admins_once(committed, client, monitor, admins, mailoutbox):
    with committed():
        assert fail_logins(client, monitor.username, 4) == [200] * 4
    assert not Notification.objects.exists()
    with committed():
        assert fail_logins(client, monitor.username, 1) == [429]  # django-axes locks the fifth
        fail_logins(client, monitor.username, 2)
    assert AccessEvent.objects.filter(action="login.failed", details__key=f"user:{monitor.pk}").count() == 7
    assert recipients(Rule.SECURITY) == {"admin_role", "root"}
    n = Notification.objects.filter(rule=Rule.SECURITY).first()
    assert (
        n.subject_key.startswith(f"login:user:{monitor.pk}:") and len(n.subject_key.rsplit(":", 1)[1]) == 10
    )
    assert n.url == f"/admin/accounts/user/{monitor.pk}/change/"
    assert f"account #{monitor.pk}" in n.body and monitor.username not in n.body
    assert mailed_to(mailoutbox) == ["admin_role@example.org", "root@example.org"]


def test_failed_logins_for_an_unknown_name_do_not_echo_it(committed, client, admins):
    with committed():
        fail_logins(client, "call +1-555-0100 now", 5)
    n = Notification.objects.filter(rule=Rule.SECURITY).first()
    assert "does not exist" in n.body and "555" not in n.body + n.title


def test_repeated_denied_accesses_alert_the_admins(committed, client, monitor, other_monitor, admins, bhw):
    interception = make_interception(monitor, bhw, certainty=2)
    login(client, other_monitor)
    url = reverse("interception:detail", args=[interception.pk])
    with committed():
        assert {client.get(url).status_code for _ in range(9)} == {404}
    assert not Notification.objects.exists()
    with committed():
        client.get(url)
        client.get(
            reverse("interception:detail", args=[interception.pk + 1000])
        )  # no such record: not logged
    assert AccessEvent.objects.filter(action="access.denied", actor=other_monitor).count() == 10
    assert recipients(Rule.SECURITY) == {"admin_role", "root"}
    n = Notification.objects.filter(rule=Rule.SECURITY).first()
    assert n.subject_key.startswith(f"denied:{other_monitor.pk}:")
    assert interception.number not in n.body


# --- pages ----------------------------------------------------------------------------------------------


def notifications_for(user, count, rule=Rule.EXPORT_FINISHED):
    return [
        Notification.objects.create(
            recipient=user, rule=rule, subject_key=f"test:{i}", title=f"Note {i}", body="b", url="/exports/"
        )
        for i in range(count)
    ]


def test_the_list_shows_own_notifications_newest_first(client, manager, legal_bhw):
    notifications_for(legal_bhw, 1)
    mine = notifications_for(manager, 3)
    mine[0].read_at = mine[0].created_at
    mine[0].save()
    login(client, manager)
    html = client.get(reverse("alerts:list")).content.decode()
    assert html.index("Note 2") < html.index("Note 1") < html.index("Note 0")
    assert html.count("notification unread") == 2
    assert f"/notifications/{mine[0].pk}/read/" not in html and f"/notifications/{mine[1].pk}/read/" in html
    assert html.count('<li class="card notification') == 3  # not the legal officer's


def test_mark_read_and_mark_all_read(client, manager, legal_bhw):
    mine = notifications_for(manager, 3)
    theirs = notifications_for(legal_bhw, 1)[0]
    login(client, manager)
    assert (
        client.post(reverse("alerts:read", args=[mine[0].pk]), {"page": "1"})["Location"]
        == "/notifications/?page=1"
    )
    assert Notification.objects.filter(recipient=manager, read_at__isnull=True).count() == 2
    assert client.post(reverse("alerts:read", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("alerts:read", args=[mine[1].pk])).status_code == 405
    client.post(reverse("alerts:read-all"))
    assert not Notification.objects.filter(recipient=manager, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_header_shows_the_unread_count(client, manager):
    login(client, manager)
    page = client.get(reverse("interception:list")).content.decode()
    assert "Notifications</a>" in page and "unread-count" not in page
    mine = notifications_for(manager, 3)
    page = client.get(reverse("interception:list")).content.decode()
    assert '<span class="unread-count" title="3 unread">3</span>' in page
    services.notification_mark_read(actor=manager, notification_id=mine[0].pk)
    assert 'title="2 unread">2<' in client.get(reverse("alerts:list")).content.decode()


def test_the_list_page_runs_a_fixed_number_of_queries(client, manager, django_assert_max_num_queries):
    notifications_for(manager, 3)
    login(client, manager)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("alerts:list")).status_code == 200
    notifications_for(manager, 27, rule=Rule.HIGH_RISK)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("alerts:list")).content.decode()
    assert html.count('<li class="card notification') == 25 and 'title="30 unread"' in html


def test_the_unread_count_is_one_query(manager, django_assert_num_queries):
    from alerts.templatetags.alerts_tags import unread_notifications

    notifications_for(manager, 2)
    with django_assert_num_queries(1):
        assert unread_notifications(manager) == 2


# --- API ------------------------------------------------------------------------------------------------

API = "/api/v1/notifications/"


def test_api_lists_own_notifications_and_filters_unread(api, manager, legal_bhw):
    mine = notifications_for(manager, 3)
    notifications_for(legal_bhw, 2)
    services.notification_mark_read(actor=manager, notification_id=mine[0].pk)
    data = api(manager).get(API).json()
    assert data["count"] == 3 and [r["title"] for r in data["results"]] == ["Note 2", "Note 1", "Note 0"]
    assert set(data["results"][0]) == {
        "id",
        "rule",
        "rule_label",
        "title",
        "body",
        "url",
        "created_at",
        "read_at",
        "unread",
    }
    unread = api(manager).get(API, {"unread": "1"}).json()
    assert unread["count"] == 2 and all(r["unread"] for r in unread["results"])
    assert api(manager).get(API, {"unread": "0"}).json()["count"] == 1
    bad = api(manager).get(API, {"unread": "maybe"})
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["unread"]


def test_api_mark_read_own_only(api, manager, legal_bhw):
    mine = notifications_for(manager, 1)[0]
    theirs = notifications_for(legal_bhw, 1)[0]
    response = api(manager).post(f"{API}{mine.pk}/read/")
    assert response.status_code == 200 and response.json()["unread"] is False
    assert response.json()["read_at"]
    denied = api(manager).post(f"{API}{theirs.pk}/read/")
    assert denied.status_code == 404 and denied.json()["error"]["status"] == 404
    assert api(manager).post(f"{API}999999/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_api_is_closed_to_anonymous(api, manager):
    mine = notifications_for(manager, 1)[0]
    response = api().get(API)
    assert response.status_code == 401 and response.json()["error"]["status"] == 401
    assert api().post(f"{API}{mine.pk}/read/").status_code == 401


# --- through a real worker on the real broker ------------------------------------------------------------


def broker():
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


@pytest.fixture
def worker():
    broker().flushdb()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as w:
        yield w


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_alerts_and_emails_after_a_high_risk_submission(worker, mailoutbox, monitor, bhw):
    manager = staff(Role.STATION_MANAGER, station=bhw, username="mgr_worker")
    interception = make_interception(monitor, bhw, certainty=5)
    assert wait_for(lambda: Notification.objects.filter(recipient=manager, emailed_at__isnull=False).exists())
    assert wait_for(lambda: len(mailoutbox) == 1)
    assert mailoutbox[0].subject == f"[Interception CMS] High-risk interception {interception.number}"
    assert Notification.objects.count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_broker_messages_carry_no_personal_data(client, monitor, bhw):
    staff(Role.STATION_MANAGER, station=bhw, username="mgr_broker")
    staff(Role.LEGAL_OFFICER, station=bhw, username="legal_broker")
    redis_client = broker()
    redis_client.flushdb()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_interception(monitor, bhw, certainty=5)
        raise RuntimeError("rolled back")
    assert redis_client.llen("celery") == 0  # nothing queued for a rolled-back interception
    make_interception(
        monitor,
        bhw,
        certainty=5,
        place=PLACE,
        reason=REASON,
        people=[
            person(VICTIM, phone=VICTIM_PHONE),
            person("Hari Bahadur", role="suspect", phone=SUSPECT_PHONE),
        ],
    )
    fail_logins(client, monitor.username, 1)
    raw = redis_client.lrange("celery", 0, -1)
    messages = [json.loads(m) for m in raw]
    names = sorted(m["headers"]["task"] for m in messages)
    assert names == [
        "alerts.tasks.evaluate_interception",
        "alerts.tasks.security_check",
        "interception.tasks.recompute_daily_tally",
        "people.suggest_matches",  # one per appearance: ids only
        "people.suggest_matches",
    ]
    for message, blob in zip(messages, raw, strict=True):
        body = base64.b64decode(message["body"]).decode()
        for text in (body, blob.decode()):
            for secret in (
                VICTIM,
                "Sita",
                VICTIM_PHONE,
                "9812345678",
                PLACE,
                "Belahiya",
                REASON,
                "Hari",
                SUSPECT_PHONE,
            ):
                assert secret not in text
    redis_client.flushdb()
