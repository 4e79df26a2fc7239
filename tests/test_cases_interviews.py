"""The victim interview (docs/cases.md "Victim interview"): the Palermo derivation and its child rule, the
home-situation alarms and their alert, the recruiter, versions, masking, and the pages."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from alerts.models import Notification, Rule
from audit.models import AccessEvent
from cases.alarm_catalogue import HOME_ALARMS, load_home_alarms
from cases.models import CaseStatus, HomeAlarm, Interview, VictimCase
from cases.selectors import home_alarm_catalogue
from cases.services.interviews import (
    InterviewData,
    RouteStopData,
    interview_create,
    interview_update,
    meets_definition,
)
from core.errors import StaleVersionError, TransitionError
from people.masking import MASK
from people.models import NameKey, Person, Source

from .factories import login, make_interception, member, person

pytestmark = pytest.mark.django_db

VICTIM = "Sita Tamang"
NARRATIVE = "He promised her a job in a hotel in Delhi and took her phone."


def _case(monitor, station, *, age=16, name=VICTIM, manager=None):
    interception = make_interception(monitor, station, people=[person(name, age=age)])
    case = VictimCase.objects.get(interception=interception)
    VictimCase.objects.filter(pk=case.pk).update(status=CaseStatus.ACTIVE, assigned_to=manager)
    case.refresh_from_db()
    return case


@pytest.fixture
def case_manager(bhw):
    return member(Role.CASE_MANAGER, station=bhw, username="cm_bhw")


@pytest.fixture
def alarms(nepal):
    load_home_alarms(HomeAlarm, nepal)
    return {a.code: a for a in HomeAlarm.objects.filter(country=nepal)}


@pytest.fixture
def nepal_places(db):
    """Nepal's places (the data migration loads them; a transactional test's flush empties the table)."""
    from importlib import import_module

    from django.apps import apps as django_apps

    from people.models import Place

    if not Place.objects.exists():
        import_module("people.migrations.0004_load_nepal_places").load(django_apps, None)


def data(**kwargs) -> InterviewData:
    values = {"conducted_on": date.today() - timedelta(days=1)}
    values.update(kwargs)
    return InterviewData(**values)


# --- the Palermo derivation -------------------------------------------------------------------------------


def test_the_definition_needs_act_means_and_purpose_for_an_adult_and_no_means_for_a_child():
    assert meets_definition(["recruitment"], [], ["sexual_exploitation"], child=True)
    assert not meets_definition(["recruitment"], [], ["sexual_exploitation"], child=False)
    assert meets_definition(["recruitment"], ["deception"], ["sexual_exploitation"], child=False)
    assert not meets_definition(["recruitment"], [], ["sexual_exploitation"], child=None)  # unknown: adult
    assert not meets_definition([], ["deception"], ["forced_labour"], child=True)  # a child needs an act
    assert not meets_definition(["transfer"], ["force"], [], child=True)  # and a purpose


@pytest.mark.parametrize(
    ("age", "means", "child", "meets"),
    [
        (16, [], True, True),  # a 16-year-old: an act and a purpose are enough
        (25, [], False, False),  # a 25-year-old with the same: not enough
        (25, ["deception"], False, True),  # with a means she does
        (None, [], None, False),  # unknown age: treated as an adult
    ],
)
def test_the_service_derives_the_definition_from_her_age_at_the_time(
    monitor, bhw, case_manager, age, means, child, meets
):
    case = _case(monitor, bhw, age=age)
    interview, created = interview_create(
        actor=case_manager,
        case=case,
        data=data(acts=["recruitment"], means=means, purposes=["sexual_exploitation"]),
    )
    interview.refresh_from_db()
    assert created
    assert interview.child_at_time is child
    assert interview.meets_definition is meets


def test_unknown_codes_are_refused_naming_the_field_and_nothing_is_saved(monitor, bhw, case_manager):
    case = _case(monitor, bhw)
    with pytest.raises(ValidationError) as error:
        interview_create(
            actor=case_manager,
            case=case,
            data=data(acts=["kidnap"], means=["force"], purposes=["slavery"], recruitment_method="bribe"),
        )
    assert set(error.value.message_dict) == {"acts", "purposes", "recruitment_method"}
    assert "kidnap" in error.value.message_dict["acts"][0]
    assert not Interview.objects.exists()


# --- home-situation alarms -----------------------------------------------------------------------------


def test_alarms_at_the_threshold_alert_the_case_manager_and_the_station_manager(
    monitor, manager, bhw, case_manager, alarms
):
    case = _case(monitor, bhw, manager=case_manager)
    ticked = ["H01", "H02"]  # 5 + 5 = 10, the default threshold
    interview, _ = interview_create(actor=case_manager, case=case, data=data(alarms=ticked))
    interview.refresh_from_db()
    assert interview.alarm_score == 10
    assert sorted(interview.alarm_ticks.values_list("points", flat=True)) == [5, 5]
    notes = Notification.objects.filter(rule=Rule.HOME_ALARM)
    assert {n.recipient for n in notes} == {case_manager, manager}
    for note in notes:
        assert case.number in note.title
        assert VICTIM not in note.title + note.body and "Sita" not in note.title + note.body
    # a new version at the threshold does not alert twice (once per interview)
    interview_update(actor=case_manager, interview=interview, data=data(alarms=ticked), expected_version=1)
    assert Notification.objects.filter(rule=Rule.HOME_ALARM).count() == 2


def test_alarms_below_the_threshold_alert_nobody(monitor, manager, bhw, case_manager, alarms):
    case = _case(monitor, bhw, manager=case_manager)
    interview, _ = interview_create(actor=case_manager, case=case, data=data(alarms=["H01", "H05"]))  # 9
    interview.refresh_from_db()
    assert interview.alarm_score == 9
    assert not Notification.objects.filter(rule=Rule.HOME_ALARM).exists()


def test_a_tick_keeps_its_points_when_the_catalogue_changes(monitor, bhw, case_manager, alarms):
    case = _case(monitor, bhw)
    interview, _ = interview_create(actor=case_manager, case=case, data=data(alarms=["H08"]))
    HomeAlarm.objects.filter(code="H08").update(points=1)
    interview = interview_update(
        actor=case_manager, interview=interview, data=data(alarms=["H08", "H16"]), expected_version=1
    )
    assert interview.alarm_score == 3 + 1  # H08 as ticked then (3), H16 as today (1)


def test_an_alarm_of_another_country_or_retired_is_refused(monitor, bhw, case_manager, alarms):
    case = _case(monitor, bhw)
    HomeAlarm.objects.filter(code="H03").update(active=False)
    with pytest.raises(ValidationError) as error:
        interview_create(actor=case_manager, case=case, data=data(alarms=["H03", "X99"]))
    assert "H03" in error.value.message_dict["alarms"][0] and "X99" in error.value.message_dict["alarms"][0]


def test_the_catalogue_loads_once_per_country():
    from accounts.models import Country

    india = Country.objects.get_or_create(code="IN", defaults={"name": "India"})[0]
    assert load_home_alarms(HomeAlarm, india) == len(HOME_ALARMS)
    HomeAlarm.objects.filter(country=india, code="H01").update(points=7)
    assert load_home_alarms(HomeAlarm, india) == 0
    assert HomeAlarm.objects.get(country=india, code="H01").points == 7  # a country's own edit stays
    assert len(HOME_ALARMS) >= 15


def test_a_country_created_after_the_migration_has_the_default_catalogue_and_may_replace_an_alarm(monitor):
    """The migration loads the defaults for every country (no country on the row), so a new country's
    station has them at once; a country's own alarm replaces the default of the same code."""
    from accounts.models import Country

    from .factories import StationFactory

    india = Country.objects.get_or_create(code="IN", defaults={"name": "India"})[0]
    station = StationFactory(code="DEL", country=india)
    case_manager = member(Role.CASE_MANAGER, station=station, username="cm_del")
    monitor_del = member(Role.MONITOR, station=station, username="mon_del")
    case = _case(monitor_del, station)
    codes = [a.code for a in home_alarm_catalogue(case)]
    assert codes == [code for code, _, _ in HOME_ALARMS]
    HomeAlarm.objects.create(country=india, code="H01", text="Abused at home (India's wording)", points=9)
    catalogue = {a.code: a for a in home_alarm_catalogue(case)}
    assert len(catalogue) == len(HOME_ALARMS) and catalogue["H01"].points == 9
    interview, _ = interview_create(actor=case_manager, case=case, data=data(alarms=["H01"]))
    assert interview.alarm_score == 9


