import pytest
from django.core.management import CommandError, call_command
from knox.models import AuthToken

from accounts.models import Membership, Station, User
from interception.models import Interception

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_station_grant_role_and_issue_token(monkeypatch):
    assert "Created station BHW" in run("create_station", "bhw", "Bhairahawa", "--country", "NP")
    station = Station.objects.get(code="BHW")
    assert (station.country.code, station.timezone) == ("NP", "Asia/Kathmandu")
    run("create_station", "DEL", "Delhi desk", "--country", "IN", "--timezone", "Asia/Kolkata")
    assert Station.objects.get(code="DEL").timezone == "Asia/Kolkata"

    with pytest.raises(CommandError, match="No user named"):
        run("grant_role", "sita", "monitor", "BHW")
    monkeypatch.setenv("NEW_USER_PASSWORD", "a-long-enough-password-1")
    assert "Created user sita" in run("grant_role", "sita", "monitor", "BHW", "--create-user")
    user = User.objects.get(username="sita")
    assert user.check_password("a-long-enough-password-1")
    assert Membership.objects.filter(user=user, role="monitor", station=station).exists()
    assert "already was" in run("grant_role", "sita", "monitor", "BHW")

    monkeypatch.delenv("NEW_USER_PASSWORD")
    run("grant_role", "ravi", "country_director", "NP", "--country", "--create-user")
    assert not User.objects.get(username="ravi").has_usable_password()

    key = run("issue_token", "sita").strip()
    token = AuthToken.objects.get(user=user)
    assert key not in token.digest and token.token_key == key[:15]  # only a digest of it is kept
    assert run("issue_token", "sita").strip() != key  # a new token each time; the old one is not shown


def test_commands_refuse_bad_input():
    with pytest.raises(CommandError, match="time zone"):
        run("create_station", "XYZ", "X", "--country", "NP", "--timezone", "Mars/Olympus")
    with pytest.raises(CommandError, match="No station"):
        run("grant_role", "sita", "monitor", "NOPE", "--create-user")
    with pytest.raises(CommandError):
        run("grant_role", "sita", "wizard", "BHW")
    assert not Station.objects.filter(code="XYZ").exists()


def test_seed_demo_is_idempotent():
    run("seed_demo", "--interceptions", "12", "--i-know-this-is-not-production")
    counts = (Station.objects.count(), User.objects.count(), Interception.objects.count())
    assert counts[0] == 8 and counts[2] == 12
    run("seed_demo", "--interceptions", "12", "--i-know-this-is-not-production")
    assert (Station.objects.count(), User.objects.count(), Interception.objects.count()) == counts
    names = "".join(
        Interception.objects.values_list("interceptees__person__full_name", flat=True).exclude(
            interceptees__isnull=True
        )
    )
    assert any("\u0900" <= ch <= "\u097f" for ch in names), "some names are in Devanagari"


def test_seed_demo_refuses_without_debug_and_demo_codes_work(monkeypatch):
    from django_otp.oath import totp

    from accounts.mfa import DEMO_TOTP_KEY_HEX

    with pytest.raises(CommandError, match="DEBUG"):
        run("seed_demo", "--interceptions", "0")
    run("seed_demo", "--interceptions", "0", "--i-know-this-is-not-production")
    code = run("demo_code", "monitor").strip()
    assert code == f"{totp(bytes.fromhex(DEMO_TOTP_KEY_HEX)):06d}"
    User.objects.create(username="real")
    with pytest.raises(CommandError, match="no demo authenticator"):
        run("demo_code", "real")
