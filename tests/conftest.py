import pytest
from django.utils.functional import empty
from rest_framework.test import APIClient

from accounts.roles import Role
from interception.models import RedFlag, private_storage

from .factories import CountryFactory, StationFactory, member


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty Django cache (the station picker's choices, the lists' capped
    counts): what one test cached is never another's answer."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    private_storage._wrapped = empty
    yield settings.PRIVATE_MEDIA_ROOT
    private_storage._wrapped = empty


@pytest.fixture
def nepal(db):
    return CountryFactory(code="NP", name="Nepal")


@pytest.fixture
def bhw(nepal):
    return StationFactory(code="BHW", name="Bhairahawa", country=nepal)


@pytest.fixture
def brg(nepal):
    return StationFactory(code="BRG", name="Birgunj", country=nepal)


@pytest.fixture
def monitor(bhw):
    return member(Role.MONITOR, station=bhw, username="mon_bhw")


@pytest.fixture
def manager(bhw):
    return member(Role.STATION_MANAGER, station=bhw, username="mgr_bhw")


@pytest.fixture
def other_monitor(brg):
    return member(Role.MONITOR, station=brg, username="mon_brg")


@pytest.fixture
def catalogue(db):
    """The red-flag catalogue. The data migration loads it; a transactional test's flush empties the
    tables, so it is loaded again here when missing."""
    if not RedFlag.objects.exists():
        from interception.catalogue import RED_FLAGS, RED_FLAGS_NE

        RedFlag.objects.bulk_create(
            RedFlag(code=c, group=g, text=t, text_ne=RED_FLAGS_NE.get(c, ""), points=p, sort_order=i)
            for i, (c, g, t, p) in enumerate(RED_FLAGS)
        )
    return RedFlag.objects.filter(active=True)


@pytest.fixture
def flags(catalogue):
    """Three catalogue flags."""
    return list(catalogue.order_by("code")[:3])


@pytest.fixture
def api():
    def client_for(user=None):
        client = APIClient()
        if user is not None:
            from knox.models import AuthToken

            _, key = AuthToken.objects.create(user=user)  # a knox token, as `manage.py issue_token` makes
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return client_for
