"""English and Nepali (docs/i18n.md): every template string is marked for translation, the Nepali catalogue
has every string of the code, translated and compiled, and a user whose language is Nepali reads Nepali."""

import gettext as gnu_gettext
import html
import re
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.template.base import Lexer, TokenType
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from audit.models import AccessEvent
from core.templatetags.nepali_tags import bikram_sambat, lang_ne, red_flag_text
from interception.catalogue import RED_FLAGS, RED_FLAGS_NE

from .factories import login, make_interception

BASE = Path(settings.BASE_DIR)
TEMPLATES = BASE / "templates"
PO = BASE / "locale" / "ne" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

# Text that stays as it is in every language: the product's name, file formats, language names (each in
# its own language), units.
ALLOWED = {"Interception CMS", "CSV", "Excel", "UTC", "English"}
# Attributes a user reads or hears (the value of a button is its label).
VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "data-label", "aria-description"}
LETTER = re.compile(r"[A-Za-z]")
LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}
SAFE = "\x01"  # stands for translated text or a variable in the flattened template
LITERAL_DEFAULT = re.compile(r"""\|default:(["'])(?P<text>[^"']*[A-Za-z][^"']*)\1""")


def _without_allowed(text: str) -> str:
    for allowed in ALLOWED:
        text = text.replace(allowed, "")
    return text


def _flatten(source: str) -> tuple[str, list[tuple[int, str]]]:
    """The template's text with every tag and variable replaced by SAFE (translation blocks whole), newlines
    kept so line numbers stay right; plus literal English passed to |default in variables."""
    out, literals = [], []
    skip_until = None
    for token in Lexer(source).tokenize():
        raw = token.contents
        newlines = "\n" * (token.token_type == TokenType.TEXT and raw.count("\n") or 0)
        if skip_until:
            if token.token_type == TokenType.BLOCK and raw.split()[0] in skip_until:
                skip_until = None
            out.append(SAFE + ("\n" * raw.count("\n") if token.token_type == TokenType.TEXT else ""))
            continue
        if token.token_type == TokenType.TEXT:
            out.append(raw)
            continue
        if token.token_type == TokenType.BLOCK:
            name = raw.split()[0] if raw.split() else ""
            if name in ("blocktranslate", "blocktrans"):
                skip_until = {"endblocktranslate", "endblocktrans"}
            elif name == "comment":
                skip_until = {"endcomment"}
        if token.token_type == TokenType.VAR:
            for m in LITERAL_DEFAULT.finditer(raw):
                if LETTER.search(_without_allowed(m.group("text"))) and m.group("text") not in LANGUAGE_CODES:
                    literals.append((token.lineno, m.group("text")))
        out.append(SAFE + newlines)
    return "".join(out), literals


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[int, str]] = []
        self.raw_depth = 0

    def _check(self, text: str) -> None:
        text = html.unescape(text.replace(SAFE, " ")).strip()
        if LETTER.search(_without_allowed(text)):
            self.found.append((self.getpos()[0], text))

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.raw_depth += 1
        attrs = dict(attrs)
        for name, value in attrs.items():
            if value and (
                name in VISIBLE_ATTRIBUTES
                or (name == "value" and tag == "input" and attrs.get("type") in ("submit", "button", "reset"))
            ):
                self._check(value)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.raw_depth -= 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.raw_depth = max(0, self.raw_depth - 1)

    def handle_data(self, data):
        if not self.raw_depth:
            self._check(data)


def untranslated_template_text(path: Path) -> list[str]:
    flat, literals = _flatten(path.read_text())
    parser = _VisibleText()
    parser.feed(flat)
    parser.close()
    where = path.relative_to(BASE)
    return [f"{where}:{line}: {text!r}" for line, text in parser.found + literals]


def test_every_template_string_is_marked_for_translation():
    problems = [p for path in sorted(TEMPLATES.rglob("*.html")) for p in untranslated_template_text(path)]
    assert not problems, "Text not marked for translation ({% translate %}):\n" + "\n".join(problems)


def test_the_template_check_finds_unmarked_text(tmp_path):
    """The check itself: English text, a visible attribute and a literal default are caught; tags, marked
    text and allowed names are not."""
    sample = tmp_path / "sample.html"
    sample.write_text(
        '{% load i18n %}<p class="x">{% translate "Fine" %} Interception CMS</p>\n'
        '<a title="Open it">{{ x|default:"none" }}</a>\n'
        "<h1>Interceptions</h1>{% blocktranslate %}Also {{ fine }}{% endblocktranslate %}\n"
    )
    found = _VisibleText()
    flat, literals = _flatten(sample.read_text())
    found.feed(flat)
    assert [(line, text) for line, text in found.found] == [(2, "Open it"), (3, "Interceptions")]
    assert literals == [(2, "none")]


