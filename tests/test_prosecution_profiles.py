"""Trafficker profiles, prior records, recidivism and the re-offending alert (docs/prosecution.md
"Trafficker profile and recidivism")."""

from datetime import date, timedelta

import pytest
from django.test import Client

from accounts.roles import Role
from alerts.models import Notification
from audit.models import AccessEvent
from core import events
from people.masking import MASK
from people.models import Identity, Person
from prosecution import models as pm

from .factories import login, member

pytestmark = pytest.mark.django_db

PAGE = "/legal-cases/profiles/{}/"
EDIT = "/legal-cases/profiles/{}/edit/"
PRIOR_NEW = "/legal-cases/profiles/{}/prior-records/new/"
API = "/api/v1/trafficker-profiles/{}/"
API_PRIOR = "/api/v1/trafficker-profiles/{}/prior-records/"


@pytest.fixture
def officer(bhw):
    return member(Role.LEGAL_OFFICER, station=bhw, username="lo_bhw")


@pytest.fixture
def ram(officer, bhw):
    """An identity (Ram Dalal), a suspect on one legal case at BHW."""
    identity = Identity.objects.create(gender="male")
    legal_case = open_case(bhw, officer, "BHW-L-2026-00001", date.today() - timedelta(days=400))
    suspect = add_suspect(legal_case, identity, officer, "Ram Dalal")
    return identity, legal_case, suspect


def open_case(station, officer, number, opened_on):
    return pm.LegalCase.objects.create(
        number=number, station=station, stage="trial", opened_on=opened_on, created_by=officer
    )


def add_suspect(legal_case, identity, officer, name, **kwargs):
    here = Person.objects.create(
        identity=identity,
        source="legal_case",
        record_id=legal_case.pk,
        station=legal_case.station,
        full_name=name,
        gender="male",
        age=34,
        nationality="NP",
        recorded_on=legal_case.opened_on,
        created_by=officer,
    )
    return pm.Suspect.objects.create(legal_case=legal_case, person=here, created_by=officer, **kwargs)


def convict(legal_case, suspect, officer, verdict_on, *, lesser=False):
    from accounts.models import Country

    nepal = Country.objects.get(code="NP")
    statute, _ = pm.Statute.objects.get_or_create(
        country=nepal,
        code="HTTCA-15-1-A" if not lesser else "FEA-43",
        defaults={"title": "Buying or selling a person", "act": "HTTCA", "is_trafficking": not lesser},
    )
    court, _ = pm.Court.objects.get_or_create(country=nepal, name="Rupandehi District Court")
    court_case = pm.CourtCase.objects.create(
        legal_case=legal_case, court=court, number=f"CR-{legal_case.pk}", created_by=officer
    )
    return pm.Charge.objects.create(
        legal_case=legal_case,
        suspect=suspect,
        court_case=court_case,
        statute=statute,
        verdict="convicted",
        verdict_on=verdict_on,
        convicted_under=statute,
        imprisonment_years=5,
        imprisonment_total_days=5 * 365,
        fine_amount="50000.00",
        fine_currency="NPR",
        created_by=officer,
    )


def page_client(user):
    return login(Client(), user)


# --- recidivism -----------------------------------------------------------------------------------------