# --- recruiter, route, rules, versions, audit --------------------------------------------------------------


def test_a_new_recruiter_is_a_new_appearance_on_the_case_with_its_name_indexed(monitor, bhw, case_manager):
    case = _case(monitor, bhw)
    interview, _ = interview_create(
        actor=case_manager,
        case=case,
        data=data(recruiter_name="Hari Bhandari", recruiter_phone="9811111111", recruiter_gender="male"),
    )
    recruiter = interview.recruiter
    assert (recruiter.source, recruiter.record_id, recruiter.station) == (Source.CASE, case.pk, bhw)
    assert recruiter.phone == "+9779811111111"
    assert recruiter.identity_id not in (case.person.identity_id,)
    assert NameKey.objects.filter(person=recruiter).exists()


def test_a_known_recruiter_gets_an_appearance_of_that_identity(monitor, bhw, case_manager):
    interception = make_interception(
        monitor, bhw, people=[person("Gita Rai", age=15), person("Hari Bhandari", role="suspect")]
    )
    case = VictimCase.objects.get(interception=interception)
    suspect = interception.interceptees.get(person__full_name="Hari Bhandari").person
    interview, _ = interview_create(
        actor=case_manager, case=case, data=data(recruiter_identity=suspect.identity_id)
    )
    assert interview.recruiter.identity_id == suspect.identity_id
    assert interview.recruiter.pk != suspect.pk and interview.recruiter.full_name == "Hari Bhandari"
    # an identity the actor cannot see is "no such person"
    other = member(Role.CASE_MANAGER, station=case.station, username="cm2")
    hidden = Person.objects.create(
        identity=suspect.identity.__class__.objects.create(),
        full_name="Hidden",
        station=_other_station(),
        created_by=monitor,
    )
    with pytest.raises(ValidationError) as error:
        interview_create(actor=other, case=case, data=data(recruiter_identity=hidden.identity_id))
    assert "recruiter_identity" in error.value.message_dict


