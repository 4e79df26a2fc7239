"""The form's page-weight budget; the real figure is `make bench` (benchmarks.pageweight)."""

import gzip

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from benchmarks.pageweight import FIRST_LOAD_BUDGET, REPEAT_BUDGET, client_fetch, linked_assets, measure

from .factories import login

SMALL_PAGE = b"""<!doctype html><html><head>
<link rel="stylesheet" href="/static/a.css"><link rel="icon" href="/static/favicon.svg">
<link rel="preload" href="/static/font.woff2" as="font" crossorigin>
<script src="/static/a.js" defer></script><script src="/static/a.js" defer></script>
</head><body><p>Hello</p></body></html>"""
CSS = b"body { color: red; }\n" * 200
JS = b"console.log('x');\n" * 100


def test_measure_weighs_a_small_page_as_transferred():
    css_gz = gzip.compress(CSS)
    responses = {
        "/page/": (200, {"content-type": "text/html", "cache-control": "no-store"}, SMALL_PAGE),
        "/static/a.css": (
            200,
            {"content-encoding": "gzip", "cache-control": "max-age=315360000, public, immutable"},
            css_gz,
        ),
        "/static/a.js": (200, {"cache-control": "max-age=60"}, JS),
    }
    fetched = []

    def fetch(path):
        fetched.append(path)
        return responses[path]

    page = measure(fetch, "/page/")
    # the stylesheet and the script once each; not the icon, not the font
    assert fetched == ["/page/", "/static/a.css", "/static/a.js"]
    html_gz = len(gzip.compress(SMALL_PAGE, 6, mtime=0))
    js_gz = len(gzip.compress(JS, 6, mtime=0))
    assert page.html_raw_bytes == len(SMALL_PAGE) and page.html_transferred_bytes == html_gz
    css, js = page.assets
    assert (css.raw_bytes, css.transferred_bytes, css.cached) == (len(CSS), len(css_gz), True)
    assert (js.raw_bytes, js.transferred_bytes, js.cached) == (len(JS), js_gz, False)
    assert page.first_load == html_gz + len(css_gz) + js_gz
    assert page.repeat_visit == html_gz + js_gz  # the far-future stylesheet comes from the cache


def test_a_missing_asset_is_an_error_not_a_smaller_page():
    def fetch(path):
        return (200, {}, SMALL_PAGE) if path == "/page/" else (404, {}, b"")

    with pytest.raises(RuntimeError, match="404"):
        measure(fetch, "/page/")


@pytest.mark.django_db
def test_form_first_load_is_within_budget(client, monitor, catalogue):
    """In-process: the page through the app; static files read where the finders find them (the test
    settings do not collect them) and counted at their gzip size."""
    via_client = client_fetch(login(client, monitor))

    def fetch(path):
        if path.startswith("/static/"):
            found = finders.find(path.removeprefix("/static/"))
            assert found, path
            with open(found, "rb") as f:
                return 200, {}, f.read()
        return via_client(path)

    page = measure(fetch, reverse("interception:create"))
    kinds = {a.kind for a in page.assets}
    assert kinds == {"css", "js"}
    assert not any(a.url.endswith((".woff2", ".woff", ".ttf")) for a in page.assets)
    assert page.first_load <= FIRST_LOAD_BUDGET, page.as_dict()
    assert page.html_transferred_bytes <= REPEAT_BUDGET, page.as_dict()


def test_linked_assets_finds_scripts_and_stylesheets_only():
    assert linked_assets(SMALL_PAGE.decode()) == [("css", "/static/a.css"), ("js", "/static/a.js")]