def _run(*args, cwd=None) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_nepali_catalogue_has_every_string_translated(tmp_path):
    """makemessages in a copy of the code: no string of the code may be missing from the Nepali catalogue,
    untranslated or fuzzy. Fix with `make messages`, then translate what it added."""
    assert shutil.which("xgettext"), "gettext is not installed (make test installs it)"
    copy = tmp_path / "src"
    shutil.copytree(
        BASE,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", "var", ".git", "node_modules", "__pycache__", "static", "*.mo", ".pytest_cache"
        ),
    )
    before = (copy / "locale/ne/LC_MESSAGES/django.po").read_text()
    _run(sys.executable, "manage.py", "makemessages", "-l", "ne", *MAKEMESSAGES_IGNORES, cwd=copy)
    after_po = copy / "locale/ne/LC_MESSAGES/django.po"
    untranslated = _run("msgattrib", "--untranslated", "--no-obsolete", "--no-wrap", str(after_po))
    fuzzy = _run("msgattrib", "--only-fuzzy", "--no-obsolete", "--no-wrap", str(after_po))
    missing = re.findall(r'^msgid "(.+)"$', untranslated + fuzzy, re.M)
    assert not missing, (
        "Not translated in locale/ne/LC_MESSAGES/django.po (run `make messages`):\n" + "\n".join(missing)
    )
    assert "#, fuzzy" not in before.split("\n\n", 1)[1], "the Nepali catalogue has fuzzy entries"


MAKEMESSAGES_IGNORES = ["--ignore=.venv/*", "--ignore=var/*", "--ignore=tests/*", "--ignore=benchmarks/*"]


def _catalog(mo: Path) -> dict:
    with mo.open("rb") as f:
        return {k: v for k, v in gnu_gettext.GNUTranslations(f)._catalog.items() if k != ""}


def test_the_compiled_catalogue_is_current(tmp_path):
    """The committed .mo holds exactly what the .po says (a fresh clone needs no compile step)."""
    assert MO.exists(), "locale/ne/LC_MESSAGES/django.mo is missing: run `make messages`"
    fresh = tmp_path / "django.mo"
    _run("msgfmt", "--check-format", "-o", str(fresh), str(PO))
    assert _catalog(MO) == _catalog(fresh), "django.mo is older than django.po: run `make messages`"


@pytest.fixture
def nepali_monitor(monitor):
    monitor.language = "ne"
    monitor.save(update_fields=["language"])
    return monitor


def _ne(text: str) -> str:
    with translation.override("ne"):
        return translation.gettext(text)


