"""Issue 7, item 5: being an admin gives no case content, and nothing an admin does goes unrecorded.

The admin is driven over HTTP as a browser would: a logged-in session (past MFA), the form fetched, and
posted back with its CSRF token (`Client(enforce_csrf_checks=True)`).
"""

from datetime import timedelta
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from accounts import services as account_services
from accounts.models import Membership, User
from accounts.roles import Role
from audit.models import AccessEvent
from interception import services as interception_services
from interception.models import RedFlag

from .factories import UserFactory, login, make_interception, member, person

VICTIM = "Bimala Ghising"
VICTIM_PHONE = "+9779811122233"
API_URL = "/api/v1/interceptions/"

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------------------
# helpers


class _Forms(HTMLParser):
    """The fields a browser would submit from each form of a page (checked boxes, selected options)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"attrs": a, "fields": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            kind, name = a.get("type", "text").lower(), a.get("name")
            if not name or kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self._form["fields"].append((name, a.get("value") or "on"))
                return
            self._form["fields"].append((name, a.get("value") or ""))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self._form["fields"].append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = [a.get("name"), ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form["fields"].append((self._textarea[0], self._textarea[1].lstrip("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = None


def form_data(response, form_id: str | None) -> dict[str, list[str]]:
    """The form `form_id` of an admin page (None: the page's POST form other than the logout button) as a
    browser would post it, CSRF token included."""
    assert response.status_code == 200, response.status_code
    parser = _Forms()
    parser.feed(response.content.decode())
    for form in parser.forms:
        attrs = form["attrs"]
        if attrs.get("id") == form_id or (
            form_id is None and attrs.get("method", "").lower() == "post" and attrs.get("id") != "logout-form"
        ):
            data: dict[str, list[str]] = {}
            for name, value in form["fields"]:
                data.setdefault(name, []).append(value)
            assert "csrfmiddlewaretoken" in data
            return data
    raise AssertionError(f"no form {form_id!r} on the page")


def browser(user) -> Client:
    """A browser that enforces CSRF, logged in as `user` past the second factor."""
    return login(Client(enforce_csrf_checks=True), user)


def submit(client, url, form_id, changes=None, drop=(), button="_save"):
    """GET `url`, change some fields of its form, POST it back with the CSRF token from the form."""
    data = form_data(client.get(url), form_id)
    for name in drop:
        data.pop(name, None)
    for name, value in (changes or {}).items():
        data[name] = value if isinstance(value, list) else [value]
    data[button] = ["Save"]
    return client.post(url, data)


def perms(*codenames_by_app: tuple[str, str]) -> list[Permission]:
    found = []
    for app_label, codename in codenames_by_app:
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def staff_admin(username="staff_admin", **kwargs) -> User:
    """A staff user who is not a superuser, with the admin role and the usual admin permissions."""
    user = UserFactory(username=username, is_staff=True, **kwargs)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["accounts", "auth", "knox"],
        ).exclude(content_type__model="permission")
        | Permission.objects.filter(content_type__app_label="interception", codename__endswith="redflag")
    )
    return user


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def events(action):
    return list(AccessEvent.objects.filter(action=action).order_by("id"))


# ---------------------------------------------------------------------------------------------------------
# API tokens


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_an_issued_api_token_is_stored_only_as_a_digest_and_is_never_shown_again(monitor, bhw):
    key = run("issue_token", monitor.username)
    token = AuthToken.objects.get(user=monitor)
    stored = " ".join(str(v) for v in AuthToken.objects.values_list().get())
    assert key not in stored, "the token itself must not be stored"
    assert token.digest != key and len(token.digest) == 128
    client = Client()
    assert client.get(API_URL, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    # Asking again issues a new token: the first one cannot be shown again, and both work until revoked.
    second = run("issue_token", monitor.username)
    assert second != key and AuthToken.objects.filter(user=monitor).count() == 2
    issued = events("token.issue")
    assert len(issued) == 2 and all(
        key not in str(e.details) and second not in str(e.details) for e in issued
    )
    assert issued[0].details["token"] == token.token_key[:8] and issued[0].object_id == str(monitor.pk)


def test_an_api_token_expires(monitor, settings):
    key = run("issue_token", monitor.username, "--expires-days", "2")
    token = AuthToken.objects.get(user=monitor)
    assert timedelta(days=1, hours=23) < token.expiry - timezone.now() <= timedelta(days=2)
    default = run("issue_token", monitor.username)
    latest = AuthToken.objects.filter(user=monitor).order_by("-created").first()
    assert timedelta(days=29) < latest.expiry - timezone.now() <= timedelta(days=30)  # API_TOKEN_TTL_DAYS
    AuthToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    response = Client().get(API_URL, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert Client().get(API_URL, HTTP_AUTHORIZATION=f"Token {default}").status_code == 200
    with pytest.raises(CommandError, match="between 1 and 366"):
        run("issue_token", monitor.username, "--expires-days", "0")


def test_an_anonymous_or_wrong_token_api_request_answers_401_with_www_authenticate(db, settings):
    assert "rest_framework.authtoken" not in settings.INSTALLED_APPS
    for headers in ({}, {"HTTP_AUTHORIZATION": "Token " + "0" * 64}):
        response = Client().get(API_URL, **headers)
        assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_revoke_tokens_revokes_one_token_or_all_and_is_logged(monitor):
    first = run("issue_token", monitor.username)
    second = run("issue_token", monitor.username)
    listing = run("revoke_tokens", monitor.username, "--list")
    assert first[:8] in listing and second[:8] in listing and first not in listing
    assert run("revoke_tokens", monitor.username, "--token", first[:8]) == f"Revoked 1 token(s) of {monitor}."
    assert Client().get(API_URL, HTTP_AUTHORIZATION=f"Token {first}").status_code == 401
    assert Client().get(API_URL, HTTP_AUTHORIZATION=f"Token {second}").status_code == 200
    assert run("revoke_tokens", monitor.username) == f"Revoked 1 token(s) of {monitor}."
    assert Client().get(API_URL, HTTP_AUTHORIZATION=f"Token {second}").status_code == 401
    revoked = events("token.revoke")
    assert [e.details["tokens"] for e in revoked] == [[first[:8]], [second[:8]]]
    with pytest.raises(CommandError, match="no token"):
        run("revoke_tokens", monitor.username, "--token", "deadbeef")


def test_the_admin_cannot_issue_a_token_shows_none_and_revokes_one_with_a_log_entry(monitor):
    key = account_services.token_issue(actor=None, user=monitor)
    token = AuthToken.objects.get(user=monitor)
    c = browser(staff_admin())
    assert c.get(reverse("admin:knox_authtoken_add")).status_code == 403
    page = c.get(reverse("admin:knox_authtoken_changelist"))
    assert page.status_code == 200 and key[:8] in page.content.decode() and key not in page.content.decode()
    url = reverse("admin:knox_authtoken_delete", args=[token.pk])
    response = c.post(url, {"csrfmiddlewaretoken": form_data(c.get(url), None)["csrfmiddlewaretoken"]})
    assert response.status_code == 302 and not AuthToken.objects.exists()
    assert Client().get(API_URL, HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    (event,) = events("token.revoke")
    assert event.actor.username == "staff_admin" and event.details["tokens"] == [key[:8]]


def test_deactivating_a_user_in_the_admin_revokes_all_their_tokens_and_logs_the_flag(monitor, superuser):
    keys = [account_services.token_issue(actor=None, user=monitor) for _ in range(2)]
    c = browser(superuser)
    url = reverse("admin:accounts_user_change", args=[monitor.pk])
    assert submit(c, url, "user_form", drop=["is_active"]).status_code == 302
    monitor.refresh_from_db()
    assert not monitor.is_active and not AuthToken.objects.filter(user=monitor).exists()
    for key in keys:
        assert Client().get(API_URL, HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    (flags,) = events("user.flags")
    assert flags.details["is_active"] == {"old": True, "new": False} and flags.object_id == str(monitor.pk)
    assert events("token.revoke")[0].details["count"] == 2
    assert events("user.deactivate")[0].details["tokens_revoked"] == 2


# ---------------------------------------------------------------------------------------------------------
# Only a superuser grants superuser or staff, groups or permissions


def test_a_staff_admin_cannot_make_anyone_staff_or_superuser_or_give_permissions(monitor):
    group = Group.objects.create(name="everything")
    group.permissions.set(Permission.objects.all())
    c = browser(staff_admin())
    url = reverse("admin:accounts_user_change", args=[monitor.pk])
    page = c.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="is_staff"' not in page  # shown read-only
    response = submit(
        c,
        url,
        "user_form",
        {
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [str(group.pk)],
            "user_permissions": [str(p.pk) for p in perms(("accounts", "change_user"))],
            "first_name": "Mina",
        },
    )
    assert response.status_code == 302
    monitor.refresh_from_db()
    assert (monitor.is_staff, monitor.is_superuser, monitor.first_name) == (False, False, "Mina")
    assert not monitor.groups.exists() and not monitor.user_permissions.exists()
    assert not events("user.flags") and not events("user.groups") and not events("user.permissions")
    assert events("user.change")[0].details == {"fields": ["first_name"]}  # the name itself is not logged
    # The service refuses it too, whatever the form.
    with pytest.raises(PermissionDenied, match="superuser"):
        account_services.user_update(
            actor=User.objects.get(username="staff_admin"), user=monitor, data={"is_staff": True}
        )


@pytest.mark.parametrize("target", ["superuser", "another staff user"])
def test_a_staff_admin_cannot_edit_a_superuser_or_another_staff_user(target, superuser, monitor):
    victim = superuser if target == "superuser" else staff_admin("other_admin")
    key = account_services.token_issue(actor=None, user=victim)
    c = browser(staff_admin())
    url = reverse("admin:accounts_user_change", args=[victim.pk])
    page = c.get(url)
    assert page.status_code == 200 and 'name="username"' not in page.content.decode()  # view only
    data = form_data(page, "user_form")
    data.update({"username": ["stolen"], "is_active": [], "_save": ["Save"]})
    assert c.post(url, data).status_code == 403
    password_url = reverse("admin:auth_user_password_change", args=[victim.pk])
    assert c.get(password_url).status_code == 403
    changelist = reverse("admin:accounts_user_changelist")
    actions = form_data(c.get(changelist), "changelist-form")
    actions.update({"action": ["reset_mfa"], "_selected_action": [str(victim.pk)], "index": ["0"]})
    c.post(changelist, actions)
    actions.update({"action": ["revoke_api_tokens"]})
    c.post(changelist, actions)
    victim.refresh_from_db()
    assert victim.username != "stolen" and victim.is_active and victim.has_usable_password()
    assert AuthToken.objects.filter(user=victim).exists() and not events("mfa.reset")
    assert Client().get(API_URL, HTTP_AUTHORIZATION=f"Token {key}").status_code != 401  # not revoked
    with pytest.raises(PermissionDenied, match="superuser"):
        account_services.mfa_reset(actor=User.objects.get(username="staff_admin"), user=victim)
    # The same staff admin does edit a user who is not staff.
    assert submit(c, reverse("admin:accounts_user_change", args=[monitor.pk]), "user_form").status_code == 302


def test_a_staff_admin_cannot_give_themselves_roles_permissions_or_groups(bhw):
    me = staff_admin()
    group = Group.objects.create(name="analysts")
    c = browser(me)
    url = reverse("admin:accounts_user_change", args=[me.pk])
    response = submit(
        c,
        url,
        "user_form",
        {
            "groups": [str(group.pk)],
            "user_permissions": [str(p.pk) for p in Permission.objects.all()],
            "is_superuser": "on",
            "memberships-TOTAL_FORMS": "1",
            "memberships-0-role": Role.MONITOR,
            "memberships-0-station": str(bhw.pk),
            "memberships-0-user": str(me.pk),
        },
    )
    assert response.status_code == 302
    me.refresh_from_db()
    assert not me.is_superuser and not me.groups.exists() and not me.memberships.exists()
    # Nor through the memberships page.
    add = reverse("admin:accounts_membership_add")
    response = submit(
        c, add, "membership_form", {"user": str(me.pk), "role": Role.MONITOR, "station": str(bhw.pk)}
    )
    assert response.status_code == 403 and not me.memberships.exists()
    assert not events("role.grant")


def test_a_superuser_grants_staff_groups_and_permissions_and_each_change_is_logged_with_old_and_new(
    monitor, superuser
):
    group = Group.objects.create(name="catalogue editors")
    change_flag = perms(("interception", "change_redflag"))[0]
    c = browser(superuser)
    url = reverse("admin:accounts_user_change", args=[monitor.pk])
    response = submit(
        c,
        url,
        "user_form",
        {"is_staff": "on", "groups": [str(group.pk)], "user_permissions": [str(change_flag.pk)]},
    )
    assert response.status_code == 302
    monitor.refresh_from_db()
    assert monitor.is_staff and list(monitor.groups.all()) == [group]
    (flags,) = events("user.flags")
    assert flags.details["is_staff"] == {"old": False, "new": True} and "is_superuser" not in flags.details
    assert flags.actor == superuser
    (groups,) = events("user.groups")
    assert (groups.details["old"], groups.details["new"]) == ([], ["catalogue editors"])
    (permissions,) = events("user.permissions")
    assert permissions.details["added"] == ["interception.change_redflag"]
    # Taking them back is logged the same way.
    submit(c, url, "user_form", {"groups": [], "user_permissions": []}, drop=["is_staff"])
    monitor.refresh_from_db()
    assert not monitor.is_staff and not monitor.groups.exists()
    assert events("user.flags")[-1].details["is_staff"] == {"old": True, "new": False}
    assert events("user.groups")[-1].details["removed"] == ["catalogue editors"]
    assert events("user.permissions")[-1].details["removed"] == ["interception.change_redflag"]


def test_a_password_set_in_the_admin_is_logged_as_changed_without_the_hash(monitor, superuser):
    old_hash = monitor.password
    c = browser(superuser)
    url = reverse("admin:auth_user_password_change", args=[monitor.pk])
    data = form_data(c.get(url), "user_form")
    data.update({"password1": ["a-new-long-passphrase-42"], "password2": ["a-new-long-passphrase-42"]})
    data.update({"set_usable_password": ["true"]})
    assert c.post(url, data).status_code == 302
    monitor.refresh_from_db()
    assert monitor.check_password("a-new-long-passphrase-42")
    (event,) = events("user.password")
    assert event.details["password"] == "changed" and event.actor == superuser
    text = str(event.details)
    assert monitor.password not in text and old_hash not in text and "passphrase" not in text


def test_role_grants_changes_and_revokes_on_the_user_page_are_logged_with_old_and_new(monitor, bhw, brg):
    c = browser(staff_admin())
    url = reverse("admin:accounts_user_change", args=[monitor.pk])
    membership = monitor.memberships.get()
    assert submit(c, url, "user_form", {"memberships-0-role": Role.STATION_MANAGER}).status_code == 302
    (change,) = events("role.change")
    assert change.details["old"]["role"] == Role.MONITOR and change.details["role"] == Role.STATION_MANAGER
    assert change.station == bhw and change.details["stations"] == ["BHW"]
    data = {
        "memberships-TOTAL_FORMS": "2",
        "memberships-1-role": Role.MONITOR,
        "memberships-1-station": str(brg.pk),
        "memberships-1-user": str(monitor.pk),
        "memberships-0-DELETE": "on",
    }
    assert submit(c, url, "user_form", data).status_code == 302
    assert list(monitor.memberships.values_list("role", "station__code")) == [(Role.MONITOR, "BRG")]
    (grant,) = events("role.grant")
    (revoke,) = events("role.revoke")
    assert grant.station == brg and revoke.station == bhw and revoke.object_id == str(membership.pk)


# ---------------------------------------------------------------------------------------------------------
# Catalogue points, station thresholds, groups


def test_red_flag_points_changed_in_the_list_or_the_form_are_logged_with_old_and_new(catalogue):
    flag = RedFlag.objects.order_by("code").first()
    old_points = flag.points
    c = browser(staff_admin())
    changelist = reverse("admin:interception_redflag_changelist") + f"?q={flag.code}"
    data = form_data(c.get(changelist), "changelist-form")
    assert data["form-0-id"] == [str(flag.pk)]
    data["form-0-points"] = [str(old_points + 7)]
    data["_save"] = ["Save"]
    assert c.post(changelist, data).status_code == 302
    flag.refresh_from_db()
    assert flag.points == old_points + 7
    (event,) = events("red_flag.change")
    assert event.details["points"] == {"old": old_points, "new": old_points + 7}
    assert event.details["code"] == flag.code and event.details["active"] == {"old": True, "new": True}
    url = reverse("admin:interception_redflag_change", args=[flag.pk])
    assert submit(c, url, "redflag_form", {"points": "3"}, drop=["active"]).status_code == 302
    last = events("red_flag.change")[-1]
    assert last.details["points"] == {"old": old_points + 7, "new": 3}
    assert last.details["active"] == {"old": True, "new": False} and "text" not in last.details
    assert c.get(reverse("admin:interception_redflag_delete", args=[flag.pk])).status_code == 403
    new = {"code": "NP99", "group": flag.group, "text": "Travels at night", "points": "12", "sort_order": "9"}
    assert submit(c, reverse("admin:interception_redflag_add"), "redflag_form", new).status_code == 302
    (created,) = events("red_flag.create")
    details = created.details
    assert (details["code"], details["points"], details["active"]) == ("NP99", 12, True)


def test_a_station_alert_threshold_changed_in_the_list_or_the_form_is_logged_with_old_and_new(bhw):
    c = browser(staff_admin())
    changelist = reverse("admin:accounts_station_changelist")
    data = form_data(c.get(changelist), "changelist-form")
    assert data["form-0-id"] == [str(bhw.pk)]
    data["form-0-alert_score_threshold"] = ["60"]
    data["_save"] = ["Save"]
    assert c.post(changelist, data).status_code == 302
    bhw.refresh_from_db()
    assert bhw.alert_score_threshold == 60
    (event,) = events("station.change")
    assert event.details == {"alert_score_threshold": {"old": 100, "new": 60}} and event.station == bhw
    url = reverse("admin:accounts_station_change", args=[bhw.pk])
    assert submit(c, url, "station_form", {"alert_score_threshold": "75"}).status_code == 302
    assert events("station.change")[-1].details == {"alert_score_threshold": {"old": 60, "new": 75}}
    assert c.get(reverse("admin:accounts_station_delete", args=[bhw.pk])).status_code == 403


def test_groups_created_renamed_and_given_permissions_are_logged_and_only_a_superuser_sets_permissions(
    superuser,
):
    staff = browser(staff_admin())
    assert (
        submit(staff, reverse("admin:auth_group_add"), "group_form", {"name": "lawyers"}).status_code == 302
    )
    group = Group.objects.get(name="lawyers")
    url = reverse("admin:auth_group_change", args=[group.pk])
    assert 'name="permissions"' not in staff.get(url).content.decode()
    submit(
        staff, url, "group_form", {"name": "legal aid", "permissions": [str(Permission.objects.first().pk)]}
    )
    group.refresh_from_db()
    assert group.name == "legal aid" and not group.permissions.exists()
    assert events("group.create")[0].details["name"] == {"old": None, "new": "lawyers"}
    assert events("group.change")[0].details["name"] == {"old": "lawyers", "new": "legal aid"}
    view = perms(("interception", "view_redflag"))[0]
    root = browser(superuser)
    assert submit(root, url, "group_form", {"permissions": [str(view.pk)]}).status_code == 302
    assert list(group.permissions.all()) == [view]
    assert events("group.change")[-1].details["permissions"]["added"] == ["interception.view_redflag"]


# ---------------------------------------------------------------------------------------------------------
# Being an admin gives no case content


def test_no_admin_page_shows_a_victims_name_to_staff_or_superuser(bhw, flags, superuser):
    monitor = member(Role.MONITOR, station=bhw, username="mon")
    interception = make_interception(
        monitor,
        bhw,
        flags=[f.code for f in flags],
        people=[person(VICTIM, phone=VICTIM_PHONE), person("Hari Bhandari", role="suspect")],
    )
    interception_services.attachment_add(
        actor=monitor,
        interception=interception,
        uploaded_file=SimpleUploadedFile(f"{VICTIM}.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64),
    )
    # The staff admin holds every permission of every model in the admin, and the admin role.
    staff = staff_admin("staff_all")
    registered = list(admin.site._registry)
    staff.user_permissions.set(
        Permission.objects.filter(content_type__in=ContentType.objects.get_for_models(*registered).values())
    )
    Membership.objects.create(user=staff, role=Role.ADMIN, station=bhw)
    for label in ["interception", "interceptee", "attachment", "person"]:
        assert not any(m._meta.model_name == label for m in registered), f"{label} is in the admin"
    # people's only admin page is the reference list of Nepal's places (no person in it)
    assert not any(m._meta.app_label == "people" and m._meta.model_name != "place" for m in registered)
    assert not any(m._meta.model_name.startswith("historical") for m in registered)
    for user in (staff, superuser):
        c = browser(user)
        urls = [reverse("admin:index")]
        for model in registered:
            meta = model._meta
            urls += [
                reverse("admin:app_list", args=[meta.app_label]),
                reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
                reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist") + f"?q={VICTIM.split()[0]}",
                reverse(f"admin:{meta.app_label}_{meta.model_name}_add"),
            ]
            for pk in model._default_manager.values_list("pk", flat=True)[:25]:
                urls += [
                    reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk]),
                    reverse(f"admin:{meta.app_label}_{meta.model_name}_history", args=[pk]),
                ]
        seen = 0
        for url in urls:
            response = c.get(url)
            assert response.status_code in (200, 403), (user, url, response.status_code)
            text = response.content.decode()
            assert VICTIM not in text and VICTIM_PHONE not in text, f"{url} shows a victim to {user}"
            if "/audit/" not in url:  # the access log names records by number, never by name
                assert interception.number not in text, f"{url} shows an interception to {user}"
            seen += response.status_code == 200
        assert seen > 20
