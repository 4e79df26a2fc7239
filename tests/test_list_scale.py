"""The interception list at a million records (issue 9, docs/interceptions.md "The list at scale"): a capped
count ("10,000+"), ids-first deep pages with the right per-row counts, "Older records" by keyset past the
numbered pages, number search on indexes, the cached station picker, and query counts that do not grow
with the page's depth or a record's people."""

import html
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from accounts.roles import Role
from audit.models import AccessEvent
from interception import services
from interception.models import Interception
from interception.selectors import InterceptionFilters

from .factories import StationFactory, login, make_interception, member, person

pytestmark = pytest.mark.django_db

LIST = "/interceptions/"
NUMBER = re.compile(r"[A-Z]{3}-\d{4}-\d{5}")
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr("interception.views.PAGE_SIZE", 2)


def bulk(station, user, numbers):
    """Drafts with these numbers, newest first (a minute apart), inserted in one statement."""
    now = timezone.now()
    return Interception.objects.bulk_create(
        Interception(
            number=number,
            station=station,
            occurred_at=now - timedelta(minutes=i),
            occurred_on=(now - timedelta(minutes=i)).date(),
            place="Belahiya checkpoint",
            created_by=user,
            # the fields with database defaults, given (bulk_create sends these as values)
            place_country="",
            journey_start_country="",
            journey_start_text="",
            how_started_notes="",
        )
        for i, number in enumerate(numbers)
    )


def seven(station, user):
    return bulk(station, user, [f"BHW-2026-{n:05d}" for n in range(7, 0, -1)])


def numbers_on(response) -> list[str]:
    assert response.status_code == 200
    return NUMBER.findall(response.content.decode().split("<tbody>", 1)[1].split("</tbody>", 1)[0])


def last_list_event():
    return AccessEvent.objects.filter(action="interception.list").latest("id")


def older_link(response) -> str | None:
    found = re.search(r'href="\?([^"]*)" rel="next">[^<]*Older records', response.content.decode())
    return html.unescape(found.group(1)) if found else None


# --- the capped count ----------------------------------------------------------------------------------


def test_a_count_past_the_cap_shows_the_cap_and_a_plus(client, monitor, bhw, settings, small_pages):
    seven(bhw, monitor)
    login(client, monitor)
    settings.LIST_COUNT_CAP = 5
    page = client.get(LIST).content.decode()
    assert "5+ interceptions" in page and "Page 1 of 3+" in page
    event = last_list_event()
    assert event.details["count"] == 5 and event.details["capped"] is True  # the count as shown

    settings.LIST_COUNT_CAP = 7  # at the cap, not past it: the exact count
    page = client.get(LIST).content.decode()
    assert "7 interceptions" in page and "7+" not in page and "Page 1 of 4<" in page
    event = last_list_event()
    assert event.details["count"] == 7 and event.details["capped"] is False


def test_a_list_past_the_cap_is_counted_once_while_paging(client, monitor, bhw, settings, small_pages):
    seven(bhw, monitor)
    login(client, monitor)
    settings.LIST_COUNT_CAP = 5

    def counts(url):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url).content.decode()
        assert "5+ interceptions" in page
        return sum(
            q["sql"].startswith("SELECT COUNT(*)") and "interception_interception" in q["sql"]
            for q in queries.captured_queries
        )

    assert counts(LIST) == 1
    assert counts(LIST + "?page=2") == 0  # remembered: "more than the cap" for the same list
    assert counts(LIST + "?date_from=2000-01-01") == 1  # another list (other filters) counts for itself


def test_the_capped_count_is_formatted_for_the_reader(client, monitor, bhw, settings):
    bulk(bhw, monitor, [f"BHW-2026-{n:05d}" for n in range(1, 1002)])
    settings.LIST_COUNT_CAP = 1000
    login(client, monitor)
    assert "1,000+ interceptions" in client.get(LIST).content.decode()


