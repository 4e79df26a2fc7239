import re
from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Country, Membership, Station, User
from interception.services import IntercepteeData, InterceptionData, interception_create

PASSWORD = "correct-horse-battery-staple"


class CountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Country
        django_get_or_create = ("code",)

    code = "NP"
    name = "Nepal"


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Station
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Station {o.code}")
    country = factory.SubFactory(CountryFactory)
    timezone = "Asia/Kathmandu"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


def member(role: str, station: Station | None = None, country: Country | None = None, **kwargs) -> User:
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, role=role, station=station, country=country)
    return user


def person(name: str, role: str = "potential_victim", **kwargs) -> IntercepteeData:
    return IntercepteeData(full_name=name, role=role, **kwargs)


def make_interception(actor, station, *, flags=(), submit=True, people=None, **kwargs):
    data = InterceptionData(
        occurred_at=kwargs.pop("occurred_at", timezone.now() - timedelta(hours=2)),
        place=kwargs.pop("place", "Belahiya checkpoint"),
        certainty=kwargs.pop("certainty", 4),
        reason=kwargs.pop("reason", "Travelling with a man she met last week; no job contract."),
        red_flag_codes=list(flags),
        interceptees=people if people is not None else [person("Sita Tamang", gender="female", age=17)],
        **kwargs,
    )
    interception, _ = interception_create(actor=actor, station=station, data=data, submit=submit)
    return interception


def totp_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test phone", confirmed=True)


def totp_code(device) -> str:
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def login(client, user):
    """A logged-in session that has passed MFA, as after the real login flow."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()
    return client


def csrf_from(page) -> str:
    """The CSRF token of a rendered form (a response, or its HTML)."""
    html = page if isinstance(page, str) else page.content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def sign_in(user):
    """The real sign-in: the login form, then the second factor's form, with CSRF checks on."""
    from django.test import Client
    from django.urls import reverse

    device = totp_device(user)
    client = Client(enforce_csrf_checks=True)
    form = client.get(reverse("login"))
    response = client.post(
        reverse("login"),
        {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": csrf_from(form)},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    form = client.get(reverse("mfa-verify"))
    if form.status_code == 200:
        response = client.post(
            reverse("mfa-verify"), {"code": totp_code(device), "csrfmiddlewaretoken": csrf_from(form)}
        )
        assert response.status_code == 302
    return client


def interception_form(station, *, when, **fields) -> dict:
    """What the interception form posts for one potential victim, Sita Tamang, at `when` (station time);
    `fields` add or override (the CSRF token, the idempotency key, "submit"...)."""
    return {
        "station": station.pk,
        "occurred_at": when.astimezone(station.tzinfo).strftime("%Y-%m-%dT%H:%M"),
        "place": "Belahiya checkpoint",
        "people-TOTAL_FORMS": "1",
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "1000",
        "people-0-full_name": "Sita Tamang",
        "people-0-role": "potential_victim",
        "people-0-gender": "female",
        **fields,
    }


def wait_for(predicate, timeout=15.0, step=0.1) -> bool:
    """Poll `predicate` until true (True) or until `timeout` seconds pass (False): for a worker's work."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False
