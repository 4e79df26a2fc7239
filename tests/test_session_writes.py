"""The idle timeout's "last seen" time is written at most every 10 seconds (a tenth of a shorter timeout):
a busy user's pages do not each save the session again (issue 9, cheaper list pages)."""

import time

from django.contrib.sessions.models import Session

from accounts.middleware import SESSION_LAST_SEEN

from .factories import login


def _last_seen(client):
    return Session.objects.get(session_key=client.session.session_key).get_decoded()[SESSION_LAST_SEEN]


def test_last_seen_is_written_at_most_every_ten_seconds(client, monitor, settings):
    settings.SESSION_IDLE_TIMEOUT = 900
    login(client, monitor)
    assert client.get("/interceptions/").status_code == 200
    first = _last_seen(client)
    assert client.get("/interceptions/").status_code == 200
    assert _last_seen(client) == first  # a second page at once: the session is not written again

    session = client.session
    session[SESSION_LAST_SEEN] = time.time() - 11
    session.save()
    assert client.get("/interceptions/").status_code == 200
    assert _last_seen(client) > time.time() - 5  # after 10 s it is written


def test_a_short_timeout_still_sees_activity(client, monitor, settings):
    settings.SESSION_IDLE_TIMEOUT = 9  # the step is then 0.9 s: activity keeps the session open
    login(client, monitor)
    client.get("/interceptions/")
    session = client.session
    session[SESSION_LAST_SEEN] = time.time() - 5
    session.save()
    assert client.get("/interceptions/").status_code == 200
    assert _last_seen(client) > time.time() - 2
