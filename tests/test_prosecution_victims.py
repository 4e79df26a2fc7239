"""Victims in a legal case (docs/prosecution.md "Victims in the legal case"): a legal officer links her
case file and keeps her contact status, willingness to testify and protection measures (sensitive); the
case manager never sees the legal case, but sees its legal status, read-only and without names, on the
case file's page and API answer."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from audit.models import AccessEvent
from cases.models import VictimCase
from people.masking import MASK
from prosecution.legal_summary import charges_in_words, legal_summaries
from prosecution.models import Charge, Court, CourtCase, Hearing, LegalCase, LegalCaseVictim, Statute, Suspect
from prosecution.services.numbering import station_today
from prosecution.services.victims import victim_add, victim_update

from .factories import login, make_interception, member, person

pytestmark = pytest.mark.django_db

NAME = "Sita Tamang"


@pytest.fixture
def people_(bhw, brg, monitor):
    return {
        "monitor": monitor,
        "lo": member(Role.LEGAL_OFFICER, station=bhw, username="lo_bhw"),
        "manager": member(Role.STATION_MANAGER, station=bhw, username="sm_bhw"),
        "director": member(Role.COUNTRY_DIRECTOR, station=bhw, username="cd_bhw"),
        "cm": member(Role.CASE_MANAGER, station=bhw, username="cm_bhw"),
        "other_lo": member(Role.LEGAL_OFFICER, station=brg, username="lo_brg"),
    }


@pytest.fixture
def legal_case(bhw, people_):
    interception = make_interception(
        people_["monitor"], bhw, people=[person(NAME, age=17), person("Ram Bahadur", role="suspect")]
    )
    case = LegalCase.objects.create(
        number="BHW-L-2026-00001",
        station=bhw,
        stage="complaint_filed",
        opened_on=date(2026, 11, 1),
        created_by=people_["lo"],
    )
    case.interceptions.add(interception)
    case.victim_case = VictimCase.objects.get(interception=interception)
    case.ram = interception.interceptees.get(person__full_name="Ram Bahadur").person
    return case


def api(user):
    client = APIClient()
    login(client, user)
    return client


def page(user):
    client = Client()
    login(client, user)
    return client


def victims_url(legal_case):
    return reverse("api:legal-case-victims", kwargs={"pk": legal_case.pk})


def test_a_legal_officer_links_her_case_file_once(legal_case, people_):
    client = api(people_["lo"])
    response = client.post(victims_url(legal_case), {"victim_case": legal_case.victim_case.pk}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == NAME and body["case_number"] == legal_case.victim_case.number
    assert body["version"] == 1
    again = client.post(victims_url(legal_case), {"victim_case": legal_case.victim_case.pk}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert LegalCaseVictim.objects.filter(legal_case=legal_case).count() == 1
    event = AccessEvent.objects.get(action="legal_case.victim_add")
    assert event.details == {"victim": body["id"], "case": legal_case.victim_case.pk}


def test_a_case_file_out_of_reach_is_refused(legal_case, people_, brg):
    other = make_interception(
        member(Role.MONITOR, station=brg, username="m_brg"), brg, people=[person("Gita")]
    )
    hidden = VictimCase.objects.get(interception=other)
    response = api(people_["lo"]).post(victims_url(legal_case), {"victim_case": hidden.pk}, format="json")
    assert response.status_code == 400
    assert "victim_case" in str(response.json())
    assert not LegalCaseVictim.objects.exists()


def test_her_part_is_updated_with_a_version_and_masked_for_a_director(legal_case, people_):
    victim, _ = victim_add(actor=people_["lo"], legal_case=legal_case, victim_case=legal_case.victim_case)
    url = reverse("api:legal-case-victim", kwargs={"pk": legal_case.pk, "victim_pk": victim.pk})
    client = api(people_["lo"])
    change = {
        "contact_status": "in_contact",
        "last_contacted_on": "2026-11-20",
        "willing_to_testify": "yes",
        "protection_measures": "Safe house in Pokhara",
        "version": 1,
    }
    response = client.patch(url, change, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["contact_status"], body["willing_to_testify"], body["version"]) == ("in_contact", "yes", 2)
    assert body["protection_measures"] == "Safe house in Pokhara"
    # the same edit from a stale page: refused, nothing written
    stale = client.patch(url, {**change, "contact_status": "lost"}, format="json")
    assert stale.status_code == 409
    victim.refresh_from_db()
    assert victim.contact_status == "in_contact"
    # the director sees the legal case masked and may not change it
    director = api(people_["director"])
    seen = director.get(url).json()
    assert seen["protection_measures"] == MASK and seen["name"] == MASK
    assert director.patch(url, {"contact_status": "lost", "version": 2}, format="json").status_code == 403
    event = AccessEvent.objects.get(action="legal_case.victim_change")
    assert "Pokhara" not in str(event.details) and event.details["fields"] == [
        "contact_status",
        "last_contacted_on",
        "protection_measures",
        "willing_to_testify",
    ]


def test_bad_values_change_nothing(legal_case, people_):
    victim, _ = victim_add(actor=people_["lo"], legal_case=legal_case, victim_case=legal_case.victim_case)
    future = station_today(legal_case.station) + timedelta(days=2)
    with pytest.raises(Exception) as caught:
        victim_update(actor=people_["lo"], victim=victim, last_contacted_on=future)
    assert "last_contacted_on" in caught.value.message_dict
    victim.refresh_from_db()
    assert victim.last_contacted_on is None


def test_the_pages_link_her_and_keep_her_contact_status(legal_case, people_):
    client = page(people_["lo"])
    form = client.get(reverse("prosecution:victim-new", args=[legal_case.pk]))
    assert form.status_code == 200 and legal_case.victim_case.number in form.content.decode()
    response = client.post(
        reverse("prosecution:victim-new", args=[legal_case.pk]), {"victim_case": legal_case.victim_case.pk}
    )
    assert response.status_code == 302
    victim = LegalCaseVictim.objects.get()
    edit = reverse("prosecution:victim-edit", args=[legal_case.pk, victim.pk])
    assert client.get(edit).status_code == 200
    response = client.post(
        edit, {"contact_status": "attempting", "willing_to_testify": "undecided", "version": 1}
    )
    assert response.status_code == 302
    victim.refresh_from_db()
    assert (victim.contact_status, victim.willing_to_testify) == ("attempting", "undecided")
    # by number, a case file already linked: one link still
    client.post(
        reverse("prosecution:victim-new", args=[legal_case.pk]),
        {"case_number": legal_case.victim_case.number},
    )
    assert LegalCaseVictim.objects.count() == 1
    # a director, a case manager and another station's legal officer get 404
    for who in ("director", "cm", "other_lo"):
        assert page(people_[who]).get(edit).status_code == 404


# --- the case manager's summary ---------------------------------------------------------------------------


def _charges(legal_case, actor):
    court = Court.objects.create(country=legal_case.station.country, name="Test District Court")
    court_case = CourtCase.objects.create(legal_case=legal_case, court=court, number="T-1", created_by=actor)
    suspect = Suspect.objects.create(legal_case=legal_case, person=legal_case.ram, created_by=actor)
    country = legal_case.station.country
    trafficking = Statute.objects.create(
        country=country, code="T-TIP", title="Trafficking", act="A", is_trafficking=True
    )
    fraud = Statute.objects.create(country=country, code="T-FRAUD", title="Fraud", act="B")
    common = {"legal_case": legal_case, "suspect": suspect, "court_case": court_case, "created_by": actor}
    Charge.objects.create(**common, statute=trafficking, verdict="convicted", convicted_under=fraud)
    Charge.objects.create(**common, statute=fraud)
    return court_case


def test_a_case_manager_sees_the_legal_status_on_her_case_page_and_api_but_not_the_legal_case(
    legal_case, people_
):
    victim, _ = victim_add(actor=people_["lo"], legal_case=legal_case, victim_case=legal_case.victim_case)
    victim_update(
        actor=people_["lo"],
        victim=victim,
        contact_status="in_contact",
        willing_to_testify="yes",
        protection_measures="Safe house in Pokhara",
    )
    court_case = _charges(legal_case, people_["lo"])
    next_on = station_today(legal_case.station) + timedelta(days=10)
    Hearing.objects.create(
        legal_case=legal_case,
        court_case=court_case,
        held_on=next_on - timedelta(days=40),
        purpose="Bail",
        created_by=people_["lo"],
    )
    Hearing.objects.create(
        legal_case=legal_case,
        court_case=court_case,
        held_on=next_on,
        purpose="Evidence",
        created_by=people_["lo"],
    )
    cm, case = people_["cm"], legal_case.victim_case
    html = page(cm).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="legal-summary"' in html
    assert legal_case.number in html and "Complaint filed" in html
    assert "2 charges: 1 convicted (lesser), 1 pending" in html
    assert next_on.isoformat() in html and "In contact" in html
    assert "Pokhara" not in html and "Ram Bahadur" not in html
    (legal,) = api(cm).get(reverse("api:case", kwargs={"pk": case.pk})).json()["legal"]
    assert legal["number"] == legal_case.number and legal["stage"] == "complaint_filed"
    assert legal["charge_counts"] == {"convicted_lesser": 1, "pending": 1} and legal["charges"] == 2
    assert legal["next_hearing"] == next_on.isoformat()
    assert (legal["contact_status"], legal["willing_to_testify"]) == ("in_contact", "yes")
    # the legal case itself stays out of her reach
    assert page(cm).get(reverse("prosecution:detail", args=[legal_case.pk])).status_code == 404
    assert api(cm).get(reverse("api:legal-case", kwargs={"pk": legal_case.pk})).status_code == 404
    assert api(cm).get(victims_url(legal_case)).status_code == 404


def test_the_summary_is_two_queries_whatever_the_number_of_legal_cases(
    legal_case, people_, bhw, django_assert_max_num_queries
):
    case = legal_case.victim_case
    victim_add(actor=people_["lo"], legal_case=legal_case, victim_case=case)
    _charges(legal_case, people_["lo"])
    for n in range(2, 5):
        other = LegalCase.objects.create(
            number=f"BHW-L-2026-0000{n}", station=bhw, opened_on=date(2026, 11, 1), created_by=people_["lo"]
        )
        LegalCaseVictim.objects.create(legal_case=other, victim_case=case, created_by=people_["lo"])
    case = VictimCase.objects.select_related("station").get(pk=case.pk)
    with django_assert_max_num_queries(2):
        rows = legal_summaries(people_["cm"], case)
    assert [r["number"] for r in rows][0] == legal_case.number and len(rows) == 4
    assert rows[1]["charges_text"] == "No charges yet"


def test_charges_in_words():
    assert charges_in_words({"pending": 1}) == "1 charge: 1 pending"
    assert (
        charges_in_words({"pending": 2, "convicted_trafficking": 1, "acquitted": 1})
        == "4 charges: 1 convicted (trafficking), 1 acquitted, 2 pending"
    )
