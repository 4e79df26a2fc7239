"""Production hygiene (issue 7, items 12-14): DEBUG only from the configuration, seed_demo only on a demo
database, no-store on every response with personal data, and a deployment that makes the access log's
protections real (application role, daily anchor, a reverse proxy in front of gunicorn)."""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.mfa import DEMO_TOTP_KEY_HEX, demo_authenticator, is_demo_user
from accounts.models import Station, User
from accounts.roles import Role
from audit.models import AccessEvent
from audit.services import record_event

from .factories import login, make_interception, member, totp_device

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# 12. DEBUG comes from the configuration only ------------------------------------------------------------


@pytest.fixture
def checkout(tmp_path):
    """A checkout whose `.env` the test writes: config/ and manage.py copied (settings find `.env` beside
    them), every other top-level entry linked to the real one."""
    for entry in ROOT.iterdir():
        if entry.name in {".env", ".git", "var"}:
            continue
        if entry.name == "config":
            shutil.copytree(entry, tmp_path / "config", ignore=shutil.ignore_patterns("__pycache__"))
        elif entry.name in {"manage.py", "Makefile"}:
            shutil.copy(entry, tmp_path / entry.name)
        else:
            (tmp_path / entry.name).symlink_to(entry)
    return tmp_path


def manage_py(directory: Path, *args: str, **env_extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRINT_DEBUG = ("shell", "--no-imports", "-c", "from django.conf import settings; print(settings.DEBUG)")


def test_a_dotenv_with_debug_0_keeps_manage_py_out_of_debug(checkout):
    (checkout / ".env").write_text(
        "DEBUG=0\nSECRET_KEY=a-production-like-secret-key-for-this-test-0123456789\n"
    )
    result = manage_py(checkout, *PRINT_DEBUG)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_a_dotenv_with_debug_0_is_obeyed_and_only_silence_means_development(checkout):
    (checkout / ".env").write_text("DEBUG=0\n")
    result = manage_py(checkout, *PRINT_DEBUG)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    assert "DEBUG=1" in result.stderr  # says how to run a development command
    (checkout / ".env").unlink()
    result = manage_py(checkout, *PRINT_DEBUG)  # nothing says anything: a development checkout
    assert result.returncode == 0 and result.stdout.strip() == "True"


def test_debug_set_in_the_environment_or_dotenv_is_obeyed(checkout):
    assert manage_py(checkout, *PRINT_DEBUG, DEBUG="1").stdout.strip() == "True"
    (checkout / ".env").write_text("DEBUG=1\n")
    assert manage_py(checkout, *PRINT_DEBUG).stdout.strip() == "True"
    secret = "a-production-like-secret-key-for-this-test-0123456789"
    assert manage_py(checkout, *PRINT_DEBUG, DEBUG="0", SECRET_KEY=secret).stdout.strip() == "False"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_migrate_runs_with_debug_on_a_fresh_checkout_and_obeys_a_dotenv(checkout):
    def migrate_line() -> str:
        env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "MAKEFLAGS", "MAKELEVEL")}
        out = subprocess.run(["make", "-n", "migrate"], cwd=checkout, env=env, capture_output=True, text=True)
        return next(line for line in out.stdout.splitlines() if "manage.py migrate" in line)

    assert migrate_line().startswith("DEBUG=1 ")  # no .env: development, as before
    (checkout / ".env").write_text("DEBUG=0\nSECRET_KEY=x\n")
    assert "DEBUG=1" not in migrate_line()  # the .env wins