def _other_station():
    from .factories import StationFactory

    return StationFactory(code="BRG")


def test_the_route_is_stored_in_order_with_places_resolved(monitor, bhw, case_manager, nepal_places):
    case = _case(monitor, bhw)
    interview, _ = interview_create(
        actor=case_manager,
        case=case,
        data=data(
            route=[
                RouteStopData(kind="source", text="Pokhara", transport="bus"),
                RouteStopData(kind="transit", text="Sunauli", country="IN", transport="train"),
                RouteStopData(kind="destination", text="Delhi", country="IN"),
            ]
        ),
    )
    stops = list(interview.route.all())
    assert [s.kind for s in stops] == ["source", "transit", "destination"]
    assert stops[0].place is not None and stops[0].country == "NP"
    assert stops[2].place is None and stops[2].place_text == "Delhi"
    with pytest.raises(ValidationError) as error:
        interview_create(actor=case_manager, case=case, data=data(route=[RouteStopData(kind="via")]))
    assert {"route.0.kind", "route.0.place"} <= set(error.value.message_dict)


def test_only_workers_record_and_a_closed_case_takes_no_interview(monitor, bhw, case_manager):
    case = _case(monitor, bhw)
    legal = member(Role.LEGAL_OFFICER, station=bhw, username="legal")
    with pytest.raises(PermissionDenied):
        interview_create(actor=legal, case=case, data=data())
    VictimCase.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED, closure_reason="reintegrated")
    case.refresh_from_db()
    with pytest.raises(TransitionError):
        interview_create(actor=case_manager, case=case, data=data())
    assert not Interview.objects.exists()


