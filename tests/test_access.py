"""Roles, sharing, masking, history and login security."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from knox.models import AuthToken

from accounts import services as account_services
from accounts.permissions_doc import BEGIN, END, render
from accounts.roles import Role
from audit.models import AccessEvent
from interception import services
from interception.models import Attachment

from .factories import PASSWORD, CountryFactory, StationFactory, login, make_interception, member, person

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
URL = "/api/v1/interceptions/"


@pytest.fixture
def record(monitor, bhw):
    interception = make_interception(
        monitor,
        bhw,
        people=[
            person("Sita Tamang", gender="female", age=17, phone="+9779800000001", address="Butwal-5"),
            person("Ram", role="suspect"),
        ],
        reason="Met the man on Facebook.",
    )
    services.attachment_add(
        actor=monitor, interception=interception, uploaded_file=SimpleUploadedFile("face.jpg", JPEG)
    )
    return interception


@pytest.fixture
def outsider(db):
    india = CountryFactory(code="IN", name="India")
    return member(Role.MONITOR, station=StationFactory(code="DEL", country=india), username="lawyer")


def page(client, user, interception):
    login(client, user)
    return client.get(reverse("interception:detail", args=[interception.pk]))


def test_permissions_document_is_generated_from_the_table():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "permissions.md").read_text()
    generated = doc.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert generated == render().strip(), "run: python manage.py permissions_table --write"


def test_country_role_covers_every_station_of_that_country_only(record, nepal, brg, api):
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    other = member(Role.COUNTRY_DIRECTOR, country=CountryFactory(code="IN", name="India"), username="dir_in")
    assert len(api(director).get(URL).json()["results"]) == 1
    assert api(other).get(URL).json()["results"] == []
    assert api(other).get(f"{URL}{record.pk}/").status_code == 404


def test_without_view_sensitive_the_record_is_masked_in_page_api_history_and_download(
    client, record, nepal, api
):
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    html = page(client, director, record).content.decode()
    for secret in ["Sita Tamang", "+9779800000001", "Butwal-5", "Met the man on Facebook", "face.jpg"]:
        assert secret not in html
    assert "[restricted]" in html and "Photo (restricted)" in html
    data = api(director).get(f"{URL}{record.pk}/").json()
    assert data["sensitive_visible"] is False
    assert (
        data["interceptees"][0]["name"] == "[restricted]"
        and data["interceptees"][0]["phone"] == "[restricted]"
    )
    assert data["interceptees"][0]["age"] == 17 and data["interceptees"][0]["gender"] == "female"
    assert data["reason"] == "[restricted]"
    assert data["attachments"] == [{"id": record.attachments.get().pk, "kind": "photo", "restricted": True}]
    attachment = record.attachments.get()
    assert client.get(reverse("interception:attachment", args=[record.pk, attachment.pk])).status_code == 404
    assert api(director).get(f"{URL}{record.pk}/attachments/{attachment.pk}/").status_code == 404
    # and the director cannot edit what they cannot read
    assert client.get(reverse("interception:edit", args=[record.pk])).status_code == 404


def test_with_view_sensitive_the_record_is_shown_whole(client, record, monitor, api):
    html = page(client, monitor, record).content.decode()
    # the phone in the national format of the station's country (stored as +9779800000001)
    assert "Sita Tamang" in html and "980-0000001" in html and "Met the man on Facebook" in html
    data = api(monitor).get(f"{URL}{record.pk}/").json()
    assert data["interceptees"][0]["name"] == "Sita Tamang" and data["reason"] == "Met the man on Facebook."
    response = client.get(data["attachments"][0]["url"])
    assert response.status_code == 200 and b"".join(response.streaming_content) == JPEG


def test_sharing_one_record_takes_effect_at_once_and_is_logged(client, record, manager, outsider, api):
    attachment = record.attachments.get()
    assert api(outsider).get(f"{URL}{record.pk}/").status_code == 404
    services.interception_share(actor=manager, interception=record, level="view", user=outsider)
    data = api(outsider).get(f"{URL}{record.pk}/").json()
    assert data["number"] == record.number and data["interceptees"][0]["name"] == "[restricted]"
    assert api(outsider).get(f"{URL}{record.pk}/attachments/{attachment.pk}/").status_code == 404
    assert len(api(outsider).get(URL).json()["results"]) == 1

    services.interception_share(actor=manager, interception=record, level="view_sensitive", user=outsider)
    assert api(outsider).get(f"{URL}{record.pk}/").json()["interceptees"][0]["name"] == "Sita Tamang"
    assert api(outsider).get(f"{URL}{record.pk}/attachments/{attachment.pk}/").status_code == 200
    # a share is for viewing only
    patch = api(outsider).patch(f"{URL}{record.pk}/", {"place": "x", "version": 1}, format="json")
    assert patch.status_code == 403

    services.interception_unshare(actor=manager, interception=record, user=outsider)
    assert api(outsider).get(f"{URL}{record.pk}/").status_code == 404
    actions = list(AccessEvent.objects.filter(object_id=str(record.pk)).values_list("action", flat=True))
    assert actions.count("interception.share") == 2 and "interception.unshare" in actions


def test_records_are_shared_with_users_only_not_groups(client, record, manager, monitor, outsider, api):
    legal_team = Group.objects.create(name="legal-aid")
    outsider.groups.add(legal_team)
    # the API refuses a group, with a clear message, and shares nothing
    response = api(manager).post(
        f"{URL}{record.pk}/shares/", {"group": "legal-aid", "level": "view"}, format="json"
    )
    assert response.status_code == 400
    assert "users only" in response.json()["error"]["fields"]["group"][0]
    # so does the service
    with pytest.raises(ValidationError) as refused:
        services.interception_share(actor=manager, interception=record, level="view", group=legal_team)
    assert "users only" in str(refused.value)
    assert api(outsider).get(f"{URL}{record.pk}/").status_code == 404
    # the page's form asks for a username only; a user share works from it
    login(client, manager)
    html = client.get(reverse("interception:detail", args=[record.pk])).content.decode()
    assert 'name="kind"' not in html and "Share with (username)" in html
    response = client.post(
        reverse("interception:share", args=[record.pk]), {"name": "lawyer", "level": "view"}
    )
    assert response.status_code == 302
    assert api(outsider).get(f"{URL}{record.pk}/").status_code == 200
    shares = api(manager).get(f"{URL}{record.pk}/shares/").json()
    assert shares == [{"kind": "user", "name": "lawyer", "level": "view"}]
    api(manager).post(f"{URL}{record.pk}/shares/", {"user": "lawyer", "level": "none"}, format="json")
    assert api(outsider).get(f"{URL}{record.pk}/").status_code == 404
    # a monitor may not share: the share page and API answer as if the record were not there for sharing
    assert (
        api(monitor).post(f"{URL}{record.pk}/shares/", {"user": "lawyer", "level": "view"}).status_code == 403
    )
    login(client, monitor)
    assert (
        client.post(
            reverse("interception:share", args=[record.pk]), {"name": "lawyer", "level": "view"}
        ).status_code
        == 404
    )
    assert api(outsider).get(f"{URL}{record.pk}/").status_code == 404


@pytest.mark.parametrize("grants", [0, 25])
def test_list_query_count_is_fixed_with_sharing_grants(
    client, manager, outsider, bhw, grants, api, django_assert_max_num_queries
):
    records = [make_interception(manager, bhw) for _ in range(max(grants, 3))]
    for interception in records[:grants]:
        services.interception_share(
            actor=manager, interception=interception, level="view_sensitive", user=outsider
        )
    login(client, outsider)
    token_client = api(outsider)
    # 20: + the page's ids before its rows (core/pagination.py), + the access profile read up front.
    with django_assert_max_num_queries(20):
        assert client.get(reverse("interception:list")).status_code == 200
    with django_assert_max_num_queries(16):  # + companions, documents, route (the whole record)
        assert len(token_client.get(URL).json()["results"]) == grants


def test_history_shows_who_changed_what(client, record, manager):
    data = services.data_from_instance(record)
    data.place = "Bus park"
    data.interceptees[0].phone = "+9779811111111"
    services.interception_update(actor=manager, interception=record, expected_version=1, data=data)
    html = page(client, manager, record).content.decode()
    assert "Belahiya checkpoint</del> → <ins>Bus park" in html
    assert "+9779800000001</del> → <ins>+9779811111111" in html
    assert "mgr_bhw" in html


def test_denied_access_is_logged_and_answers_404(client, record, other_monitor):
    assert page(client, other_monitor, record).status_code == 404
    event = AccessEvent.objects.get(action="access.denied")
    assert event.actor == other_monitor and event.object_id == str(record.pk)
    assert event.object_type == "interception" and event.station == record.station


def test_who_accessed_this_panel_for_station_managers_only(client, record, manager, monitor):
    page(client, monitor, record)
    html = page(client, manager, record).content.decode()
    assert 'id="access-log"' in html and "mon_bhw" in html
    assert 'id="access-log"' not in page(client, monitor, record).content.decode()


def test_station_manager_deletes_an_attachment(
    client, record, manager, monitor, private_media, django_capture_on_commit_callbacks
):
    attachment = record.attachments.get()
    path = attachment.file.path
    login(client, monitor)
    url = reverse("interception:attachment-delete", args=[record.pk, attachment.pk])
    assert client.post(url).status_code == 404
    login(client, manager)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    assert not Attachment.objects.exists()
    assert AccessEvent.objects.filter(action="attachment.delete").exists()
    assert not Path(path).exists()


# --- login security ---------------------------------------------------------------------------


def test_mfa_is_required_for_roles_that_see_sensitive_data(client, monitor, nepal, api):
    client.force_login(monitor)
    response = client.get(reverse("interception:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa-enrol"))
    assert client.get("/api/v1/interceptions/").status_code == 403
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np")
    client.force_login(director)
    assert client.get(reverse("interception:list")).status_code == 200


def test_a_share_with_sensitive_details_also_requires_mfa(client, record, manager, outsider):
    outsider.memberships.all().delete()
    client.force_login(outsider)
    assert client.get(reverse("interception:list")).status_code == 200
    services.interception_share(actor=manager, interception=record, level="view_sensitive", user=outsider)
    assert client.get(reverse("interception:list")).status_code == 302


def test_failed_logins_are_logged_and_lock_the_account(client, monitor):
    statuses = [
        client.post(reverse("login"), {"username": monitor.username, "password": "wrong"}).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks the account
    failed = AccessEvent.objects.filter(action="login.failed", details__key=f"user:{monitor.pk}")
    assert failed.count() == 5
    locked = client.post(reverse("login"), {"username": monitor.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_deactivating_a_user_ends_sessions_and_token_at_once(client, monitor, manager, api):
    login(client, monitor)
    token_client = api(monitor)
    assert client.get(reverse("interception:list")).status_code == 200
    assert token_client.get(URL).status_code == 200
    account_services.user_deactivate(actor=manager, user=monitor)
    assert client.get(reverse("interception:list")).status_code == 302
    assert token_client.get(URL).status_code == 401
    assert not AuthToken.objects.filter(user=monitor).exists()
    event = AccessEvent.objects.get(action="user.deactivate")
    assert event.details["sessions_ended"] == 1 and event.details["tokens_revoked"] == 1


def test_password_validators_refuse_weak_passwords():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("password1")


def test_security_headers_and_csp_without_unsafe_inline(client):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_production_settings_pass_the_deploy_check():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("SECURE_", "SESSION_COOKIE", "CSRF_COOKIE", "STATICFILES", "DEBUG", "DJANGO_ALLOW")
        )
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="k3v!9q-production-like-secret-key-for-the-deploy-check-0123456789abcdef",
        ALLOWED_HOSTS="cms.example.org",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env["DEBUG"] = "0"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_admin_can_reset_mfa_but_never_sees_the_secret(client, monitor, manager):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .factories import totp_device

    totp_device(monitor)
    account_services.mfa_reset(actor=manager, user=monitor)
    assert not TOTPDevice.objects.filter(user=monitor).exists()
    assert AccessEvent.objects.filter(action="mfa.reset", object_id=str(monitor.pk)).exists()
    client.force_login(monitor)
    assert client.get(reverse("interception:list"))["Location"].startswith(reverse("mfa-enrol"))