def test_the_count_reads_at_most_cap_plus_one_rows(client, monitor, bhw, settings):
    seven(bhw, monitor)
    settings.LIST_COUNT_CAP = 5
    login(client, monitor)
    with CaptureQueriesContext(connection) as ctx:
        client.get(LIST)
    counts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(*) FROM (")]
    assert counts and all("LIMIT 6" in sql for sql in counts), counts


# --- deep pages ------------------------------------------------------------------------------------------


def test_a_deep_page_shows_its_rows_with_their_victim_and_suspect_counts(client, monitor, bhw, small_pages):
    now = timezone.now()
    made = []
    for i in range(7):  # newest first; record i has i % 3 + 1 victims and i % 2 suspects
        people = [person(f"Victim {i}-{v}") for v in range(i % 3 + 1)]
        people += [person(f"Suspect {i}", role="suspect")] * (i % 2)
        made.append(make_interception(monitor, bhw, people=people, occurred_at=now - timedelta(hours=i + 1)))
    login(client, monitor)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST, {"page": 3})
    body = response.content.decode().split("<tbody>", 1)[1]
    rows = re.findall(
        r"(BHW-\d{4}-\d{5})</a>.*?Victims\" class=\"num\">(\d+)<.*?Suspects\" class=\"num\">(\d+)<",
        body,
        re.S,
    )
    assert rows == [(made[i].number, str(i % 3 + 1), str(i % 2)) for i in (4, 5)]
    # The ids come first (the order's index, no per-row counts); the counts only for the page's ids.
    sql = [q["sql"] for q in ctx.captured_queries if "interception_interception" in q["sql"]]
    assert any("OFFSET 4" in s and "interception_interceptee" not in s for s in sql)
    counted = [s for s in sql if "interception_interceptee" in s and "COUNT(" in s]
    assert counted and all("OFFSET" not in s and '"id" IN (' in s for s in counted)
    assert last_list_event().details["ids"] == sorted([made[4].pk, made[5].pk])


def test_older_records_continue_past_the_last_numbered_page(client, monitor, bhw, settings, small_pages):
    made = seven(bhw, monitor)
    settings.LIST_COUNT_CAP = 5
    login(client, monitor)
    assert older_link(client.get(LIST, {"status": "draft"})) is None  # only on the last numbered page
    last = client.get(LIST, {"status": "draft", "page": 3})
    assert numbers_on(last) == [made[4].number, made[5].number]
    link = older_link(last)
    assert link and "status=draft" in link and "after=" in link

    older = client.get(f"{LIST}?{link}")
    assert numbers_on(older) == [made[6].number]
    assert older_link(older) is None and "Newest records" in older.content.decode()
    event = last_list_event()
    assert event.details["cursor"] is True and event.details["page"] == 0
    assert event.details["ids"] == [made[6].pk]


def test_older_records_walk_on_by_keyset(client, monitor, bhw, settings, small_pages):
    made = bulk(bhw, monitor, [f"BHW-2026-{n:05d}" for n in range(9, 0, -1)])
    settings.LIST_COUNT_CAP = 2  # one numbered page, then keyset pages
    login(client, monitor)
    seen = numbers_on(response := client.get(LIST))
    while link := older_link(response):
        response = client.get(f"{LIST}?{link}")
        seen += numbers_on(response)
    assert seen == [i.number for i in made]


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "0"},
        {"page": "-1"},
        {"page": "99999"},
        {"page": "1e3"},
        {"page": "9" * 40},
        {"after": "not-a-cursor"},
        {"after": "eyJrIjpbXX0"},
        {"page": "2", "after": "x" * 5000},
    ],
)
def test_bad_page_numbers_and_cursors_give_the_first_page(client, monitor, bhw, small_pages, params):
    made = seven(bhw, monitor)
    login(client, monitor)
    assert numbers_on(client.get(LIST, params)) == [made[0].number, made[1].number]


# --- number search -------------------------------------------------------------------------------------


def test_number_search_finds_fragments_and_whole_numbers(client, monitor, bhw, brg):
    bulk(bhw, monitor, ["BHW-2026-00017", "BHW-2026-00170", "BHW-2025-00017", "BHW-2025-00001"])
    bulk(brg, member(Role.MONITOR, station=brg), ["BRG-2026-00017"])  # not the monitor's station
    login(client, monitor)

    def found(number):
        return set(numbers_on(client.get(LIST, {"number": number})))

    assert found("0017") == {"BHW-2026-00017", "BHW-2026-00170", "BHW-2025-00017"}
    assert found("HW-2026") == {"BHW-2026-00017", "BHW-2026-00170"}
    assert found("hw-2025") == {"BHW-2025-00017", "BHW-2025-00001"}
    assert found("BHW-2026-00017") == {"BHW-2026-00017"}
    assert found("bhw-2026-00017") == {"BHW-2026-00017"}  # a whole number, whatever its case
    assert found("BRG-2026-00017") == set()
    page = client.get(LIST, {"number": "17"}).content.decode()
    assert "Type at least 3 characters of the number." in page


