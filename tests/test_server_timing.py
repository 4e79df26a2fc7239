"""core.timing: the Server-Timing header the HTTP benchmark reads, present only with SERVER_TIMING on."""

import re

import pytest

pytestmark = pytest.mark.django_db

HEADER = re.compile(r'^app;dur=(\d+\.\d\d), db;dur=(\d+\.\d\d);desc="(\d+) queries"$')


def test_no_header_by_default(api, monitor, settings):
    assert settings.SERVER_TIMING is False
    response = api(monitor).get("/api/v1/interceptions/")
    assert response.status_code == 200
    assert "Server-Timing" not in response


def test_header_with_the_time_of_the_request_and_of_its_queries(api, monitor, settings):
    settings.SERVER_TIMING = True
    response = api(monitor).get("/api/v1/interceptions/")
    assert response.status_code == 200
    found = HEADER.match(response["Server-Timing"])
    assert found, response["Server-Timing"]
    app, db, queries = float(found[1]), float(found[2]), int(found[3])
    assert queries >= 1  # the token check and the list, at least
    assert 0 < db <= app
