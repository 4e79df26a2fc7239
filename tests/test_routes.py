"""Route counts: home district -> border station -> destination (interception/routes.py)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from audit.models import AccessEvent
from interception import routes
from people.models import Place

from .factories import login, make_interception, member, person
from .test_browser import browser, log_in, page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(bhw, brg, nepal):
    """At BHW: 12 potential victims from a municipality's district going to India (one interception), 3 from
    a district itself going to a Nepali district's municipality; one suspect (not counted). At BRG: 2
    people with no places. A draft at BHW (not counted)."""
    # places of our own (a transactional test's flush may have emptied the loaded reference places)
    province = Place.objects.create(country="NP", kind="province", code="t-p", name="Test Province")
    home = Place.objects.create(
        country="NP", kind="district", code="t-d1", name="Homedistrict", parent=province
    )
    municipality = Place.objects.create(
        country="NP", kind="municipality", code="t-m1", name="Homevillage", parent=home
    )
    district = Place.objects.create(
        country="NP", kind="district", code="t-d2", name="Otherdistrict", parent=province
    )
    city = Place.objects.create(
        country="NP", kind="district", code="t-d3", name="Citydistrict", parent=province
    )
    destination = Place.objects.create(
        country="NP", kind="municipality", code="t-m3", name="Bigcity", parent=city
    )
    monitor = member(Role.MONITOR, station=bhw, username="mon_bhw")
    march = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
    many = make_interception(
        monitor,
        bhw,
        occurred_at=march,
        people=[
            *[
                person(f"Victim {i}", address_place=municipality.code, destination_country="IN")
                for i in range(12)
            ],
            person("Ram", role="suspect", address_place=municipality.code, destination_country="IN"),
        ],
    )
    few = make_interception(
        monitor,
        bhw,
        occurred_at=march + timedelta(days=31),
        people=[
            person(f"Other {i}", address_place=district.code, destination_place=destination.code)
            for i in range(3)
        ],
    )
    make_interception(monitor, bhw, submit=False, people=[person("Draft person")])  # a draft: not counted
    brg_monitor = member(Role.MONITOR, station=brg, username="mon_brg")
    make_interception(brg_monitor, brg, occurred_at=march, people=[person("A"), person("B")])
    return {
        "municipality": municipality,
        "district": district,
        "destination": destination,
        "many": many,
        "few": few,
        "manager": member(Role.STATION_MANAGER, station=bhw, username="mgr_bhw"),
        "director": member(Role.COUNTRY_DIRECTOR, country=nepal, username="dir_np"),
        "brg_monitor": brg_monitor,
    }


def table(result) -> dict:
    return {(r["source"], r["station"], r["destination"]): r["count_display"] for r in result["results"]}


def test_exact_counts_for_a_manager_with_view_sensitive(world):
    w = world
    result = routes.route_counts(user=w["manager"], filters=routes.RouteFilters())
    assert table(result) == {
        (w["municipality"].parent.name, "BHW", "India"): "12",
        (w["district"].name, "BHW", w["destination"].parent.name): "3",
    }
    assert result["total"] == 15 and result["suppressed"] == 0
    event = AccessEvent.objects.filter(action="interception.routes", actor=w["manager"]).latest("id")
    assert event.details["rows"] == 2 and event.details["filters"] == {}


def test_small_counts_are_suppressed_for_a_director_and_the_total_cannot_recompute_them(world):
    w = world
    result = routes.route_counts(user=w["director"], filters=routes.RouteFilters())
    assert table(result) == {
        (w["municipality"].parent.name, "BHW", "India"): "12",
        (w["district"].name, "BHW", w["destination"].parent.name): "<11",
        ("Unknown", "BRG", "Unknown"): "<11",
    }
    small = [r for r in result["results"] if r["count_display"] == "<11"]
    assert all(r["count"] is None for r in small)
    assert result["total"] == 12 and result["suppressed"] == 2


def test_scope_filters_and_periods(world):
    w = world
    assert (
        routes.route_counts(user=w["brg_monitor"], filters=routes.RouteFilters())["results"][0]["count"] == 2
    )
    assert len(routes.route_counts(user=w["brg_monitor"], filters=routes.RouteFilters())["results"]) == 1
    march = routes.RouteFilters(since=datetime(2026, 3, 1).date(), until=datetime(2026, 3, 31).date())
    assert list(table(routes.route_counts(user=w["manager"], filters=march)).values()) == ["12"]
    monthly = routes.route_counts(user=w["manager"], filters=routes.RouteFilters(period="month"))
    assert [(r["period"], r["count"]) for r in monthly["results"]] == [("2026-03", 12), ("2026-04", 3)]
    yearly = routes.route_counts(user=w["manager"], filters=routes.RouteFilters(period="quarter"))
    assert {r["period"] for r in yearly["results"]} == {"2026-Q1", "2026-Q2"}
    assert routes.route_counts(user=w["director"], filters=routes.RouteFilters(country="IN"))["results"] == []


def test_routes_api_contract_bad_dates_and_query_count(world, api, django_assert_max_num_queries):
    w = world
    client = api(w["director"])
    url = reverse("api:routes")
    # token, access profile, countries, the GROUP BY, the exact-count stations, the access-log event (5)
    with django_assert_max_num_queries(10):
        response = client.get(url, {"country": "NP", "since": "2026-01-01", "until": "2026-12-31"})
    assert response.status_code == 200
    body = response.json()
    assert body["since"] == "2026-01-01" and body["until"] == "2026-12-31" and body["country"] == "NP"
    rows = {r["station"] + r["destination"]: r for r in body["results"]}
    assert rows["BHWIndia"]["count"] == 12 and rows["BHWIndia"]["count_display"] == "12"
    assert rows["BRGUnknown"] == {**rows["BRGUnknown"], "count": None, "count_display": "<11"}
    bad = client.get(url, {"since": "yesterday"})
    assert bad.status_code == 400 and "since" in bad.json()["error"]["fields"]
    backwards = client.get(url, {"since": "2026-05-01", "until": "2026-04-01"})
    assert backwards.status_code == 400 and "until" in backwards.json()["error"]["fields"]
    assert api().get(url).status_code == 401


def test_the_page_renders_the_table_the_chart_data_and_form_errors(world):
    w = world
    client = login(Client(), w["director"])
    response = client.get(reverse("interception:routes"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="routes-data" type="application/json"' in html
    assert "js/routes.js" in html and "d3-sankey.min.js" in html
    assert "India" in html and "&lt;11" in html and w["municipality"].parent.name in html
    assert 'href="' + reverse("interception:routes") + '"' in html  # the nav link
    bad = client.get(reverse("interception:routes"), {"since": "2026-13-45"}).content.decode()
    assert "Enter a valid date." in bad and 'id="routes-data"' not in bad
    monthly = login(Client(), w["manager"]).get(reverse("interception:routes"), {"period": "month"})
    assert "2026-04" in monthly.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_flow_diagram_is_drawn_in_a_browser(page, live_server, world):  # noqa: F811 (fixture)
    """d3-sankey draws the exact counts as SVG under the CSP (no inline script or style), at phone width."""
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    log_in(page, live_server.url, world["manager"])
    page.goto(f"{live_server.url}{reverse('interception:routes')}")
    page.wait_for_selector("#routes-chart svg.sankey")
    assert page.locator("#routes-chart svg path").count() == 4  # 2 routes x (source→station, station→dest)
    assert page.locator("#routes-chart svg text", has_text="India").count() == 1
    assert not problems, problems
