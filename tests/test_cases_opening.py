"""Opening case files: a submitted interception opens one case per potential victim, in its transaction,
once (docs/cases.md "Opening")."""

import pytest

from accounts.roles import Role
from audit.models import AccessEvent
from cases.models import CaseSource, CaseStatus, VictimCase
from cases.services import cases_open_for_interception
from cases.services.opening import PersonData, case_open
from interception.services import data_from_instance, interception_update
from people.models import Source

from .factories import make_interception, member, person

pytestmark = pytest.mark.django_db


def test_submitting_opens_one_case_per_potential_victim_and_none_for_suspects(monitor, bhw):
    interception = make_interception(
        monitor,
        bhw,
        people=[person("Sita Tamang", age=17), person("Gita Rai"), person("Ram", role="suspect")],
    )
    cases = list(VictimCase.objects.filter(interception=interception).order_by("id"))
    assert [c.person.full_name for c in cases] == ["Sita Tamang", "Gita Rai"]
    year = interception.occurred_on.year
    assert [c.number for c in cases] == [f"BHW-C-{year}-00001", f"BHW-C-{year}-00002"]
    sita = cases[0]
    assert sita.status == CaseStatus.NEW and sita.source == CaseSource.INTERCEPTION
    assert sita.station == bhw and sita.assigned_to is None
    # the case's own appearance of her: the same identity, her age at the interception's date
    victim = interception.interceptees.get(person__full_name="Sita Tamang").person
    assert sita.opened_for == victim
    assert sita.person.identity_id == victim.identity_id and sita.person.pk != victim.pk
    assert (sita.person.source, sita.person.record_id, sita.person.age) == (Source.CASE, sita.pk, 17)
    assert AccessEvent.objects.filter(action="case.create", object_id=str(sita.pk)).exists()
    # safe to run twice
    assert cases_open_for_interception(id=interception.pk) == []
    assert VictimCase.objects.filter(interception=interception).count() == 2


def test_a_draft_opens_nothing_and_its_submission_opens_the_cases(monitor, bhw):
    draft = make_interception(monitor, bhw, submit=False)
    assert not VictimCase.objects.exists()
    interception_update(
        actor=monitor,
        interception=draft,
        expected_version=draft.version,
        data=data_from_instance(draft),
        submit=True,
    )
    assert VictimCase.objects.filter(interception=draft).count() == 1


def test_a_victim_added_to_a_submitted_interception_gets_her_case(monitor, bhw):
    interception = make_interception(monitor, bhw)
    data = data_from_instance(interception)
    data.interceptees.append(person("Maya Gurung", age=20))
    interception_update(
        actor=monitor, interception=interception, expected_version=interception.version, data=data
    )
    names = set(
        VictimCase.objects.filter(interception=interception).values_list("person__full_name", flat=True)
    )
    assert names == {"Sita Tamang", "Maya Gurung"}


def test_numbers_are_per_station_and_year(monitor, bhw, brg, other_monitor):
    make_interception(monitor, bhw)
    other = make_interception(other_monitor, brg)
    assert VictimCase.objects.get(interception=other).number.startswith(
        f"BRG-C-{other.occurred_on.year}-00001"
    )


def test_a_case_opened_by_hand_records_its_source_and_repeats_once_per_key(bhw):
    case_manager = member(Role.CASE_MANAGER, station=bhw)
    data = PersonData(full_name="Laxmi Thapa", gender="female", age=19)
    case, created = case_open(
        actor=case_manager, station=bhw, source="walk_in", person=data, idempotency_key="k-1"
    )
    again, created_again = case_open(
        actor=case_manager, station=bhw, source="walk_in", person=data, idempotency_key="k-1"
    )
    assert created and not created_again and again == case
    assert case.source == "walk_in" and case.interception is None and case.person.full_name == "Laxmi Thapa"
    assert VictimCase.objects.count() == 1


def test_the_interception_page_names_the_case_files_it_opened_to_those_who_may_see_them(client, monitor, bhw):
    from django.urls import reverse

    from .factories import login

    interception = make_interception(monitor, bhw, people=[person("Sita Tamang"), person("Gita Rai")])
    numbers = list(VictimCase.objects.filter(interception=interception).values_list("number", flat=True))
    url = reverse("interception:detail", args=[interception.pk])
    case_manager = member(Role.CASE_MANAGER, station=bhw, username="cm_page")
    page = login(client, case_manager).get(url).content.decode()
    assert 'id="related-records"' in page and all(number in page for number in numbers)
    # a monitor records interceptions but does not see case files: no case number on the page
    page = login(client, monitor).get(url).content.decode()
    assert 'id="related-records"' not in page and not any(number in page for number in numbers)


def test_a_read_of_her_identity_names_the_case_file_it_showed_in_the_access_log(api, monitor, bhw):
    from django.urls import reverse

    interception = make_interception(monitor, bhw, people=[person("Sita Tamang")])
    case = VictimCase.objects.get(interception=interception)
    case_manager = member(Role.CASE_MANAGER, station=bhw, username="cm_identity")
    response = api(case_manager).get(reverse("api:person", args=[case.person.identity_id]))
    assert response.status_code == 200
    assert {a["record_type"] for a in response.json()["appearances"]} == {"interception", "case"}
    event = AccessEvent.objects.filter(action="person.view", actor=case_manager).get()
    assert event.details["interceptions"] == [interception.pk] and event.details["cases"] == [case.pk]