def test_each_save_is_a_new_version_in_the_history_and_a_stale_one_is_refused(monitor, bhw, case_manager):
    case = _case(monitor, bhw)
    interview, _ = interview_create(actor=case_manager, case=case, data=data(narrative="first"))
    interview = interview_update(
        actor=case_manager, interview=interview, data=data(narrative="second"), expected_version=1
    )
    assert interview.version == 2
    assert [h.narrative for h in interview.history.order_by("history_id")] == ["first", "second"]
    assert {h.history_user for h in interview.history.all()} == {case_manager}
    with pytest.raises(StaleVersionError):
        interview_update(
            actor=case_manager, interview=interview, data=data(narrative="third"), expected_version=1
        )
    interview.refresh_from_db()
    assert interview.narrative == "second"


def test_the_access_log_has_the_interview_without_its_narrative(monitor, bhw, case_manager):
    case = _case(monitor, bhw)
    interview, _ = interview_create(
        actor=case_manager,
        case=case,
        data=data(acts=["recruitment"], purposes=["forced_labour"], narrative=NARRATIVE),
    )
    event = AccessEvent.objects.get(action="case.interview_create", actor=case_manager)
    assert event.object_id == str(case.pk)
    assert event.details["interview"] == interview.pk and event.details["meets_definition"] is True
    assert event.details["version"] == 1 and event.details["alarm_score"] == 0
    assert "hotel" not in str(event.details)


def test_an_idempotency_key_records_one_interview(monitor, bhw, case_manager):
    case = _case(monitor, bhw)
    first, created = interview_create(actor=case_manager, case=case, data=data(), idempotency_key="k1")
    again, created_again = interview_create(actor=case_manager, case=case, data=data(), idempotency_key="k1")
    assert created and not created_again and first.pk == again.pk
    assert Interview.objects.count() == 1


# --- pages ---------------------------------------------------------------------------------------------


def _page(user):
    return login(Client(), user)


def test_recording_an_interview_on_the_page(monitor, bhw, case_manager, alarms):
    case = _case(monitor, bhw, age=16)
    client = _page(case_manager)
    url = reverse("cases:interview-new", args=[case.pk])
    form = client.get(url)
    assert form.status_code == 200
    html = form.content.decode()
    assert 'name="idempotency_key"' in html and "Was abused at home" in html and 'name="route_3_kind"' in html
    payload = {
        "idempotency_key": "page-1",
        "conducted_on": (date.today() - timedelta(days=1)).isoformat(),
        "recruiter_name": "Hari Bhandari",
        "recruitment_method": "job_offer",
        "acts": ["recruitment", "transportation"],
        "purposes": ["sexual_exploitation"],
        "alarms": ["H01", "H02"],
        "route_0_kind": "source",
        "route_0_place": "Pokhara",
        "route_1_kind": "destination",
        "route_1_place": "Delhi",
        "route_1_country": "IN",
        "willing_to_testify": "yes",
        "narrative": NARRATIVE,
    }
    response = client.post(url, payload)
    interview = Interview.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:interview", args=[case.pk, interview.pk])
    assert client.post(url, payload).status_code == 302  # the retry of the same form
    assert Interview.objects.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "Meets the definition of trafficking" in page
    assert "under 18" in page  # the child rule, said when applied
    assert "Hari Bhandari" in page and "hotel in Delhi" in page
    assert reverse("cases:interview-edit", args=[case.pk, interview.pk]) in page
    assert [s.kind for s in interview.route.all()] == ["source", "destination"]
    assert interview.alarm_score == 10


def test_the_case_page_lists_interviews_with_the_definition_badge(monitor, bhw, case_manager):
    case = _case(monitor, bhw, age=16)
    interview_create(
        actor=case_manager, case=case, data=data(acts=["recruitment"], purposes=["forced_labour"])
    )
    page = _page(case_manager).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "meets the definition" in page
    assert reverse("cases:interview-new", args=[case.pk]) in page


