"""Cursor pages for the API lists (issue 9): the interceptions list and the access log walk by `next` and
`previous`, never repeat or skip a row while rows are written, refuse a tampered cursor, log each page's
read, cost a fixed number of queries, and render with orjson."""

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from audit.models import AccessEvent
from audit.services import record_event
from core import keyset
from core.renderers import ORJSONRenderer
from interception import services
from interception.models import Interception

from .factories import CountryFactory, StationFactory, make_interception, member, person

pytestmark = pytest.mark.django_db

URL = "/api/v1/interceptions/"
AUDIT = "/api/v1/audit/events/"
SUMMARY_KEYS = {
    "id",
    "url",
    "number",
    "station",
    "occurred_at",
    "place",
    "status",
    "version",
    "certainty",
    "red_flag_score",
    "victim_count",
    "suspect_count",
    "sensitive_visible",
    "created_at",
    "updated_at",
}


def at(hours_ago: float):
    return timezone.now().replace(microsecond=0) - timedelta(hours=hours_ago)


def records(monitor, station, n, *, start=10):
    """n records, two by two at the same moment (ties broken by id), one hour apart, oldest last."""
    return [make_interception(monitor, station, occurred_at=at(start + i // 2)) for i in range(n)]


def in_list_order(rows):
    return sorted(rows, key=lambda r: (r.occurred_at, r.pk), reverse=True)


def walk(client, url, params=None, *, between=lambda page: None):
    """Every page by `next`; `between(page_number)` runs after each page (to write rows meanwhile)."""
    pages = []
    response = client.get(url, params or {})
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body)
        between(len(pages))
        if body["next"] is None:
            return pages
        response = client.get(body["next"])


def ids(pages):
    return [row["id"] for page in pages for row in page["results"]]


# --- every row exactly once, in order, while rows are written -----------------------------------------------


def test_walking_next_returns_every_row_once_in_order_while_rows_are_inserted(api, monitor, bhw):
    existing = records(monitor, bhw, 17)  # ties at every hour: a tie falls across a page boundary
    inserted = {"newer": [], "middle": [], "tie": []}

    def write(page_number):
        if page_number == 1:  # newer than the first page: before the walk's position, never shown
            inserted["newer"].append(make_interception(monitor, bhw, occurred_at=at(1)))
        if page_number in (1, 2):  # in the middle of the time range, still ahead of the walk: shown once
            inserted["middle"].append(make_interception(monitor, bhw, occurred_at=at(16.5 + page_number)))
            # the same moment as the last row shown, a higher id: it sorts before it (already passed)
            shown = Interception.objects.get(pk=pages_seen[-1]["results"][-1]["id"])
            inserted["tie"].append(make_interception(monitor, bhw, occurred_at=shown.occurred_at))

    pages_seen = []
    client = api(monitor)
    response = client.get(URL, {"page_size": 5})
    while True:
        body = response.json()
        pages_seen.append(body)
        write(len(pages_seen))
        if body["next"] is None:
            break
        response = client.get(body["next"])

    seen = ids(pages_seen)
    assert len(seen) == len(set(seen)), "a row was returned twice"
    assert {r.pk for r in existing} <= set(seen), "a row was skipped"
    assert {r.pk for r in inserted["middle"]} <= set(seen)
    assert not {r.pk for r in inserted["newer"] + inserted["tie"]} & set(seen)
    everything = Interception.objects.filter(pk__in=seen)
    assert seen == [r.pk for r in in_list_order(everything)]  # occurred_at DESC, id DESC
    assert all(len(page["results"]) == 5 for page in pages_seen[:-1])
    assert pages_seen[0]["previous"] is None and pages_seen[-1]["next"] is None
    assert "count" not in pages_seen[0]  # no count of every visible row


def test_previous_walks_back_to_the_same_pages(api, monitor, bhw):
    existing = records(monitor, bhw, 11)
    client = api(monitor)
    pages = walk(client, URL, {"page_size": 4})
    assert [len(p["results"]) for p in pages] == [4, 4, 3]
    assert ids(pages) == [r.pk for r in in_list_order(existing)]
    back = client.get(pages[2]["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in pages[1]["results"]]
    first = client.get(back["previous"]).json()
    assert [r["id"] for r in first["results"]] == [r["id"] for r in pages[0]["results"]]
    assert first["previous"] is None and first["next"] is not None
    assert [r["id"] for r in client.get(first["next"]).json()["results"]] == ids(pages[1:2])
    # a row inserted above the first page is where `previous` leads once the walk goes back past the top
    newest = make_interception(monitor, bhw, occurred_at=at(1))
    again = client.get(back["previous"]).json()
    assert [r["id"] for r in again["results"]] == ids(pages[:1]) and again["previous"] is not None
    assert client.get(again["previous"]).json()["results"][-1]["id"] == newest.pk


def test_links_are_absolute_and_keep_the_filters_behind_the_tls_proxy(api, monitor, bhw, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    records(monitor, bhw, 3)
    body = (
        api(monitor).get(URL, {"page_size": 2, "status": "submitted"}, HTTP_X_FORWARDED_PROTO="https").json()
    )
    link = urlsplit(body["next"])
    assert link.scheme == "https" and link.path == URL
    query = parse_qs(link.query)
    assert query["status"] == ["submitted"] and query["page_size"] == ["2"] and query["cursor"]
    assert body["results"][0]["url"].startswith("https://")


# --- bad cursors, page sizes --------------------------------------------------------------------------------


def test_a_tampered_or_foreign_cursor_is_a_400_naming_the_cursor(api, monitor, bhw):
    records(monitor, bhw, 3)
    client = api(monitor)
    token = parse_qs(urlsplit(client.get(URL, {"page_size": 1}).json()["next"]).query)["cursor"][0]
    assert client.get(URL, {"cursor": token}).status_code == 200
    raw = keyset.base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    forged = raw.replace('["i",', '["i",1', 1)  # another id, the signature kept
    forged = keyset.base64.urlsafe_b64encode(forged.encode()).decode().rstrip("=")
    audit_cursor = keyset.encode((123,))  # a valid token for a list with another order
    for bad in (forged, token[:-3] + "AAA", token[:20], "not-a-cursor", "%%%", "x" * 5000, audit_cursor):
        response = client.get(URL, {"cursor": bad})
        assert response.status_code == 400, bad
        error = response.json()["error"]
        assert error["code"] == "invalid" and list(error["fields"]) == ["cursor"]
        assert "next or previous link" in error["fields"]["cursor"][0]
    with pytest.raises(ValueError):
        keyset.decode(forged)


def test_page_size_is_1_to_100_and_page_numbers_are_refused(api, monitor, bhw):
    records(monitor, bhw, 3)
    client = api(monitor)
    assert len(client.get(URL, {"page_size": 1}).json()["results"]) == 1
    assert len(client.get(URL, {"page_size": 100}).json()["results"]) == 3
    for bad in ("0", "101", "-1", "ten", "2.5"):
        response = client.get(URL, {"page_size": bad})
        assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["page_size"]
    response = client.get(URL, {"page": 2})
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["page"]
    assert client.get(URL, {"min_score": "many"}).status_code == 400  # the filters' errors stay


# --- the rows: a summary, masked as strictly as the record -------------------------------------------------


def test_list_rows_are_summaries_masked_like_the_record(api, monitor, manager, bhw, nepal):
    record = make_interception(
        monitor,
        bhw,
        flags=(),
        people=[person("Sita Tamang"), person("Gita Rai"), person("Ram Bahadur", role="suspect")],
        reason="Secret informant told us about the broker.",
    )
    outsider = member(Role.MONITOR, station=StationFactory(code="KKB", country=nepal), username="outsider")
    services.interception_share(actor=manager, interception=record, level="view", user=outsider)
    response = api(outsider).get(URL)
    row = response.json()["results"][0]
    assert set(row) == SUMMARY_KEYS
    assert row["id"] == record.pk and row["number"] == record.number and row["station"] == "BHW"
    assert (row["victim_count"], row["suspect_count"]) == (2, 1) and row["sensitive_visible"] is False
    assert "Secret informant" not in response.content.decode() and "Sita" not in response.content.decode()
    detail = api(outsider).get(row["url"]).json()
    assert detail["reason"] == "[restricted]" and detail["sensitive_visible"] is False
    # the same dates as the whole record, written the same way
    assert {k: detail[k] for k in ("occurred_at", "created_at", "updated_at", "version", "status")} == {
        k: row[k] for k in ("occurred_at", "created_at", "updated_at", "version", "status")
    }
    services.interception_share(actor=manager, interception=record, level="view_sensitive", user=outsider)
    assert api(outsider).get(URL).json()["results"][0]["sensitive_visible"] is True


def test_other_stations_rows_are_not_listed(api, monitor, other_monitor, bhw, brg):
    mine = records(monitor, bhw, 2)
    records(other_monitor, brg, 2)
    assert ids(walk(api(monitor), URL, {"page_size": 1})) == [r.pk for r in in_list_order(mine)]


# --- the read is logged ----------------------------------------------------------------------------------


def test_each_page_read_is_logged_with_its_ids_and_stations(api, monitor, bhw):
    existing = records(monitor, bhw, 3)
    pages = walk(api(monitor), URL, {"page_size": 2, "status": "submitted"})
    reads = list(AccessEvent.objects.filter(action="interception.list", actor=monitor).order_by("id"))
    assert [e.details["ids"] for e in reads] == [sorted(r["id"] for r in p["results"]) for p in pages]
    assert sorted(i for e in reads for i in e.details["ids"]) == sorted(r.pk for r in existing)
    first, second = (e.details for e in reads)
    assert (
        first["stations"] == ["BHW"] and first["api"] is True and first["filters"] == {"status": "submitted"}
    )
    assert (first["page"], first["cursor"], first["count"]) == (1, False, 2)
    assert (second["page"], second["cursor"], second["count"]) == (0, True, 1)


# --- a fixed number of queries ----------------------------------------------------------------------------


def test_a_list_page_costs_the_same_queries_for_5_and_50_rows(
    api, monitor, bhw, django_assert_max_num_queries
):
    def add(n):
        for i in range(n):
            people = [person("A"), person("B", role="suspect")]
            make_interception(monitor, bhw, occurred_at=at(i + 2), people=people, flags=["V01"])

    client = api(monitor)
    client.get(URL)  # the token's first use
    add(5)
    with CaptureQueriesContext(connection) as five:
        response = client.get(URL)
    assert len(response.json()["results"]) == 5
    add(50)
    with django_assert_max_num_queries(len(five.captured_queries)):
        response = client.get(URL)
    rows = response.json()["results"]
    assert len(rows) == 50 and {(r["victim_count"], r["suspect_count"]) for r in rows} == {(1, 1)}
    with django_assert_max_num_queries(len(five.captured_queries)):  # a page reached by a cursor too
        assert len(client.get(response.json()["next"]).json()["results"]) == 5
    # token, access profile, the page, its people counts, the read logged (lock, chain head, insert)
    assert len(five.captured_queries) <= 10


def test_the_seek_is_an_index_condition_of_the_recent_index(monitor, bhw):
    records(monitor, bhw, 4)
    key = (timezone.now(), 10**9)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        for reverse in (False, True):
            qs = keyset.seek(Interception.objects.values("id"), ("occurred_at", "id"), key, reverse=reverse)
            plan = qs[:51].explain()
            assert "interception_recent_idx" in plan and "Index Cond: (ROW(occurred_at, id)" in plan, plan
            assert "Filter:" not in plan and "Sort" not in plan, plan


# --- orjson ------------------------------------------------------------------------------------------------


def test_errors_render_with_orjson_in_nepali(api, monitor, bhw):
    response = api(monitor).get(URL, {"min_score": "many"}, HTTP_ACCEPT_LANGUAGE="ne")
    assert response.status_code == 400 and isinstance(response.accepted_renderer, ORJSONRenderer)
    assert response["Content-Type"] == "application/json"
    error = json.loads(response.content)["error"]
    assert error["message"] == "हालिएको विवरण मान्य छैन; केही पनि सेभ भएन।"
    assert "हालिएको" in response.content.decode("utf-8")  # UTF-8 as it is, not \u escapes
    assert error["fields"]["min_score"] and error["fields"]["min_score"][0] != "Enter a whole number."


def test_the_renderer_writes_what_drfs_json_renderer_wrote():
    import datetime
    import decimal
    import uuid

    from django.utils.translation import gettext_lazy
    from rest_framework.renderers import JSONRenderer

    data = {
        "lazy": gettext_lazy("Invalid page."),
        "at": datetime.datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=datetime.UTC),
        "on": datetime.date(2025, 3, 1),
        "amount": decimal.Decimal("1.50"),
        "id": uuid.UUID(int=5),
        "took": datetime.timedelta(seconds=90),
        1: "an int key",
        "nested": [{"name": "सीता"}],
    }
    assert json.loads(ORJSONRenderer().render(data)) == json.loads(JSONRenderer().render(data))


# --- the access log API ------------------------------------------------------------------------------------


def test_the_access_log_api_walks_by_cursor_newest_first_while_reads_are_logged(api, bhw):
    auditor = member(Role.AUDITOR, country=bhw.country, username="aud_cursor")
    monitor = member(Role.MONITOR, station=bhw, username="mon_cursor")
    written = [
        record_event(actor=monitor, action="interception.view", obj=bhw, station=bhw) for _ in range(12)
    ]
    client = api(auditor)
    pages = walk(client, AUDIT, {"page_size": 5, "action": "interception.view"})
    assert ids(pages) == sorted((e.pk for e in written), reverse=True)  # each read wrote an event meanwhile
    assert [len(p["results"]) for p in pages] == [5, 5, 2]
    everything = walk(client, AUDIT, {"page_size": 100})
    seen = ids(everything)
    assert len(seen) == len(set(seen)) and {e.pk for e in written} <= set(seen)
    reads = AccessEvent.objects.filter(action="audit.list", actor=auditor).order_by("id")
    assert [e.details["ids"] for e in reads[:3]] == [sorted(r["id"] for r in p["results"]) for p in pages]
    assert client.get(AUDIT, {"cursor": "forged"}).status_code == 400
    assert client.get(pages[1]["previous"]).json()["results"] == pages[0]["results"]


def test_an_auditor_elsewhere_walks_an_empty_log(api, bhw):
    india = CountryFactory(code="IN", name="India")
    auditor = member(Role.AUDITOR, country=india, username="aud_in")
    monitor = member(Role.MONITOR, station=bhw, username="mon_np")
    record_event(actor=monitor, action="interception.view", obj=bhw, station=bhw)
    body = api(auditor).get(AUDIT).json()
    assert body == {"next": None, "previous": None, "results": []}