def test_the_same_identity_in_two_legal_cases_shows_recidivism_on_the_profile(ram, officer, bhw, api):
    identity, first, suspect = ram
    suspect.arrest_status = "arrested"
    suspect.arrested_on = first.opened_on
    suspect.save()
    convict(first, suspect, officer, date.today() - timedelta(days=200))
    second = open_case(bhw, officer, "BHW-L-2026-00002", date.today() - timedelta(days=10))
    add_suspect(second, identity, officer, "Ram Dalal")

    page = page_client(officer).get(PAGE.format(identity.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="recidivism-cases">2<' in html
    assert 'id="recidivism-arrests">1<' in html
    assert 'id="recidivism-convictions">1<' in html
    assert 'id="reoffender"' in html
    assert "BHW-L-2026-00001" in html and "BHW-L-2026-00002" in html
    assert "Ram Dalal" in html

    body = api(officer).get(API.format(identity.pk)).json()
    facts = body["recidivism"]
    assert (facts["legal_cases"], facts["arrests"], facts["convictions"]) == (2, 1, 1)
    assert facts["is_reoffender"] is True and facts["repeat"] is True
    conviction = facts["conviction_rows"][0]
    assert conviction["number"] == "BHW-L-2026-00001"
    assert conviction["imprisonment_total_days"] == 1825 and conviction["fine_amount"] == "50000.00"
    assert (body["gender"], body["age"], body["nationality"]) == ("male", 34, "NP")


def test_one_legal_case_alone_is_no_recidivism(ram, officer, api):
    identity, *_ = ram
    facts = api(officer).get(API.format(identity.pk)).json()["recidivism"]
    assert facts == {**facts, "legal_cases": 1, "arrests": 0, "convictions": 0, "is_reoffender": False}
    assert facts["repeat"] is False
    assert 'id="reoffender"' not in page_client(officer).get(PAGE.format(identity.pk)).content.decode()


def test_another_stations_legal_case_counts_but_is_not_named(ram, officer, brg, api):
    identity, first, _ = ram
    brg_officer = member(Role.LEGAL_OFFICER, station=brg, username="lo_brg")
    elsewhere = open_case(brg, brg_officer, "BRG-L-2026-00001", date.today() - timedelta(days=600))
    earlier = add_suspect(elsewhere, identity, brg_officer, "Ram D.")
    convict(elsewhere, earlier, brg_officer, date.today() - timedelta(days=500))

    body = api(officer).get(API.format(identity.pk)).json()
    assert body["recidivism"]["legal_cases"] == 2 and body["recidivism"]["convictions"] == 1
    assert body["recidivism"]["is_reoffender"] is True
    assert body["recidivism"]["conviction_rows"][0]["legal_case"] is None
    assert [c["number"] for c in body["legal_cases"]] == ["BHW-L-2026-00001"]
    html = page_client(officer).get(PAGE.format(identity.pk)).content.decode()
    assert "BRG-L-2026-00001" not in html and "Ram D." not in html
    assert "another legal case" in html


# --- who sees a profile -----------------------------------------------------------------------------------


def test_a_monitor_and_another_stations_legal_officer_get_404(ram, bhw, brg, api):
    identity, *_ = ram
    outsiders = [
        member(Role.MONITOR, station=bhw, username="mon"),
        member(Role.LEGAL_OFFICER, station=brg, username="lo_brg"),
        member(Role.CASE_MANAGER, station=bhw, username="cm"),
    ]
    for user in outsiders:
        client = page_client(user)
        for url in (PAGE, EDIT, PRIOR_NEW):
            assert client.get(url.format(identity.pk)).status_code == 404, (user, url)
        assert api(user).get(API.format(identity.pk)).status_code == 404
        assert (
            api(user).patch(API.format(identity.pk), {"pathway": "other"}, format="json").status_code == 404
        )
        assert api(user).get(API_PRIOR.format(identity.pk)).status_code == 404
    assert AccessEvent.objects.filter(
        action="access.denied", object_type="identity", object_id=str(identity.pk)
    ).exists()
    assert not pm.TraffickerProfile.objects.exists()
    # an identity that is nobody's suspect: 404 for the legal officer too
    stranger = Identity.objects.create()
    officer = member(Role.LEGAL_OFFICER, station=bhw, username="lo2")
    assert api(officer).get(API.format(stranger.pk)).status_code == 404
    assert page_client(officer).get(PAGE.format(stranger.pk)).status_code == 404


def test_a_country_director_sees_the_codes_but_not_the_texts_and_amounts_and_cannot_edit(
    ram, officer, nepal, api
):
    identity, *_ = ram
    response = api(officer).patch(
        API.format(identity.pk),
        {
            "version": 0,
            "pathway": "family_business",
            "pathway_narrative": "Sold girls with his uncle",
            "roles": ["recruiter", "transporter"],
            "organised_network": True,
            "amount_per_victim": "150000.00",
            "amount_currency": "npr",
            "money_uses": ["gambling", "property"],
            "relationship_to_victims": "acquaintance",
            "occupation": "Bus agent",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    director = member(Role.COUNTRY_DIRECTOR, country=nepal, username="cd")
    body = api(director).get(API.format(identity.pk)).json()
    assert body["pathway"] == "family_business"
    assert body["roles"] == ["recruiter", "transporter"]
    assert body["money_uses"] == ["property", "gambling"]
    assert body["organised_network"] is True and body["relationship_to_victims"] == "acquaintance"
    assert body["pathway_narrative"] == MASK and body["occupation"] == MASK
    assert body["amount_per_victim"] == MASK and body["names"] == [MASK]
    html = page_client(director).get(PAGE.format(identity.pk)).content.decode()
    assert "Family business" in html and "Recruiter" in html
    assert "Sold girls" not in html and "150000" not in html and "Ram Dalal" not in html
    assert "Bus agent" not in html and "Edit the profile" not in html
    assert (
        api(director).patch(API.format(identity.pk), {"pathway": "other"}, format="json").status_code == 403
    )
    assert page_client(director).get(EDIT.format(identity.pk)).status_code == 404
    assert pm.TraffickerProfile.objects.get().pathway == "family_business"
    # the legal officer sees it all
    mine = api(officer).get(API.format(identity.pk)).json()
    assert mine["pathway_narrative"] == "Sold girls with his uncle"
    assert mine["amount_per_victim"] == "150000.00" and mine["amount_currency"] == "NPR"


def test_reading_a_profile_is_logged_naming_its_legal_cases(ram, officer, api):
    identity, legal_case, _ = ram
    api(officer).get(API.format(identity.pk))
    event = AccessEvent.objects.filter(action="legal_case.profile_view").get()
    assert event.object_type == "identity" and event.object_id == str(identity.pk)
    assert event.details["legal_cases"] == [legal_case.pk]
    assert event.details["sensitive"] is True


def test_the_profile_page_runs_a_bounded_number_of_queries(ram, officer, bhw, django_assert_max_num_queries):
    identity, first, suspect = ram
    client = page_client(officer)
    for i in range(2, 8):
        other = open_case(bhw, officer, f"BHW-L-2026-0000{i}", date.today() - timedelta(days=100 - i))
        s = add_suspect(other, identity, officer, "Ram Dalal", arrest_status="arrested")
        convict(other, s, officer, date.today() - timedelta(days=50 - i))
    client.get(PAGE.format(identity.pk))
    with django_assert_max_num_queries(30):
        response = client.get(PAGE.format(identity.pk))
    assert 'id="recidivism-cases">7<' in response.content.decode()


# --- editing ----------------------------------------------------------------------------------------------


def test_the_first_edit_creates_the_profile_at_the_legal_cases_station_audited_and_versioned(
    ram, officer, bhw
):
    identity, legal_case, _ = ram
    client = page_client(officer)
    form = client.get(EDIT.format(identity.pk))
    assert form.status_code == 200
    response = client.post(
        EDIT.format(identity.pk),
        {
            "version": "0",
            "pathway": "former_victim",
            "pathway_narrative": "Was trafficked herself at 15",
            "roles": ["recruiter"],
            "organised_network": "no",
            "owns_land_or_house": "yes",
            "amount_per_victim": "20000",
            "amount_currency": "NPR",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    profile = pm.TraffickerProfile.objects.get(identity=identity)
    assert profile.station == bhw and profile.version == 1
    assert profile.roles == ["recruiter"] and profile.organised_network is False
    assert profile.owns_land_or_house is True
    event = AccessEvent.objects.get(action="legal_case.profile_change")
    assert event.details["created"] is True and event.details["legal_case"] == legal_case.pk
    assert "pathway_narrative" in event.details["fields"]
    assert "Was trafficked" not in str(event.details)
    assert profile.history.count() == 2
    html = client.get(PAGE.format(identity.pk)).content.decode()
    assert "Former victim" in html and "Was trafficked herself at 15" in html and "Freelance" in html

    # a second save from the same (now stale) form is refused, nothing changes
    stale = client.post(EDIT.format(identity.pk), {"version": "0", "pathway": "other"})
    assert stale.status_code == 200 and "Someone else saved this record" in stale.content.decode()
    profile.refresh_from_db()
    assert profile.pathway == "former_victim" and profile.version == 1


def test_a_stale_version_is_409_and_bad_codes_are_400_in_the_api(ram, officer, api):
    identity, *_ = ram
    client = api(officer)
    assert (
        client.patch(API.format(identity.pk), {"version": 0, "debts": "Owes 2 lakh"}, format="json").json()[
            "version"
        ]
        == 1
    )
    stale = client.patch(API.format(identity.pk), {"version": 0, "debts": "none"}, format="json")
    assert stale.status_code == 409
    bad = client.patch(API.format(identity.pk), {"roles": ["boss"], "pathway": "magic"}, format="json")
    assert bad.status_code == 400
    assert "roles" in str(bad.json()) and "pathway" in str(bad.json())
    wrong = client.patch(API.format(identity.pk), {"amount_currency": "rupees"}, format="json")
    assert wrong.status_code == 400 and "amount_currency" in str(wrong.json())
    profile = pm.TraffickerProfile.objects.get()
    assert profile.debts == "Owes 2 lakh" and profile.version == 1 and profile.roles == []


# --- prior records ----------------------------------------------------------------------------------------


def test_a_prior_record_needs_its_source_and_counts_in_the_recidivism(ram, officer, api):
    identity, *_ = ram
    client = api(officer)
    missing = client.post(
        API_PRIOR.format(identity.pk),
        {"kind": "conviction", "description": "Convicted in Birgunj", "source": ""},
        format="json",
    )
    assert missing.status_code == 400 and "source" in str(missing.json())
    assert not pm.PriorRecord.objects.exists()
    payload = {
        "kind": "conviction",
        "occurred_on": (date.today() - timedelta(days=3000)).isoformat(),
        "description": "Convicted in Birgunj for selling a girl",
        "sentence": "7 years",
        "source": "Parsa District Court record",
    }
    first = client.post(API_PRIOR.format(identity.pk), payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(API_PRIOR.format(identity.pk), payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and again.status_code == 200
    assert pm.PriorRecord.objects.count() == 1
    assert pm.TraffickerProfile.objects.get().identity == identity  # created by the first record
    facts = client.get(API.format(identity.pk)).json()["recidivism"]
    # convicted by hand before the legal case was opened: re-offending
    assert facts["convictions"] == 1 and facts["prior_records"] == 1 and facts["is_reoffender"] is True
    listed = client.get(API_PRIOR.format(identity.pk)).json()["results"]
    assert listed[0]["source"] == "Parsa District Court record"
    assert AccessEvent.objects.filter(action="legal_case.prior_record_add").count() == 1


def test_a_prior_record_through_the_page(ram, officer):
    identity, *_ = ram
    client = page_client(officer)
    assert client.get(PRIOR_NEW.format(identity.pk)).status_code == 200
    empty = client.post(PRIOR_NEW.format(identity.pk), {"kind": "arrest"})
    assert empty.status_code == 200 and not pm.PriorRecord.objects.exists()
    response = client.post(
        PRIOR_NEW.format(identity.pk),
        {"kind": "arrest", "description": "Arrested at the border", "source": "Nepal Police, Sunauli"},
    )
    assert response.status_code == 302
    html = client.get(PAGE.format(identity.pk)).content.decode()
    assert "Arrested at the border" in html and "Nepal Police, Sunauli" in html
    assert 'id="recidivism-arrests">1<' in html


# --- the re-offending alert -------------------------------------------------------------------------------


def test_a_suspect_convicted_in_an_earlier_legal_case_alerts_the_legal_officers(ram, officer, bhw):
    identity, first, suspect = ram
    convict(first, suspect, officer, date.today() - timedelta(days=100))
    second = pm.LegalCase.objects.create(
        number="BHW-L-2026-00002",
        station=bhw,
        stage="complaint_filed",
        opened_on=date.today(),
        created_by=officer,
    )
    try:
        from prosecution.services.suspects import suspect_add
    except ImportError:  # pragma: no cover (the suspects part not there)
        suspect_add = None
    if suspect_add is not None:
        suspect_add(actor=officer, legal_case=second, identity=identity.pk, name="Ram Dalal")
    else:  # pragma: no cover
        new = add_suspect(second, identity, officer, "Ram Dalal")
        events.publish("legal_case.suspect_added", id=new.pk)
    alert = Notification.objects.get(rule="reoffending")
    assert alert.recipient == officer
    assert alert.subject_key == f"legal_case:{second.pk}:reoffending:{identity.pk}"
    assert "Ram" not in alert.title and "BHW-L-2026-00002" in alert.title


def test_no_alert_without_an_earlier_conviction(ram, officer, bhw):
    identity, first, suspect = ram
    second = open_case(bhw, officer, "BHW-L-2026-00002", date.today())
    new = add_suspect(second, identity, officer, "Ram Dalal")
    events.publish("legal_case.suspect_added", id=new.pk)
    # a conviction after the new legal case was opened is no earlier conviction
    convict(first, suspect, officer, date.today() + timedelta(days=1))
    events.publish("legal_case.suspect_added", id=new.pk)
    assert not Notification.objects.filter(rule="reoffending").exists()


def test_the_legal_case_page_links_each_suspect_to_its_profile(ram, officer):
    identity, legal_case, _ = ram
    html = page_client(officer).get(f"/legal-cases/{legal_case.pk}/").content.decode()
    assert f'href="/legal-cases/profiles/{identity.pk}/"' in html
    assert f'href="/legal-cases/profiles/{identity.pk}/edit/"' in html
