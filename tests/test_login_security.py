"""Second factor and login (issue 7, items 1–4), driven through the real login form with real CSRF tokens:
what a password-only session can reach, when an authenticator may be enrolled or replaced, lockout per
account and per client IP behind trusted proxies, what is kept of a mistyped username, and who needs MFA."""

import base64
import json
import re
import time

import pytest
import redis
from axes.models import AccessAttempt
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services as account_services
from accounts.roles import Role
from alerts import services as alert_services
from alerts.models import Notification, Rule
from audit.models import AccessEvent

from .factories import PASSWORD, UserFactory, login, make_interception, member, totp_code, totp_device

pytestmark = pytest.mark.django_db

TYPED = "Parbati-Typed-Zq7x#pw"  # a distinctive string typed into the username field


# --- the real path: forms, CSRF tokens ------------------------------------------------------------------


def browser(ip="192.0.2.10", **extra) -> Client:
    return Client(
        enforce_csrf_checks=True, REMOTE_ADDR=ip, HTTP_USER_AGENT="Mozilla/5.0 (Android 13; SM-A145)", **extra
    )


def form_token(client, url) -> str:
    """The CSRF token of the form on the page at `url` (GET, as a browser would load it)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)


def cookie_token(client) -> str:
    return client.cookies[settings.CSRF_COOKIE_NAME].value


def log_in(client, username, password=PASSWORD, **extra):
    token = form_token(client, reverse("login"))
    return client.post(
        reverse("login"),
        {"username": username, "password": password, "csrfmiddlewaretoken": token},
        **extra,
    )


def post(client, url, data, **extra):
    return client.post(url, {**data, "csrfmiddlewaretoken": cookie_token(client)}, **extra)


def code_at(device, step_offset=0) -> str:
    return (
        f"{totp(device.bin_key, device.step, device.t0, device.digits, drift=step_offset):0{device.digits}d}"
    )


def lands_on(response, name) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse(name))


@pytest.fixture
def record(monitor, bhw):
    return make_interception(monitor, bhw)


# --- item 1: a password-only session can verify a code or log out, nothing else -------------------------


def test_a_password_only_session_cannot_enrol_a_new_authenticator_or_read_cases(monitor, record):
    real = totp_device(monitor)
    client = browser()
    assert lands_on(log_in(client, monitor.username), "interception:list")
    detail = reverse("interception:detail", args=[record.pk])

    # The attack of the review: open the enrolment page, register a new authenticator, read cases.
    assert lands_on(client.get(reverse("mfa-enrol")), "mfa-verify")
    response = post(client, reverse("mfa-enrol"), {"code": "123456"})
    assert lands_on(response, "mfa-verify")
    assert list(TOTPDevice.objects.filter(user=monitor).values_list("pk", "confirmed")) == [(real.pk, True)]
    assert lands_on(client.get(reverse("mfa-manage")), "mfa-verify")
    assert lands_on(client.get(detail), "mfa-verify")
    assert lands_on(client.get(reverse("audit:events")), "mfa-verify")
    assert client.get("/api/v1/interceptions/").status_code == 403
    assert lands_on(client.get(reverse("admin:index")), "mfa-verify")

    # What it may do: enter a code (then it reads the record) ...
    assert post(client, reverse("mfa-verify"), {"code": code_at(real), "next": detail})["Location"] == detail
    assert client.get(detail).status_code == 200
    # ... or log out.
    other = browser()
    log_in(other, monitor.username)
    assert lands_on(post(other, reverse("logout"), {}), "login")
    assert "_auth_user_id" not in other.session


def test_a_user_without_an_authenticator_enrols_and_then_must_enter_codes(monitor, record):
    client = browser()
    log_in(client, monitor.username)
    assert lands_on(client.get(reverse("interception:list")), "mfa-enrol")
    page = client.get(reverse("mfa-enrol")).content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    response = post(client, reverse("mfa-enrol"), {"code": f"{totp(key):06d}"})
    assert response.status_code == 200 and len(re.findall(r"<li><code>", response.content.decode())) == 10
    assert AccessEvent.objects.filter(action="mfa.enrol", actor=monitor).exists()

    # From now on a new password-only session cannot enrol again: it must enter a code.
    again = browser()
    log_in(again, monitor.username)
    assert lands_on(again.get(reverse("mfa-enrol")), "mfa-verify")
    assert TOTPDevice.objects.filter(user=monitor).count() == 1


def test_after_an_audited_admin_reset_the_user_enrols_again(monitor, record, bhw):
    admin_user = UserFactory(username="root_reset", is_staff=True, is_superuser=True)
    totp_device(monitor)
    account_services.mfa_reset(actor=admin_user, user=monitor)
    assert AccessEvent.objects.filter(
        action="mfa.reset", actor=admin_user, object_id=str(monitor.pk)
    ).exists()
    client = browser()
    log_in(client, monitor.username)
    assert lands_on(client.get(reverse("interception:list")), "mfa-enrol")
    assert client.get(reverse("mfa-enrol")).status_code == 200


def test_a_verified_session_replaces_its_authenticator_only_after_a_current_code(monitor, record):
    monitor.email = "mon@example.org"
    monitor.save(update_fields=["email"])
    old = totp_device(monitor)
    client = browser()
    log_in(client, monitor.username)
    post(client, reverse("mfa-verify"), {"code": code_at(old)})
    assert client.get(reverse("interception:list")).status_code == 200

    # A verified session without a fresh code is sent to re-enter one first.
    assert lands_on(client.get(reverse("mfa-enrol")), "mfa-manage")
    response = post(client, reverse("mfa-manage"), {"code": "000000", "action": "replace"})
    assert response.status_code == 200 and "not valid" in response.content.decode()
    assert lands_on(client.get(reverse("mfa-enrol")), "mfa-manage")

    time.sleep(1.2)  # after a wrong code, django-otp throttles the next try for a second
    response = post(client, reverse("mfa-manage"), {"code": code_at(old, 1), "action": "replace"})
    assert lands_on(response, "mfa-enrol")
    page = client.get(reverse("mfa-enrol")).content.decode()
    assert "Set up a new authenticator" in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    response = post(client, reverse("mfa-enrol"), {"code": f"{totp(key):06d}"})
    assert response.status_code == 200 and "recovery-codes" in response.content.decode()

    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert TOTPDevice.objects.filter(user=monitor, confirmed=True).count() == 1
    event = AccessEvent.objects.get(action="mfa.replace", actor=monitor)
    note = Notification.objects.get(recipient=monitor, rule=Rule.SECURITY, subject_key=f"account:{event.pk}")
    assert "authenticator" in note.title and monitor.username not in note.title + note.body
    from django.core import mail

    assert alert_services.notification_send_email(notification_id=note.pk)
    assert mail.outbox[-1].to == ["mon@example.org"] and "replaced" in mail.outbox[-1].subject


def test_a_re_entered_code_expires_before_the_authenticator_can_be_replaced(monitor, record, settings):
    old = totp_device(monitor)
    client = browser()
    log_in(client, monitor.username)
    post(client, reverse("mfa-verify"), {"code": code_at(old)})
    assert lands_on(post(client, reverse("mfa-manage"), {"code": code_at(old, 1)}), "mfa-enrol")
    assert client.get(reverse("mfa-enrol")).status_code == 200
    pending = TOTPDevice.objects.get(user=monitor, confirmed=False)
    settings.MFA_REAUTH_SECONDS = 0
    time.sleep(0.1)
    response = post(client, reverse("mfa-enrol"), {"code": code_at(pending)})
    assert lands_on(response, "mfa-manage")
    assert TOTPDevice.objects.filter(pk=old.pk, confirmed=True).exists()
    assert not AccessEvent.objects.filter(action="mfa.replace").exists()


def test_new_recovery_codes_need_a_current_code_and_are_audited_and_notified(monitor, record):
    device = totp_device(monitor)
    client = browser()
    log_in(client, monitor.username)
    post(client, reverse("mfa-verify"), {"code": code_at(device)})
    old_codes = set(StaticToken.objects.filter(device__user=monitor).values_list("token", flat=True))

    response = post(client, reverse("mfa-manage"), {"code": code_at(device, 1), "action": "recovery_codes"})
    assert response.status_code == 200
    new_codes = set(re.findall(r"<li><code>([^<]+)</code>", response.content.decode()))
    assert len(new_codes) == 10 and not new_codes & old_codes
    assert set(StaticToken.objects.filter(device__user=monitor).values_list("token", flat=True)) == new_codes
    event = AccessEvent.objects.get(action="mfa.recovery_codes", actor=monitor)
    assert Notification.objects.filter(recipient=monitor, subject_key=f"account:{event.pk}").exists()
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()  # the authenticator stays


# --- item 2: lockout per account and per client IP ------------------------------------------------------


def fail(client, username, times=1):
    return [log_in(client, username, "wrong-password").status_code for _ in range(times)]


def test_default_limits_are_per_account_and_much_higher_per_ip():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_IP_FAILURE_LIMIT >= 10 * settings.AXES_FAILURE_LIMIT


def test_wrong_passwords_lock_the_account_but_not_the_station(monitor, manager):
    station = browser("198.51.100.20")
    assert fail(station, monitor.username, 5) == [200, 200, 200, 200, 429]
    page = log_in(station, monitor.username).content.decode()  # even with the right password
    assert 'data-reason="account"' in page and "This account is locked" in page
    # The account is locked wherever the next try comes from ...
    assert log_in(browser("203.0.113.99"), monitor.username).status_code == 429
    # ... while a colleague on the same station IP and the same phone model logs in.
    assert lands_on(log_in(browser("198.51.100.20"), manager.username), "interception:list")


def test_many_failures_from_one_ip_pause_it_without_blaming_an_account(settings, manager):
    settings.AXES_IP_FAILURE_LIMIT = 8
    cafe = browser("198.51.100.77")
    statuses = [log_in(cafe, f"guess{i}", "wrong").status_code for i in range(8)]
    assert statuses == [200] * 7 + [429]
    response = log_in(browser("198.51.100.77"), manager.username)  # typed nothing wrong
    page = response.content.decode()
    assert response.status_code == 429 and 'data-reason="ip"' in page
    assert "this account" not in page.lower() and "not about anything you typed" in page
    assert lands_on(log_in(browser("198.51.100.78"), manager.username), "interception:list")


def test_the_real_client_ip_behind_trusted_proxies_is_counted_and_logged(settings, monitor):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_IP_FAILURE_LIMIT = 6
    behind_proxy = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.0.0.2")
    for i in range(3):  # the client rotates what it writes into X-Forwarded-For: it does not help
        log_in(behind_proxy, f"guess{i}", "wrong", HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 203.0.113.5")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    ips = set(AccessEvent.objects.filter(action="login.failed").values_list("ip", flat=True))
    assert ips == {"203.0.113.5"}

    settings.TRUSTED_PROXY_COUNT = 0  # no proxy trusted: X-Forwarded-For is ignored
    log_in(
        Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.9"), "x", "y", HTTP_X_FORWARDED_FOR="6.6.6.6"
    )
    assert AccessEvent.objects.filter(action="login.failed", ip="198.51.100.9").exists()
    assert not AccessAttempt.objects.filter(ip_address="6.6.6.6").exists()


def test_admins_see_active_lockouts_and_lifting_one_is_audited(monitor):
    fail(browser("198.51.100.30"), monitor.username, 5)
    assert log_in(browser(), monitor.username).status_code == 429
    root = UserFactory(username="root_lift", is_staff=True, is_superuser=True)
    admin_client = login(Client(enforce_csrf_checks=True), root)
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = admin_client.get(changelist + "?locked=yes").content.decode()
    assert f"account #{monitor.pk}" in page and ">account<" in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    response = admin_client.post(
        changelist, {"action": "lift", "_selected_action": ids, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    event = AccessEvent.objects.get(action="lockout.lift")
    assert event.actor == root and event.details["accounts"] == [monitor.pk]
    assert lands_on(log_in(browser(), monitor.username), "interception:list")


def test_a_lockout_lift_by_someone_without_the_admin_is_refused(monitor, manager):
    fail(browser("198.51.100.31"), monitor.username, 5)
    client = login(Client(enforce_csrf_checks=True), manager)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 302
    assert AccessAttempt.objects.exists()


# --- item 3: the typed username is never kept in clear, nor sent through the broker -----------------------


def text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND data_type IN ('character varying', 'text', 'json', 'jsonb', 'character')"
        )
        return cursor.fetchall()


def rows_containing(text: str) -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table, column in text_columns():
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE %s', [f"%{text}%"])
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


def redis_values(client) -> list[bytes]:
    values = []
    for key in client.scan_iter():
        kind = client.type(key)
        if kind == b"list":
            values += client.lrange(key, 0, -1)
        elif kind == b"string":
            values.append(client.get(key))
        elif kind == b"hash":
            values += [k + b"=" + v for k, v in client.hgetall(key).items()]
        elif kind in (b"set", b"zset"):
            values += list(client.smembers(key)) if kind == b"set" else client.zrange(key, 0, -1)
        values.append(key)
    return values


def test_a_typed_username_is_kept_nowhere_in_clear_and_never_reaches_the_broker(
    monitor, django_capture_on_commit_callbacks
):
    UserFactory(username="root_alerts", email="root@example.org", is_staff=True, is_superuser=True)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.flushdb()
    client = browser("198.51.100.40")
    with django_capture_on_commit_callbacks(execute=True):
        assert fail(client, TYPED, 5) == [200, 200, 200, 200, 429]
        fail(client, monitor.username, 1)

    assert rows_containing(TYPED) == []
    assert rows_containing("Zq7x") == []
    blobs = redis_values(broker)
    assert blobs, "the failed logins queued their security check"
    messages = []
    for blob in blobs:
        assert TYPED.encode() not in blob and b"Zq7x" not in blob
        try:
            messages.append(json.loads(blob))
        except ValueError:
            continue
    bodies = [base64.b64decode(m["body"]).decode() for m in messages if isinstance(m, dict) and "body" in m]
    assert all(TYPED not in body for body in bodies)
    sent = [json.loads(body) for body in bodies]  # [args, kwargs, embed] of each task message
    keys = {
        v
        for args, kwargs, _ in sent
        for v in [*args, *kwargs.values()]
        if str(v).startswith(("user:", "name:"))
    }
    assert f"user:{monitor.pk}" in keys and any(k.startswith("name:") for k in keys)
    broker.flushdb()

    # The lockout and the access log count under the key; the admins' alert works on it.
    (name_key,) = {k for k in keys if k.startswith("name:")}
    assert AccessAttempt.objects.get(username=name_key).failures_since_start >= 4
    assert AccessEvent.objects.filter(action="login.failed", details__key=name_key).count() == 5
    (alert,) = alert_services.security_check(kind="login", key=name_key)
    assert "does not exist" in alert.body and TYPED not in alert.title + alert.body + alert.subject_key


# --- item 4: auditors, admins, staff and superusers need the second factor too --------------------------


@pytest.mark.parametrize("who", ["auditor", "admin_role", "staff", "superuser"])
def test_auditors_admins_staff_and_superusers_need_the_second_factor(who, bhw):
    if who == "auditor":
        user = member(Role.AUDITOR, station=bhw, username="aud_bhw")
    elif who == "admin_role":
        user = member(Role.ADMIN, station=bhw, username="adm_bhw")
    else:
        user = UserFactory(username=who, is_staff=True, is_superuser=who == "superuser")
    client = browser()
    log_in(client, user.username)
    assert lands_on(client.get(reverse("audit:events")), "mfa-enrol")
    assert lands_on(client.get(reverse("interception:list")), "mfa-enrol")
    assert client.get("/api/v1/audit/events/").status_code == 403
    device = totp_device(user)
    assert post(client, reverse("mfa-verify"), {"code": totp_code(device)}).status_code == 302
    assert client.get(reverse("interception:list")).status_code == 200