def test_run_sh_defaults_to_debug_only_when_nothing_sets_it(tmp_path):
    script = (ROOT / "scripts" / "run.sh").read_text()
    block = script[script.index("if [ -z") : script.index("fi\n", script.index("if [ -z")) + 3]

    def debug_after(dotenv: str | None, **env) -> str:
        if dotenv is not None:
            (tmp_path / ".env").write_text(dotenv)
        elif (tmp_path / ".env").exists():
            (tmp_path / ".env").unlink()
        base = {"PATH": os.environ["PATH"], **env}
        out = subprocess.run(
            ["bash", "-c", block + 'echo "${DEBUG-unset}"'],
            cwd=tmp_path,
            env=base,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()

    assert debug_after(None) == "1"
    assert debug_after("DEBUG=0\n") == "unset"  # left to settings, which read .env
    assert debug_after(None, DEBUG="0") == "0"


# 12. seed_demo only on a demo database; the published key only on users it creates ----------------------


def test_seed_demo_refuses_a_database_with_real_users():
    User.objects.create_user(username="sita.real", password="a-real-password-123")
    with pytest.raises(CommandError, match=r"1 user\(s\) that seed_demo did not create \(sita.real\)"):
        run("seed_demo", "--interceptions", "0", "--i-know-this-is-not-production")
    assert not Station.objects.exists()
    assert list(User.objects.values_list("username", flat=True)) == ["sita.real"]
    assert not TOTPDevice.objects.filter(key=DEMO_TOTP_KEY_HEX).exists()


def test_seed_demo_never_gives_the_published_key_to_an_existing_account_named_like_a_demo_user():
    real = User.objects.create_user(username="monitor", password="a-real-password-123")
    with pytest.raises(CommandError, match="did not create"):
        run("seed_demo", "--interceptions", "0", "--i-know-this-is-not-production")
    assert not TOTPDevice.objects.filter(user=real).exists()
    assert real.check_password("a-real-password-123")
    with pytest.raises(ValueError, match="only attached to users seed_demo creates"):
        demo_authenticator(real, created=False)
    assert not is_demo_user(real)


def test_seed_demo_runs_again_on_its_own_demo_database(catalogue):
    run("seed_demo", "--interceptions", "0", "--i-know-this-is-not-production")
    users = User.objects.count()
    assert users > 0 and all(is_demo_user(u) for u in User.objects.all())
    run("seed_demo", "--interceptions", "0", "--i-know-this-is-not-production")
    assert User.objects.count() == users
    User.objects.create_user(username="new.colleague", password="a-real-password-123")
    with pytest.raises(CommandError, match="new.colleague"):
        run("seed_demo", "--interceptions", "0", "--i-know-this-is-not-production")


# 13. Cache-Control: no-store ----------------------------------------------------------------------------


def assert_no_store(response):
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert "no-store" in directives and "private" in directives, (response.status_code, response.headers)


@pytest.fixture
def recorded(monitor, bhw, catalogue):
    return make_interception(monitor, bhw)


def test_login_and_two_step_pages_are_not_stored(client, monitor):
    assert_no_store(client.get(reverse("login")))
    totp_device(monitor)
    client.force_login(monitor)  # password step only
    assert_no_store(client.get(reverse("mfa-verify")))


def test_pages_with_personal_data_are_not_stored(client, monitor, recorded):
    login(client, monitor)
    listing = client.get(reverse("interception:list"))
    assert listing.status_code == 200 and recorded.number in listing.content.decode()
    assert_no_store(listing)
    detail = client.get(reverse("interception:detail", args=[recorded.pk]))
    assert detail.status_code == 200 and b"Sita Tamang" in detail.content
    assert_no_store(detail)


def test_api_responses_are_not_stored(api, monitor, recorded):
    response = api(monitor).get(f"/api/v1/interceptions/{recorded.pk}/")
    assert response.status_code == 200 and "Sita Tamang" in response.content.decode()
    assert_no_store(response)
    assert_no_store(api().get(f"/api/v1/interceptions/{recorded.pk}/"))  # the 401 too


def test_export_download_is_not_stored(client, bhw, recorded):
    from exports import services

    manager = member(Role.STATION_MANAGER, station=bhw, username="mgr_nostore")
    job = services.export_request(
        actor=manager, kind="interceptions", fmt="csv", deidentified=False, filters={}
    )
    services.export_run(job_id=job.pk)
    login(client, manager)
    response = client.get(reverse("exports:download", args=[job.pk]))
    assert response.status_code == 200
    assert recorded.number in b"".join(response.streaming_content).decode("utf-8-sig")
    assert_no_store(response)


def test_a_views_own_cache_headers_are_replaced_but_static_files_may_be_cached():
    from django.http import HttpResponse

    from core.middleware import NoStoreMiddleware

    def cacheable(request):
        response = HttpResponse("x")
        response["Cache-Control"] = "public, max-age=86400"
        return response

    middleware = NoStoreMiddleware(cacheable)
    page = middleware(RequestFactory().get("/interceptions/"))
    assert_no_store(page)
    assert "public" not in page["Cache-Control"] and "max-age=0" in page["Cache-Control"]
    static = middleware(RequestFactory().get(settings.STATIC_URL + "css/app.css"))
    assert static["Cache-Control"] == "public, max-age=86400"
    assert "core.middleware.NoStoreMiddleware" in settings.MIDDLEWARE


# 14. The application's database role -------------------------------------------------------------------


@pytest.fixture
def app_role(monkeypatch):
    """A fresh role set up by `db_app_role --apply`, inside the test's transaction (rolled back after)."""
    role = f"cms_app_test_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("APP_DB_PASSWORD", "it's a 100% secret")
    out = run("db_app_role", "--role", role, "--create", "--apply")
    assert f"Role {role} set up" in out and "secret" not in out
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolcanlogin, rolpassword IS NOT NULL FROM pg_authid WHERE rolname = %s", [role]
        )
        assert cursor.fetchone() == (True, True)
    assert "Role" in run("db_app_role", "--role", role, "--apply")  # safe to run again (every deploy)
    return role


