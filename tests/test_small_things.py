"""Small things users noticed (issue 8): opening a notification marks it read, notifications filter by rule,
our own 404 and 500 pages, a favicon, a skip link, a label on the person-role select, aria-describedby
pointing at real elements, and passwords hashed with Argon2id."""

import itertools
from html.parser import HTMLParser

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import identify_hasher, make_password
from django.contrib.staticfiles import finders
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from alerts.models import Notification, Rule

from .factories import PASSWORD, csrf_from, login, make_interception, member

pytestmark = pytest.mark.django_db


SUBJECTS = itertools.count()


def notify(user, rule, n, url="/exports/"):
    return [
        Notification.objects.create(
            recipient=user,
            rule=rule,
            subject_key=f"test:{next(SUBJECTS)}",
            title=f"{rule} note {i}",
            body="b",
            url=url,
        )
        for i in range(n)
    ]


# --- notifications: open marks read, filter by rule ----------------------------------------------------


def test_opening_a_notification_marks_it_read_and_goes_to_what_it_is_about(client, manager, monitor, bhw):
    interception = make_interception(monitor, bhw)
    Notification.objects.filter(rule=Rule.CASE_UNASSIGNED).delete()  # the case it opened: not this test's
    (mine,) = notify(manager, Rule.HIGH_RISK, 1, url=reverse("interception:detail", args=[interception.pk]))
    (theirs,) = notify(monitor, Rule.HIGH_RISK, 1, url="/interceptions/")
    login(client, manager)
    html = client.get(reverse("alerts:list")).content.decode()
    open_url = reverse("alerts:open", args=[mine.pk])
    assert f'href="{open_url}"' in html  # the title opens it through the view that marks it read
    response = client.get(open_url)
    assert response.status_code == 302 and response["Location"] == mine.url
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert 'title="1 unread"' not in client.get(reverse("alerts:list")).content.decode()
    # Someone else's notification: 404, and it stays unread.
    assert client.get(reverse("alerts:open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_opening_a_notification_never_leaves_the_site(client, manager):
    (n,) = notify(manager, Rule.SECURITY, 1, url="//evil.example/x")
    login(client, manager)
    assert client.get(reverse("alerts:open", args=[n.pk]))["Location"] == reverse("alerts:list")


def test_notifications_filter_by_rule(client, manager, django_assert_max_num_queries):
    notify(manager, Rule.HIGH_RISK, 2)
    notify(manager, Rule.EXPORT_FINISHED, 3)
    login(client, manager)
    html = client.get(reverse("alerts:list")).content.decode()
    assert '<select name="rule"' in html and '<label for="id_rule">' in html
    for rule in Rule:
        assert f'<option value="{rule.value}"' in html
    assert html.count('<li class="card notification') == 5
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("alerts:list"), {"rule": "high_risk"})
    notify(manager, Rule.HIGH_RISK, 26)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("alerts:list"), {"rule": "high_risk"}).content.decode()
    assert html.count('<li class="card notification') == 25 and "export_finished note" not in html
    assert '<option value="high_risk" selected>' in html
    assert 'href="?rule=high_risk&amp;page=2"' in html  # paging keeps the filter
    # Marking one read from a filtered page comes back to that filter.
    first = Notification.objects.filter(recipient=manager, rule=Rule.HIGH_RISK).first()
    back = client.post(reverse("alerts:read", args=[first.pk]), {"page": "1", "rule": "high_risk"})
    assert back["Location"] == "/notifications/?rule=high_risk&page=1"
    # An unknown rule is an error on the page, and the list shows every kind.
    html = client.get(reverse("alerts:list"), {"rule": "nonsense"}).content.decode()
    assert 'id="id_rule_error"' in html and "31 notifications" in html


def test_api_filters_notifications_by_rule(api, manager, bhw):
    notify(manager, Rule.HIGH_RISK, 2)
    notify(manager, Rule.EXPORT_FINISHED, 1)
    other = member(Role.STATION_MANAGER, station=bhw, username="mgr2")
    notify(other, Rule.HIGH_RISK, 4)
    data = api(manager).get("/api/v1/notifications/", {"rule": "high_risk"}).json()
    assert data["count"] == 2 and {r["rule"] for r in data["results"]} == {"high_risk"}
    both = api(manager).get("/api/v1/notifications/", {"rule": "high_risk", "unread": "1"}).json()
    assert both["count"] == 2
    bad = api(manager).get("/api/v1/notifications/", {"rule": "nonsense"})
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["rule"]


