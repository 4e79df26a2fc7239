from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AccessEvent
from core.errors import StaleVersionError
from interception.models import Interception, RedFlag
from interception.services import InterceptionData, interception_create, interception_update
from people.models import Person

from .factories import make_interception, person

pytestmark = pytest.mark.django_db


def test_catalogue_is_loaded_with_all_groups():
    assert RedFlag.objects.filter(active=True).count() >= 40
    assert set(RedFlag.objects.values_list("group", flat=True)) == {
        "vulnerability",
        "evasion",
        "control",
        "labour",
    }


def test_score_is_computed_on_the_server_from_the_catalogue(monitor, bhw, flags):
    interception = make_interception(monitor, bhw, flags=[f.code for f in flags])
    assert interception.red_flag_score == sum(f.points for f in flags)
    assert interception.number == f"BHW-{timezone.now().astimezone(bhw.tzinfo).year}-00001"
    assert interception.occurred_on == interception.occurred_at.astimezone(bhw.tzinfo).date()


def test_numbers_run_per_station_and_year(monitor, bhw):
    first = make_interception(monitor, bhw)
    second = make_interception(monitor, bhw)
    last_year = make_interception(monitor, bhw, occurred_at=timezone.now() - timedelta(days=400))
    assert first.number.endswith("-00001") and second.number.endswith("-00002")
    assert last_year.number.endswith("-00001") and last_year.number != first.number


def test_local_date_uses_the_station_time_zone(monitor, bhw):
    # 20:00 UTC is 01:45 next day in Kathmandu (UTC+05:45).
    at = timezone.now().replace(hour=20, minute=0, second=0, microsecond=0) - timedelta(days=2)
    interception = make_interception(monitor, bhw, occurred_at=at)
    assert interception.occurred_on == (at + timedelta(hours=5, minutes=45)).date()


def test_same_idempotency_key_creates_one_interception(monitor, bhw):
    data = InterceptionData(
        occurred_at=timezone.now(), place="Belahiya", certainty=3, reason="r", interceptees=[person("Gita")]
    )
    first, created1 = interception_create(
        actor=monitor, station=bhw, data=data, submit=True, idempotency_key="k1"
    )
    again, created2 = interception_create(
        actor=monitor, station=bhw, data=data, submit=True, idempotency_key="k1"
    )
    assert (created1, created2) == (True, False)
    assert first.pk == again.pk
    assert Interception.objects.count() == 1
    assert Person.objects.filter(source="interception").count() == 1


def test_submit_requires_certainty_reason_and_a_victim_and_writes_nothing(monitor, bhw):
    data = InterceptionData(
        occurred_at=timezone.now(), place="Belahiya", interceptees=[person("X", role="suspect")]
    )
    with pytest.raises(ValidationError) as exc:
        interception_create(actor=monitor, station=bhw, data=data, submit=True)
    assert set(exc.value.message_dict) == {"certainty", "reason", "interceptees"}
    assert not Interception.objects.exists() and not Person.objects.exists()
    draft, _ = interception_create(actor=monitor, station=bhw, data=data, submit=False)
    assert draft.status == "draft"


def test_unknown_flag_future_time_and_foreign_station_are_refused(monitor, bhw, brg):
    bad = InterceptionData(
        occurred_at=timezone.now() + timedelta(hours=3), place="x", red_flag_codes=["NOPE"]
    )
    with pytest.raises(ValidationError) as exc:
        interception_create(actor=monitor, station=bhw, data=bad)
    assert set(exc.value.message_dict) == {"occurred_at", "red_flags"}
    ok = InterceptionData(occurred_at=timezone.now(), place="x")
    with pytest.raises(ValidationError) as exc:
        interception_create(actor=monitor, station=brg, data=ok)
    assert "station" in exc.value.message_dict
    assert not Interception.objects.exists()


def test_stale_update_is_refused_and_changes_nothing(monitor, manager, bhw, flags):
    interception = make_interception(monitor, bhw)
    data = InterceptionData(
        occurred_at=interception.occurred_at,
        place="Bus park",
        certainty=5,
        reason="updated",
        red_flag_codes=[flags[0].code],
        interceptees=[person("Sita Tamang")],
    )
    updated = interception_update(actor=manager, interception=interception, expected_version=1, data=data)
    assert updated.version == 2 and updated.place == "Bus park"
    assert updated.red_flag_score == flags[0].points
    data.place = "Somewhere else"
    with pytest.raises(StaleVersionError):
        interception_update(actor=monitor, interception=interception, expected_version=1, data=data)
    interception.refresh_from_db()
    assert interception.place == "Bus park" and interception.version == 2


def test_update_edits_keeps_and_removes_people(monitor, bhw):
    interception = make_interception(
        monitor, bhw, people=[person("Sita"), person("Ram", role="suspect", phone="+977 9800 000001")]
    )
    rows = {r.person.full_name: r for r in interception.interceptees.select_related("person")}
    assert rows["Ram"].person.phone == "+9779800000001"
    data = InterceptionData(
        occurred_at=interception.occurred_at,
        place=interception.place,
        certainty=4,
        reason="r",
        interceptees=[person("Sita Tamang", id=rows["Sita"].pk), person("गीता थापा")],
    )
    interception_update(actor=monitor, interception=interception, expected_version=1, data=data)
    names = sorted(interception.interceptees.values_list("person__full_name", flat=True))
    assert names == ["Sita Tamang", "गीता थापा"]
    assert interception.interceptees.get(person__full_name="Sita Tamang").pk == rows["Sita"].pk


def test_create_and_change_are_in_the_access_log(monitor, bhw):
    interception = make_interception(monitor, bhw)
    event = AccessEvent.objects.get(action="interception.create")
    assert (event.actor, event.object_id, event.station) == (monitor, str(interception.pk), bhw)