@pytest.mark.django_db
def test_a_user_whose_language_is_nepali_gets_the_list_in_nepali(
    client, nepali_monitor, bhw, catalogue, django_assert_max_num_queries
):
    make_interception(nepali_monitor, bhw, place="बेलहिया नाका")
    login(client, nepali_monitor)
    with django_assert_max_num_queries(30):
        page = client.get(reverse("interception:list"), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="ne">' in text
    assert _ne("Interceptions") != "Interceptions"
    assert f"<h1>{_ne('Interceptions')}</h1>" in text
    assert ">Log out<" not in text and _ne("Log out") in text
    assert '<span lang="ne">बेलहिया नाका</span>' in text  # Devanagari marked as Nepali
    assert "वि.सं." in text  # the Bikram Sambat date beside the Gregorian one


@pytest.mark.django_db
def test_the_browser_language_chooses_nepali_before_login(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ne,en;q=0.5")
    text = page.content.decode()
    assert '<html lang="ne">' in text
    assert _ne("Log in") != "Log in" and f"<h1>{_ne('Log in')}</h1>" in text
    assert 'for="id_username">Username<' not in text
    english = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert "<h1>Log in</h1>" in english.content.decode()


@pytest.mark.django_db
def test_the_users_own_language_wins_over_the_browser(client, monitor, bhw, catalogue):
    login(client, monitor)
    assert (
        "<h1>Interceptions</h1>"
        in client.get(reverse("interception:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    response = client.post(reverse("language"), {"language": "ne"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    monitor.refresh_from_db()
    assert monitor.language == "ne"
    assert AccessEvent.objects.filter(action="user.language", actor=monitor).exists()
    page = client.get(reverse("interception:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"<h1>{_ne('Interceptions')}</h1>" in page
    # Back to "as my browser asks".
    client.post(reverse("language"), {"language": ""})
    monitor.refresh_from_db()
    assert monitor.language == ""
    assert (
        "<h1>Interceptions</h1>"
        in client.get(reverse("interception:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


@pytest.mark.django_db
def test_an_unknown_language_is_refused(client, monitor):
    login(client, monitor)
    page = client.post(reverse("language"), {"language": "xx"})
    assert page.status_code == 200
    monitor.refresh_from_db()
    assert monitor.language == ""


@pytest.mark.django_db
def test_red_flags_show_their_nepali_text_in_nepali(client, nepali_monitor, bhw, catalogue):
    flag = catalogue.get(code="V04")
    flag.text_ne = RED_FLAGS_NE["V04"]
    flag.save(update_fields=["text_ne"])
    interception = make_interception(nepali_monitor, bhw, flags=["V04"])
    login(client, nepali_monitor)
    page = client.get(reverse("interception:detail", args=[interception.pk])).content.decode()
    flags = re.search(r'<ul class="flags">.*?</ul>', page, re.S).group(0)
    assert f'<span lang="ne">{RED_FLAGS_NE["V04"]}</span>' in flags
    assert flag.text not in flags
    with translation.override("en"):
        assert red_flag_text(flag) == flag.text
    flag.text_ne = ""
    with translation.override("ne"):
        assert red_flag_text(flag) == flag.text  # no Nepali text yet: the English one


def test_the_default_catalogue_has_a_nepali_text_for_every_flag():
    assert set(RED_FLAGS_NE) == {code for code, *_ in RED_FLAGS}
    for code, text in RED_FLAGS_NE.items():
        assert re.search("[\u0900-\u097f]", text) and not LETTER.search(text.replace("SIM", "")), code
        # Gender-neutral: no "she"/"her" equivalents (उनी is neutral; केटी = girl, महिला = woman).
        assert "केटी" not in text and "महिला" not in text, code


def test_bikram_sambat_dates():
    with translation.override("en"):
        assert bikram_sambat(date(2026, 11, 30)) == "2083-08-14 BS"
        assert bikram_sambat(datetime(2026, 11, 30, 20, 0, tzinfo=UTC)) == "2083-08-14 BS"
        rendered = Template("{% load nepali_tags %}{{ d|with_bs }}").render(
            Context({"d": date(2026, 11, 30)})
        )
        assert rendered == "2026-11-30 (2083-08-14 BS)"
        assert bikram_sambat(None) == "" and bikram_sambat(date(1800, 1, 1)) == ""
    with translation.override("ne"):
        assert bikram_sambat(date(2026, 11, 30)) == "२०८३-०८-१४ वि.सं."


def test_devanagari_text_carries_lang_ne():
    assert lang_ne("सीता तामाङ") == '<span lang="ne">सीता तामाङ</span>'
    assert lang_ne("Sita <b>") == "Sita &lt;b&gt;"
    assert lang_ne("<i>सीता</i>") == '<span lang="ne">&lt;i&gt;सीता&lt;/i&gt;</span>'


@pytest.mark.django_db
def test_notifications_and_their_emails_are_written_in_the_recipients_language(
    nepali_monitor, manager, bhw, catalogue, mailoutbox, settings
):
    from alerts import services as alerts

    manager.email = "manager@example.org"
    manager.save(update_fields=["email"])
    interception = make_interception(nepali_monitor, bhw, certainty=5)
    User.objects.filter(pk=manager.pk).update(language="ne")
    notifications = alerts.interception_evaluate(interception_id=interception.pk)
    assert notifications
    title = notifications[0].title
    assert re.search("[\u0900-\u097f]", title) and interception.number in title
    with translation.override("en"):
        alerts.notification_send_email(notification_id=notifications[0].pk)
    assert mailoutbox and re.search("[\u0900-\u097f]", mailoutbox[-1].body)


@pytest.mark.django_db
def test_api_errors_follow_the_language(client, monitor):
    login(client, monitor)
    response = client.post(
        "/api/v1/interceptions/", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="ne"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == _ne("The input is not valid; nothing was saved.")
    assert re.search("[\u0900-\u097f]", response.json()["error"]["message"])