def test_bad_input_on_the_page_shows_field_errors_and_saves_nothing(monitor, bhw, case_manager):
    case = _case(monitor, bhw)
    client = _page(case_manager)
    response = client.post(
        reverse("cases:interview-new", args=[case.pk]),
        {
            "conducted_on": (date.today() + timedelta(days=5)).isoformat(),
            "route_1_place": "Delhi",
            "currency": "RUPEES",
            "recruiter_phone": "abc",
            "recruiter_name": "Hari",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "conducted_on" in form.errors and "route_1_kind" in form.errors
    assert "recruiter_phone" in form.errors
    assert "The interview cannot be in the future." in response.content.decode()
    assert not Interview.objects.exists()


def test_a_stale_edit_shows_the_message_and_keeps_the_input(monitor, bhw, case_manager):
    case = _case(monitor, bhw)
    interview, _ = interview_create(actor=case_manager, case=case, data=data(narrative="first"))
    client = _page(case_manager)
    url = reverse("cases:interview-edit", args=[case.pk, interview.pk])
    form = client.get(url)
    assert form.status_code == 200 and 'name="version" value="1"' in form.content.decode()
    interview_update(
        actor=case_manager, interview=interview, data=data(narrative="colleague"), expected_version=1
    )
    response = client.post(
        url, {"version": "1", "conducted_on": date.today().isoformat(), "narrative": "my words"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else saved this record" in html and "my words" in html
    interview.refresh_from_db()
    assert interview.narrative == "colleague" and interview.version == 2


def test_a_legal_officer_reads_the_codes_and_willingness_but_not_the_narrative(monitor, bhw, case_manager):
    case = _case(monitor, bhw, age=16)
    interview, _ = interview_create(
        actor=case_manager,
        case=case,
        data=data(
            recruiter_name="Hari Bhandari",
            promised="A hotel job",
            acts=["recruitment"],
            purposes=["sexual_exploitation"],
            route=[RouteStopData(kind="destination", text="Delhi", country="IN")],
            willing_to_testify="yes",
            narrative=NARRATIVE,
        ),
    )
    legal = member(Role.LEGAL_OFFICER, station=bhw, username="legal")
    client = _page(legal)
    page = client.get(reverse("cases:interview", args=[case.pk, interview.pk])).content.decode()
    assert MASK in page
    for secret in ("hotel in Delhi", "Hari Bhandari", "A hotel job", "Delhi"):
        assert secret not in page, secret
    assert "Meets the definition of trafficking" in page and "Recruitment" in page
    assert 'id="willing-testify">Yes<' in page
    assert reverse("cases:interview-edit", args=[case.pk, interview.pk]) not in page
    assert client.get(reverse("cases:interview-edit", args=[case.pk, interview.pk])).status_code == 404
    assert client.get(reverse("cases:interview-new", args=[case.pk])).status_code == 404


def test_another_station_and_another_case_get_404(monitor, bhw, brg, case_manager):
    case = _case(monitor, bhw)
    interview, _ = interview_create(actor=case_manager, case=case, data=data())
    other_case = _case(monitor, bhw, name="Gita Rai")
    outsider = member(Role.CASE_MANAGER, station=brg, username="cm_brg")
    url = reverse("cases:interview", args=[case.pk, interview.pk])
    assert _page(outsider).get(url).status_code == 404
    # an interview under another case's number is not found either
    client = _page(case_manager)
    assert client.get(reverse("cases:interview", args=[other_case.pk, interview.pk])).status_code == 404


def test_a_catalogue_change_from_the_admin_is_logged_with_old_and_new_points(alarms, manager):
    from django.contrib import admin

    from cases.services.interviews import home_alarm_update

    assert HomeAlarm in admin.site._registry and not admin.site._registry[HomeAlarm].has_delete_permission(
        None
    )
    alarm = home_alarm_update(actor=manager, alarm=alarms["H08"], data={"points": 4, "active": True})
    assert alarm.points == 4
    event = AccessEvent.objects.get(action="home_alarm.change")
    assert event.details["points"] == {"old": 3, "new": 4} and "active" not in event.details
    assert alarm.history.first().history_user == manager
