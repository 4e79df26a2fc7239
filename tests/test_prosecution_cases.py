"""The legal case: opening, its complaint, its stages, completeness, its pages (docs/prosecution.md "The legal
case, its complaint and its stages")."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from audit.models import AccessEvent
from cases.models import VictimCase
from core.errors import StaleVersionError, TransitionError
from people.masking import MASK
from prosecution.models import LegalCase, LegalCaseVictim, Stage
from prosecution.selectors import completeness
from prosecution.services.cases import legal_case_open, legal_case_stage, legal_case_update

from .factories import StationFactory, login, make_interception, member, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(bhw):
    return member(Role.LEGAL_OFFICER, station=bhw, username="lo_bhw")


@pytest.fixture
def interception(monitor, bhw):
    return make_interception(
        monitor, bhw, people=[person("Sita Tamang"), person("Gita Rai"), person("Ram", role="suspect")]
    )


def open_case(officer, bhw, interception=None, **kwargs):
    legal_case, _ = legal_case_open(
        actor=officer, station=bhw, interceptions=[interception.pk] if interception else [], **kwargs
    )
    return legal_case


def page(user) -> Client:
    return login(Client(), user)


def test_numbers_are_per_station_and_year(officer, bhw, brg):
    year = date.today().year
    first, second = open_case(officer, bhw), open_case(officer, bhw)
    other_officer = member(Role.LEGAL_OFFICER, station=brg)
    other = open_case(other_officer, brg)
    assert [first.number, second.number] == [f"BHW-L-{year}-00001", f"BHW-L-{year}-00002"]
    assert other.number == f"BRG-L-{year}-00001"


def test_opening_from_an_interception_links_its_victims_case_files_and_logs_it(officer, bhw, interception):
    legal_case = open_case(officer, bhw, interception)
    assert legal_case.stage == Stage.OPEN
    assert list(legal_case.interceptions.all()) == [interception]
    linked = set(
        LegalCaseVictim.objects.filter(legal_case=legal_case).values_list("victim_case_id", flat=True)
    )
    assert linked == set(VictimCase.objects.filter(interception=interception).values_list("pk", flat=True))
    assert len(linked) == 2
    event = AccessEvent.objects.get(action="legal_case.create", object_id=str(legal_case.pk))
    assert event.details["interceptions"] == [interception.pk]
    assert "Sita" not in str(event.details)


def test_opening_with_a_complaint_starts_filed_and_an_unseen_interception_is_refused(
    officer, bhw, brg, other_monitor
):
    legal_case = open_case(officer, bhw, complaint_number="FIR 1/2083", complaint_filed_on=date.today())
    assert legal_case.stage == Stage.COMPLAINT_FILED
    elsewhere = make_interception(other_monitor, brg)
    with pytest.raises(ValidationError) as e:
        open_case(officer, bhw, elsewhere)
    assert "interceptions" in e.value.message_dict


def test_the_same_key_opens_one_legal_case(officer, bhw):
    a, created = legal_case_open(actor=officer, station=bhw, idempotency_key="k1")
    b, again = legal_case_open(actor=officer, station=bhw, idempotency_key="k1")
    assert (created, again, a.pk) == (True, False, b.pk)
    assert LegalCase.objects.count() == 1


def test_stages_move_one_step_at_a_time_and_filing_needs_the_complaint(officer, bhw):
    legal_case = open_case(officer, bhw)
    with pytest.raises(ValidationError) as e:
        legal_case_stage(actor=officer, legal_case=legal_case, stage=Stage.COMPLAINT_FILED)
    assert set(e.value.message_dict) == {"complaint_number", "complaint_filed_on"}
    with pytest.raises(TransitionError):
        legal_case_stage(actor=officer, legal_case=legal_case, stage=Stage.TRIAL)
    legal_case_update(
        actor=officer,
        legal_case=legal_case,
        expected_version=legal_case.version,
        complaint_number="FIR 7",
        complaint_filed_on=date.today(),
    )
    for stage in [
        "complaint_filed",
        "investigation",
        "charge_sheet_filed",
        "trial",
        "verdict",
        "appeal",
        "closed",
    ]:
        legal_case = legal_case_stage(actor=officer, legal_case=legal_case, stage=stage)
    assert legal_case.stage == Stage.CLOSED and legal_case.closed_on is not None
    events = AccessEvent.objects.filter(action="legal_case.stage").order_by("id")
    assert [e.details["to"] for e in events][-1] == "closed"
    # reopening needs a reason, and goes back to the stage it had
    with pytest.raises(ValidationError):
        legal_case_stage(actor=officer, legal_case=legal_case, stage="reopen")
    with pytest.raises(TransitionError):
        legal_case_stage(actor=officer, legal_case=legal_case, stage=Stage.TRIAL, reason="new evidence")
    legal_case = legal_case_stage(actor=officer, legal_case=legal_case, stage="reopen", reason="New evidence")
    assert legal_case.stage == Stage.APPEAL and legal_case.closed_on is None


def test_not_filed_records_its_reason_and_reopens_where_it_was(officer, bhw):
    legal_case = open_case(officer, bhw)
    with pytest.raises(ValidationError) as e:
        legal_case_stage(actor=officer, legal_case=legal_case, stage=Stage.NOT_FILED, reason="bored")
    assert "reason" in e.value.message_dict
    legal_case = legal_case_stage(
        actor=officer, legal_case=legal_case, stage=Stage.NOT_FILED, reason="victim_unwilling", notes="Afraid"
    )
    assert (legal_case.stage, legal_case.not_filed_reason) == ("not_filed", "victim_unwilling")
    with pytest.raises(TransitionError):
        legal_case_stage(actor=officer, legal_case=legal_case, stage=Stage.INVESTIGATION)
    legal_case = legal_case_stage(actor=officer, legal_case=legal_case, stage="reopen", reason="She agreed")
    assert (legal_case.stage, legal_case.not_filed_reason) == ("open", "")


def test_a_stale_version_is_refused(officer, bhw):
    legal_case = open_case(officer, bhw)
    with pytest.raises(StaleVersionError):
        legal_case_update(actor=officer, legal_case=legal_case, expected_version=99, police_station="X")


def test_completeness_lists_what_is_missing(officer, bhw, interception):
    legal_case = open_case(
        officer, bhw, interception, complaint_number="FIR 2", complaint_filed_on=date.today()
    )
    result = completeness(legal_case)
    assert (result["filled"], result["total"]) == (3, 10)
    assert "police_station" in result["missing_codes"] and "victims" not in result["missing_codes"]
    assert "Police station" in result["missing"]


def test_the_page_shows_the_case_its_stage_and_completeness(
    officer, bhw, interception, django_assert_max_num_queries
):
    legal_case = open_case(
        officer, bhw, interception, complaint_number="FIR 3", complaint_filed_on=date.today()
    )
    client = page(officer)
    with django_assert_max_num_queries(45):
        response = client.get(reverse("prosecution:detail", args=[legal_case.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert legal_case.number in html and "FIR 3" in html and 'id="completeness-count"' in html
    assert 'id="stage-form"' in html and interception.number in html
    event = AccessEvent.objects.filter(action="legal_case.view", actor=officer).latest("id")
    assert event.details["interceptions"] == [interception.pk]


def test_the_stage_form_moves_the_stage_and_shows_an_illegal_move(officer, bhw):
    legal_case = open_case(officer, bhw, complaint_number="FIR 4", complaint_filed_on=date.today())
    client = page(officer)
    url = reverse("prosecution:stage", args=[legal_case.pk])
    response = client.post(url, {"stage": "investigation", "version": legal_case.version}, follow=True)
    assert "Investigation" in response.content.decode()
    assert LegalCase.objects.get().stage == "investigation"
    response = client.post(url, {"stage": "closed"}, follow=True)
    assert "cannot move from investigation to closed" in response.content.decode()
    assert LegalCase.objects.get().stage == "investigation"


def test_a_director_sees_it_masked_and_cannot_change_it(officer, bhw, nepal):
    legal_case = open_case(officer, bhw, summary="Ram sold her to a broker in Delhi.")
    director = member(Role.COUNTRY_DIRECTOR, country=nepal)
    client = page(director)
    html = client.get(reverse("prosecution:detail", args=[legal_case.pk])).content.decode()
    assert MASK in html and "broker" not in html and 'id="stage-form"' not in html
    assert client.get(reverse("prosecution:edit", args=[legal_case.pk])).status_code == 404
    assert (
        client.post(reverse("prosecution:stage", args=[legal_case.pk]), {"stage": "closed"}).status_code
        == 404
    )
    history = client.get(reverse("prosecution:history", args=[legal_case.pk])).content.decode()
    assert "broker" not in history


@pytest.mark.parametrize("who", ["monitor", "other_officer", "case_manager"])
def test_others_get_404(who, officer, bhw, brg, monitor):
    legal_case = open_case(officer, bhw)
    user = {
        "monitor": monitor,
        "other_officer": member(Role.LEGAL_OFFICER, station=brg),
        "case_manager": member(Role.CASE_MANAGER, station=bhw),
    }[who]
    client = page(user)
    assert client.get(reverse("prosecution:detail", args=[legal_case.pk])).status_code == 404
    assert client.get(reverse("prosecution:history", args=[legal_case.pk])).status_code == 404
    assert legal_case.number not in client.get(reverse("prosecution:list")).content.decode()


def test_the_list_is_scoped_filtered_logged_and_its_queries_bounded(
    officer, bhw, brg, django_assert_max_num_queries
):
    mine = [open_case(officer, bhw) for _ in range(3)]
    other = open_case(member(Role.LEGAL_OFFICER, station=brg), brg)
    legal_case_stage(actor=officer, legal_case=mine[0], stage=Stage.NOT_FILED, reason="other", notes="x")
    client = page(officer)
    client.get(reverse("prosecution:list"))  # warm the session
    with django_assert_max_num_queries(16):
        html = client.get(reverse("prosecution:list")).content.decode()
    assert all(c.number in html for c in mine) and other.number not in html
    assert html.index(mine[2].number) < html.index(mine[1].number)  # newest first
    event = AccessEvent.objects.filter(action="legal_case.list").latest("id")
    assert sorted(event.details["ids"]) == sorted(c.pk for c in mine)
    html = client.get(reverse("prosecution:list"), {"stage": "not_filed"}).content.decode()
    assert mine[0].number in html and mine[1].number not in html


def test_opening_through_the_page_prefills_the_interception(officer, bhw, interception):
    client = page(officer)
    html = client.get(reverse("prosecution:new"), {"interception": interception.pk}).content.decode()
    assert interception.number in html
    response = client.post(
        reverse("prosecution:new"),
        {
            "station": "BHW",
            "interceptions": interception.number,
            "complaint_number": "",
            "idempotency_key": "p1",
        },
    )
    legal_case = LegalCase.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "prosecution:detail", args=[legal_case.pk]
    )
    response = client.post(reverse("prosecution:new"), {"station": "BHW", "interceptions": "BHW-1999-00001"})
    assert response.status_code == 200 and "No such interception" in response.content.decode()


def test_the_nav_link_shows_for_those_who_see_legal_cases(officer, monitor):
    assert "Legal cases" in page(officer).get(reverse("prosecution:list")).content.decode()
    assert 'href="/legal-cases/"' not in page(monitor).get(reverse("interception:list")).content.decode()


def test_history_names_every_change(officer, bhw):
    legal_case = open_case(officer, bhw)
    legal_case_update(
        actor=officer, legal_case=legal_case, expected_version=1, police_station="Bhairahawa police"
    )
    html = page(officer).get(reverse("prosecution:history", args=[legal_case.pk])).content.decode()
    assert "Bhairahawa police" in html


def test_an_unknown_station_user_cannot_open(bhw):
    outsider = member(Role.LEGAL_OFFICER, station=StationFactory(code="XYZ"))
    with pytest.raises(Exception):
        legal_case_open(actor=outsider, station=bhw)