def as_role(role: str, sql: str, params=None):
    """Run `sql` as `role` in a savepoint; return the error PostgreSQL raised (None if it succeeded)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{role}"')
            cursor.execute(sql, params)
            cursor.execute("RESET ROLE")
    except DatabaseError as exc:  # the savepoint's rollback also undoes SET ROLE
        return exc
    return None


def current_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def test_the_application_role_cannot_truncate_alter_or_disable_the_access_logs_triggers(app_role, monitor):
    record_event(actor=monitor, action="test.before")
    refused = {
        "TRUNCATE audit_accessevent": "permission denied",
        "TRUNCATE audit_accessevent CASCADE": "permission denied",
        "ALTER TABLE audit_accessevent DISABLE TRIGGER audit_accessevent_no_update": "must be owner",
        "ALTER TABLE audit_accessevent DISABLE TRIGGER ALL": "must be owner",
        "ALTER TABLE audit_accessevent ADD COLUMN note text": "must be owner",
        "DROP TRIGGER audit_accessevent_no_delete ON audit_accessevent": "must be owner",
        "DROP TABLE audit_accessevent": "must be owner",
        "UPDATE audit_accessevent SET action = 'x'": "permission denied",
        "DELETE FROM audit_accessevent": "permission denied",
        "INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())": "permission denied",
        "CREATE TABLE sneaky (id int)": "permission denied",
    }
    owner = current_user()
    for sql, message in refused.items():
        error = as_role(app_role, sql)
        assert error is not None and message in str(error), (sql, error)
        assert current_user() == owner
    assert AccessEvent.objects.filter(action="test.before").exists()

    # What the application does still works as that role: read and write records, append to the log.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{app_role}"')
        try:
            event = record_event(actor=monitor, action="test.as_app_role")
            User.objects.filter(pk=monitor.pk).update(first_name="Changed")
            cursor.execute("SELECT count(*) FROM audit_accessevent")
            assert cursor.fetchone()[0] >= 2
        finally:
            cursor.execute("RESET ROLE")
    assert AccessEvent.objects.get(pk=event.pk).prev_hash != ""
    run("audit_verify")


def test_db_app_role_prints_the_grants_without_applying_them():
    out = run("db_app_role", "--role", "cms_app", "--create")
    assert 'CREATE ROLE "cms_app" LOGIN NOSUPERUSER' in out
    assert 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "public" TO "cms_app"' in out
    assert 'REVOKE UPDATE, DELETE ON "public"."audit_accessevent" FROM "cms_app"' in out
    assert "ALTER DEFAULT PRIVILEGES FOR ROLE" in out and "TRUNCATE" not in out
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="different role"):
        run("db_app_role", "--role", owner, "--apply")
    with pytest.raises(CommandError, match="identifier"):
        run("db_app_role", "--role", 'x"; DROP TABLE audit_accessevent; --')


# 14. The daily anchor ----------------------------------------------------------------------------------


def test_the_daily_anchor_is_written_and_audit_verify_checks_the_log_against_it(
    settings, tmp_path, monitor, mailoutbox
):
    from audit import tasks

    settings.AUDIT_ANCHOR_DIR = str(tmp_path)
    settings.AUDIT_ANCHOR_EMAILS = ["auditors@example.org"]
    for n in range(3):
        record_event(actor=monitor, action=f"test.{n}")
    head = AccessEvent.objects.order_by("-id").first()

    line = tasks.export_anchor.apply().get()  # the task beat runs
    token = f"{head.pk}:{head.hash}"
    assert line.endswith(f"events={AccessEvent.objects.count()} anchor={token}")
    anchor_file = tmp_path / "audit-anchors.log"
    assert anchor_file.read_text() == line + "\n"
    assert (anchor_file.stat().st_mode & 0o777) == 0o640
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["auditors@example.org"]
    assert f"audit_verify --anchor {token}" in mailoutbox[0].body

    tasks.export_anchor.apply().get()  # a second run appends, never rewrites
    assert anchor_file.read_text().count("anchor=") == 2

    record_event(actor=monitor, action="test.after")
    assert "Access log intact" in run("audit_verify", "--anchor", token)
    assert "Access log intact" in run("audit_verify", "--anchor-file", str(anchor_file))
    wrong = f"{head.pk}:{'0' * 64}"
    with pytest.raises(CommandError, match=f"event {head.pk}: its hash differs from the anchor"):
        run("audit_verify", "--anchor", wrong)
    with pytest.raises(CommandError, match="missing"):
        run("audit_verify", "--anchor", f"{head.pk + 1000}:{head.hash}")

    # Emptying the log (what its owner could do) leaves a chain that verifies, but not against the anchor.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred check
        cursor.execute("TRUNCATE audit_accessevent")
    assert "Access log intact: 0 events" in run("audit_verify")
    with pytest.raises(CommandError, match=f"anchored event\\(s\\) {head.pk} missing"):
        run("audit_verify", "--anchor-file", str(anchor_file))


def test_beat_exports_the_anchor_daily():
    from celery.schedules import crontab

    from config.celery import app

    entry = next(
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "audit.tasks.export_anchor"
    )
    assert isinstance(entry["schedule"], crontab) and entry["options"]["queue"] == "audit_anchor"
    assert entry["schedule"].hour == {0} and entry["schedule"].day_of_week == set(range(7))
    app.loader.import_default_modules()
    assert "audit.tasks.export_anchor" in app.tasks


# 14. The reference deployment -------------------------------------------------------------------------


def test_compose_runs_migrations_as_owner_the_app_as_its_role_and_gunicorn_behind_a_proxy():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    # Every service that runs the application's image, apart from the migrate job.
    app_services = [n for n, svc in services.items() if svc.get("build") and n != "migrate"]
    assert {"web", "worker", "beat", "anchor-worker"} <= set(app_services)

    migrate = services["migrate"]
    assert migrate["restart"] == "no"
    assert "@postgres" in migrate["environment"]["DATABASE_URL"]
    owner = migrate["environment"]["DATABASE_URL"].split("//")[1].split(":")[0]
    command = " ".join(migrate["command"]) if isinstance(migrate["command"], list) else migrate["command"]
    assert (
        "manage.py migrate" in command and "manage.py db_app_role --role" in command and "--apply" in command
    )

    for name in app_services:
        service = services[name]
        user = service["environment"]["DATABASE_URL"].split("//")[1].split(":")[0]
        assert user != owner and user in command, name
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "POSTGRES_PASSWORD" not in str(service["environment"]), (
            f"{name} must not know the owner's password"
        )
        assert "ports" not in service, f"{name} must not be published"
    assert services["web"]["expose"] == ["8000"]
    assert "migrate" not in str(services["web"]["command"])

    proxy = next(s for s in services.values() if "caddy" in str(s.get("image", "")))
    assert any(str(p).endswith(":443") for p in proxy["ports"])
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "reverse_proxy web:8000" in caddyfile and "X-Forwarded-Proto" in caddyfile

    anchor_worker = services["anchor-worker"]  # the one worker that consumes the anchor's queue
    assert anchor_worker["command"][anchor_worker["command"].index("-Q") + 1] == "audit_anchor"
    assert anchor_worker["environment"]["AUDIT_ANCHOR_DIR"] == "/anchors"
    assert [str(v) for v in anchor_worker["volumes"]] == ["anchors:/anchors"]
    assert (
        "DATABASE_URL" in anchor_worker["environment"]
        and "cms_app" in anchor_worker["environment"]["DATABASE_URL"]
    )
    for name in ("web", "worker", "beat"):
        assert "-Q" not in services[name]["command"], name  # the main worker takes the default queue only
        assert not any("/anchors" in str(v) for v in services[name].get("volumes", [])), name