def test_the_schema_declares_the_rule_filter(api, manager):
    schema = api(manager).get("/api/schema/", {"format": "json"}).json()
    params = schema["paths"]["/api/v1/notifications/"]["get"]["parameters"]
    rule = next(p for p in params if p["name"] == "rule")
    assert set(rule["schema"]["enum"]) == set(Rule.values)


# --- error pages, favicon, skip link --------------------------------------------------------------------


def test_an_unknown_address_shows_our_404_page(client, settings, monitor):
    settings.DEBUG = False
    for c in (client, login(Client(), monitor)):
        response = c.get("/no-such-page/")
        html = response.content.decode()
        assert response.status_code == 404
        assert 'data-status="404"' in html and "Page not found" in html
        assert f'href="{reverse("home")}"' in html  # a way back
        assert 'rel="icon"' in html


def test_a_server_error_shows_our_500_page(settings, monitor, monkeypatch):
    settings.DEBUG = False

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("alerts.selectors.notification_list", broken)
    c = login(Client(raise_request_exception=False), monitor)
    response = c.get(reverse("alerts:list"))
    html = response.content.decode()
    assert response.status_code == 500
    assert 'data-status="500"' in html and "Something went wrong" in html
    assert f'href="{reverse("home")}"' in html and "boom" not in html


def test_the_500_page_needs_no_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = render_to_string("500.html")  # as Django's server_error renders it: no request, no context
    assert 'data-status="500"' in html and 'href="/"' in html