def test_a_whole_number_is_an_exact_match_and_a_fragment_reads_the_trigram_index(monitor, bhw):
    whole = str(InterceptionFilters(number=" bhw-2026-00017 ").apply(Interception.objects.all()).query)
    assert "LIKE" not in whole and '"number" IN (BHW-2026-00017' in whole
    bulk(bhw, monitor, [f"BHW-2026-{n:05d}" for n in range(1, 2001)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE interception_interception")
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test table is small: what a big one does
    fragment = InterceptionFilters(number="0017").apply(Interception.objects.order_by())
    assert "interception_number_trgm" in fragment.explain()
    assert fragment.count() == 11  # 00017, 00170..00179


# --- station picker ------------------------------------------------------------------------------------


def test_the_station_picker_lists_the_users_stations_from_the_cache(client, nepal, bhw):
    for n in range(30):
        StationFactory(code=f"T{n:02d}", name=f"Town {n}", country=nepal)
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="director")
    login(client, director)

    def picker(**params):
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(LIST, params).content.decode()
        select = re.search(r'<select[^>]* name="station"[^>]*>(.*?)</select>', page, re.S)
        assert select and '<label for="id_station">Station</label>' in page
        station_reads = [q for q in ctx.captured_queries if '"accounts_station"."name" AS "name"' in q["sql"]]
        return re.findall(r'<option value="([^"]*)"( selected)?>', select.group(1)), len(station_reads)

    options, reads = picker()
    assert options[0] == ("", " selected") and len(options) == 32 and ("T07", "") in options
    assert reads == 1
    options, reads = picker(station="t07")
    assert ("T07", " selected") in options and ("", "") in options
    assert reads == 0  # from the cache


def test_the_station_picker_follows_a_new_membership_at_once(client, monitor, bhw, brg):
    login(client, monitor)

    def codes():
        page = client.get(LIST).content.decode()
        select = re.search(r'<select[^>]* name="station"[^>]*>(.*?)</select>', page, re.S).group(1)
        return re.findall(r'<option value="([A-Z]+)"', select)

    assert codes() == ["BHW"]
    Membership.objects.create(user=monitor, role=Role.MONITOR, station=brg)
    assert codes() == ["BHW", "BRG"]


def test_a_station_name_is_escaped_in_the_picker(client, nepal):
    station = StationFactory(code="XSS", name='<script>alert("x")</script>', country=nepal)
    user = member(Role.MONITOR, station=station)
    login(client, user)
    page = client.get(LIST).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


# --- query counts ----------------------------------------------------------------------------------------


def test_list_queries_do_not_grow_with_the_depth(
    client, monitor, bhw, settings, small_pages, django_assert_max_num_queries
):
    bulk(bhw, monitor, [f"BHW-2026-{n:05d}" for n in range(40, 0, -1)])
    settings.LIST_COUNT_CAP = 30
    login(client, monitor)
    with CaptureQueriesContext(connection) as first:
        assert len(numbers_on(client.get(LIST))) == 2
    queries = len(first)  # now: the next request clears the connection's query log
    with django_assert_max_num_queries(queries):
        deep = client.get(LIST, {"page": 15})
    assert len(numbers_on(deep)) == 2
    with django_assert_max_num_queries(queries):  # the first "Older records" page
        assert len(numbers_on(client.get(f"{LIST}?{older_link(deep)}"))) == 2


def test_detail_queries_do_not_grow_with_people_flags_and_attachments(
    client, manager, bhw, catalogue, django_assert_max_num_queries
):
    codes = list(catalogue.order_by("code").values_list("code", flat=True))

    def record(people, flags, attachments):
        interception = make_interception(
            manager,
            bhw,
            flags=codes[:flags],
            people=[person(f"Victim {n}", phone=f"+97798000000{n:02d}") for n in range(people)]
            + [person("Ram", role="suspect")],
        )
        for n in range(attachments):
            services.attachment_add(
                actor=manager,
                interception=interception,
                uploaded_file=SimpleUploadedFile(f"p{n}.jpg", JPEG),
            )
        return interception

    small, big = record(1, 1, 1), record(6, 5, 4)
    login(client, manager)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("interception:detail", args=[small.pk])).status_code == 200
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("interception:detail", args=[big.pk]))
    assert response.status_code == 200 and response.content.decode().count("Victim ") >= 6