def test_favicon(client, monitor):
    assert finders.find("favicon.svg")
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("favicon.svg")
    login(client, monitor)
    html = client.get(reverse("interception:list")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html


class Page(HTMLParser):
    """The ids, the aria-describedby references, the focusable elements in order, and the labels."""

    FOCUSABLE = {"a", "button", "input", "select", "textarea"}

    def __init__(self):
        super().__init__()
        self.ids, self.described, self.focusable, self.label_for = set(), [], [], set()
        self.mains = []
        self._in_template = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "template":
            self._in_template += 1
        if "id" in a:
            self.ids.add(a["id"])
        if a.get("aria-describedby") and not self._in_template:
            self.described.append((tag, a.get("name") or a.get("id"), a["aria-describedby"]))
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"])
        if tag == "main":
            self.mains.append(a)
        if tag in self.FOCUSABLE and a.get("type") != "hidden" and (tag != "a" or "href" in a):
            self.focusable.append((tag, a))

    def handle_endtag(self, tag):
        if tag == "template":
            self._in_template -= 1


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def test_the_skip_link_is_the_first_focusable_element(client, monitor):
    pages = [client.get(reverse("login")).content.decode()]
    login(client, monitor)
    pages.append(client.get(reverse("interception:list")).content.decode())
    pages.append(client.get("/no-such-page/").content.decode())
    for html in pages:
        page = parse(html)
        tag, attrs = page.focusable[0]
        assert tag == "a" and attrs.get("class") == "skip-link" and attrs["href"] == "#content"
        assert len(page.mains) == 1 and page.mains[0]["id"] == "content"
        assert "Skip to content" in html


# --- labels and aria-describedby ------------------------------------------------------------------------


def test_the_person_role_select_has_a_visible_label(client, monitor, catalogue):
    login(client, monitor)
    html = client.get(reverse("interception:create")).content.decode()
    page = parse(html)
    role_selects = [
        a["id"] for tag, a in page.focusable if tag == "select" and a.get("name", "").endswith("-role")
    ]
    assert role_selects, "the form has a person row with a role select"
    for select_id in role_selects:
        assert select_id in page.label_for


def main_pages(client, monitor, manager, auditor, bhw):
    """The main pages, also with errors shown, as their users see them (URL, HTML)."""
    interception = make_interception(monitor, bhw)
    notify(manager, Rule.HIGH_RISK, 1)
    anon = Client()
    yield "login", anon.get(reverse("login"))
    bad_login = Client()
    page = bad_login.get(reverse("login"))
    yield (
        "login (wrong password)",
        bad_login.post(
            reverse("login"), {"username": "nobody", "password": "x", "csrfmiddlewaretoken": csrf_from(page)}
        ),
    )
    login(client, monitor)
    yield "list", client.get(reverse("interception:list"))
    bad_filter = {"date_from": "not a date", "min_score": "x"}
    yield "list (bad filter)", client.get(reverse("interception:list"), bad_filter)
    yield "form", client.get(reverse("interception:create"))
    yield (
        "form (errors)",
        client.post(
            reverse("interception:create"),
            {
                "station": bhw.pk,
                "occurred_at": "nonsense",
                "idempotency_key": "small-things-1",
                "submit": "1",
                "people-TOTAL_FORMS": "1",
                "people-INITIAL_FORMS": "0",
                "people-MIN_NUM_FORMS": "0",
                "people-MAX_NUM_FORMS": "1000",
                "people-0-full_name": "",
                "people-0-role": "potential_victim",
                "people-0-age": "old",
                "people-0-phone": "call me",
            },
        ),
    )
    yield "record", client.get(reverse("interception:detail", args=[interception.pk]))
    yield "edit", client.get(reverse("interception:edit", args=[interception.pk]))
    yield "my exports", client.get(reverse("exports:list"))
    manager_client = login(Client(), manager)
    yield "notifications", manager_client.get(reverse("alerts:list"))
    yield "notifications (bad filter)", manager_client.get(reverse("alerts:list"), {"rule": "nonsense"})
    yield "notification settings", manager_client.get(reverse("alerts:preferences"))
    auditor_client = login(Client(), auditor)
    yield "access log", auditor_client.get(reverse("audit:events"))
    yield "access log (bad filter)", auditor_client.get(reverse("audit:events"), {"since": "nonsense"})


def test_every_aria_describedby_points_at_an_element_of_the_page(client, monitor, manager, bhw, nepal):
    auditor = member(Role.AUDITOR, country=nepal, username="aud_np")
    checked = 0
    for name, response in main_pages(client, monitor, manager, auditor, bhw):
        assert response.status_code == 200, name
        page = parse(response.content.decode())
        for tag, field, refs in page.described:
            missing = [ref for ref in refs.split() if ref not in page.ids]
            assert not missing, f"{name}: <{tag} {field}> aria-describedby points at missing {missing}"
            checked += 1
    assert checked, "some field on these pages has a description"


# --- passwords: Argon2id --------------------------------------------------------------------------------


def test_argon2id_is_the_production_hasher():
    from config import settings as production

    assert production.PASSWORD_HASHERS[0] == "accounts.hashers.Argon2idPasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in production.PASSWORD_HASHERS[1:]
    assert django_settings.PASSWORD_HASHERS == production.PASSWORD_HASHERS
    encoded = make_password("a long enough password")
    assert encoded.startswith("argon2$argon2id$") and identify_hasher(encoded).algorithm == "argon2"


def test_an_old_pbkdf2_hash_still_works_and_is_upgraded_at_login(monitor):
    monitor.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    monitor.save(update_fields=["password"])
    c = Client()
    page = c.get(reverse("login"))
    response = c.post(
        reverse("login"),
        {"username": monitor.username, "password": PASSWORD, "csrfmiddlewaretoken": csrf_from(page)},
    )
    assert response.status_code == 302  # the password step passed (MFA comes next)
    monitor.refresh_from_db()
    assert monitor.password.startswith("argon2$argon2id$")
    assert monitor.check_password(PASSWORD)


def test_a_hash_made_with_djangos_argon2_defaults_is_rehashed_with_the_lighter_parameters(monitor):
    from django.contrib.auth.hashers import Argon2PasswordHasher

    heavy = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    assert "m=102400" in heavy
    monitor.password = heavy
    monitor.save(update_fields=["password"])
    assert monitor.check_password(PASSWORD)
    monitor.refresh_from_db()
    assert "m=19456,t=2,p=1" in monitor.password
