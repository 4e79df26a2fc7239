"""Consent of a case file (docs/cases.md "Consent"): decisions per scope, append-only, the latest in
force; withdrawal at once; overrides by station managers with a reason; the signed form's download."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from audit.models import AccessEvent
from cases import selectors
from cases.models import Consent, ConsentOverride, VictimCase
from cases.services.consent import consent_override, consent_record, station_today

from .factories import csrf_from, login, make_interception, member, person

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture
def case(monitor, bhw):
    interception = make_interception(monitor, bhw, people=[person("Sita Tamang", gender="female", age=17)])
    return VictimCase.objects.get(interception=interception)


@pytest.fixture
def case_manager(bhw):
    return member(Role.CASE_MANAGER, station=bhw, username="cm_bhw")


def record(case, actor, scope="information_sharing", decision="given", **kw):
    return consent_record(
        actor=actor, case=case, scope=scope, decision=decision, method=kw.pop("method", "verbal"), **kw
    )


def test_the_latest_decision_per_scope_is_in_force_and_audited_without_notes(case, case_manager):
    record(case, case_manager, notes="She agreed in front of her aunt Maya.")
    assert selectors.consent_in_force(case, "information_sharing")
    record(case, case_manager, decision="withdrawn")
    assert not selectors.consent_in_force(case, "information_sharing")
    assert Consent.objects.filter(case=case).count() == 2  # append-only
    current = selectors.current_consents(case)
    assert current["information_sharing"].decision == "withdrawn"
    assert current["research"] is None and set(current) == {
        "services",
        "information_sharing",
        "photo",
        "research",
    }
    event = AccessEvent.objects.filter(action="case.consent", object_id=str(case.pk)).order_by("id").first()
    assert event.details["scope"] == "information_sharing" and event.details["decision"] == "given"
    assert "Maya" not in str(event.details)
    assert Consent.history.filter(case_id=case.pk).count() == 2


def test_bad_codes_future_dates_and_withdrawing_what_was_never_given_are_refused(case, case_manager):
    with pytest.raises(ValidationError) as exc:
        consent_record(actor=case_manager, case=case, scope="photos", decision="maybe", method="email")
    assert set(exc.value.message_dict) == {"scope", "decision", "method"}
    with pytest.raises(ValidationError) as exc:
        record(case, case_manager, decided_on=station_today(case) + timedelta(days=1))
    assert "decided_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        record(case, case_manager, scope="photo", decision="withdrawn")
    assert "decision" in exc.value.message_dict
    assert not Consent.objects.exists()


def test_a_signed_form_is_checked_by_its_bytes(case, case_manager):
    with pytest.raises(ValidationError) as exc:
        record(
            case,
            case_manager,
            method="written",
            signed_form=SimpleUploadedFile("form.pdf", b"MZ\x90\x00evil"),
        )
    assert "signed_form" in exc.value.message_dict
    consent = record(case, case_manager, method="written", signed_form=SimpleUploadedFile("form.pdf", PDF))
    assert consent.signed_form_type == "application/pdf" and consent.signed_form_name == "form.pdf"


def test_only_workers_of_the_station_record_consent(case, bhw, brg):
    legal = member(Role.LEGAL_OFFICER, station=bhw, username="legal")
    with pytest.raises(PermissionDenied):
        record(case, legal)
    with pytest.raises(PermissionDenied):
        record(case, member(Role.CASE_MANAGER, station=brg, username="cm_brg"))


def test_research_refused_condition_is_one_sql_condition_on_the_latest_decision(
    case, case_manager, monitor, bhw
):
    other = VictimCase.objects.get(interception=make_interception(monitor, bhw, people=[person("Gita Rai")]))
    refused = VictimCase.objects.filter(selectors.research_refused_condition())
    assert list(refused) == []
    record(case, case_manager, scope="research", decision="given")
    record(other, case_manager, scope="research", decision="refused")
    assert list(VictimCase.objects.filter(selectors.research_refused_condition())) == [other]
    record(case, case_manager, scope="research", decision="withdrawn")
    record(other, case_manager, scope="research", decision="given")
    assert list(VictimCase.objects.filter(selectors.research_refused_condition())) == [case]
    # never NULL: excluding keeps the cases without a research decision
    third = VictimCase.objects.get(interception=make_interception(monitor, bhw, people=[person("Maya")]))
    kept = set(VictimCase.objects.exclude(selectors.research_refused_condition()))
    assert kept == {other, third}
    # through a relation
    through = Consent.objects.filter(selectors.research_refused_condition("case__"))
    assert set(through.values_list("case_id", flat=True)) == {case.pk}


def test_an_override_needs_a_station_manager_and_a_reason(case, case_manager, manager):
    with pytest.raises(PermissionDenied):
        consent_override(actor=case_manager, case=case, scope="information_sharing", reason="urgent")
    with pytest.raises(ValidationError) as exc:
        consent_override(actor=manager, case=case, scope="information_sharing", reason="  ")
    assert "reason" in exc.value.message_dict
    override = consent_override(
        actor=manager, case=case, scope="information_sharing", reason="Her trafficker knows where she is."
    )
    event = AccessEvent.objects.get(action="case.consent_override", object_id=str(case.pk))
    assert event.details["scope"] == "information_sharing" and "trafficker" not in str(event.details)
    assert ConsentOverride.history.filter(id=override.pk).exists()


def test_the_consent_page_records_a_decision_with_a_signed_form_and_shows_errors(client, case, case_manager):
    login(client, case_manager)
    url = reverse("cases:consent-new", kwargs={"pk": case.pk})
    page = client.get(url)
    assert page.status_code == 200
    bad = client.post(
        url,
        {
            "csrfmiddlewaretoken": csrf_from(page),
            "scope": "photo",
            "decision": "withdrawn",
            "method": "verbal",
        },
    )
    assert bad.status_code == 200 and "no consent in force" in bad.content.decode()
    response = client.post(
        url,
        {
            "scope": "information_sharing",
            "decision": "given",
            "method": "written",
            "signed_form": SimpleUploadedFile("signed.png", PNG),
            "idempotency_key": "k1",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#consent")
    consent = Consent.objects.get(case=case)
    assert consent.signed_form_type == "image/png"
    # the same form sent twice (a bad connection) records one decision
    client.post(
        url,
        {
            "scope": "information_sharing",
            "decision": "given",
            "method": "written",
            "idempotency_key": "k1",
            "signed_form": SimpleUploadedFile("signed.png", PNG),
        },
    )
    assert Consent.objects.filter(case=case).count() == 1


def test_the_signed_form_downloads_only_with_view_sensitive(client, case, case_manager, bhw):
    consent = record(case, case_manager, method="written", signed_form=SimpleUploadedFile("signed.png", PNG))
    url = reverse("cases:consent-form", kwargs={"pk": case.pk, "consent_pk": consent.pk})
    response = login(client, case_manager).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert AccessEvent.objects.filter(
        action="case.view", actor=case_manager, object_id=str(case.pk), details__purpose="consent_form"
    ).exists()
    # a legal officer and a director see the case masked: no form
    for role in (Role.LEGAL_OFFICER, Role.COUNTRY_DIRECTOR):
        client.logout()
        assert login(client, member(role, station=bhw, username=role)).get(url).status_code == 404
    client.logout()
    assert login(client, member(Role.MONITOR, station=bhw, username="mon2")).get(url).status_code == 404


def test_the_api_lists_decisions_with_the_current_one_per_scope_and_records_one(
    api, case, case_manager, manager, bhw
):
    record(case, case_manager, scope="photo", decision="refused", notes="She fears her family sees it.")
    url = reverse("api:case-consents", kwargs={"pk": case.pk})
    response = api(case_manager).post(
        url, {"scope": "services", "decision": "given", "method": "verbal"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["scope"] == "services"
    assert (
        api(case_manager)
        .post(url, {"scope": "x", "decision": "given", "method": "verbal"}, format="json")
        .status_code
        == 400
    )
    legal = member(Role.LEGAL_OFFICER, station=bhw, username="legal")
    assert (
        api(legal)
        .post(url, {"scope": "services", "decision": "given", "method": "verbal"}, format="json")
        .status_code
        == 403
    )
    data = api(legal).get(url).json()
    assert data["current"]["services"]["decision"] == "given" and data["current"]["research"] is None
    assert [c["scope"] for c in data["results"]] == ["services", "photo"]
    assert data["results"][1]["notes"] == "[restricted]"
    assert api(case_manager).get(url).json()["results"][1]["notes"].startswith("She fears")
    outsider = member(Role.MONITOR, station=bhw, username="mon9")
    assert api(outsider).get(url).status_code == 404
    overrides = reverse("api:case-overrides", kwargs={"pk": case.pk})
    assert (
        api(case_manager)
        .post(overrides, {"scope": "information_sharing", "reason": "x"}, format="json")
        .status_code
        == 403
    )
    created = api(manager).post(
        overrides, {"scope": "information_sharing", "reason": "Her life is at risk."}, format="json"
    )
    assert created.status_code == 201 and created.json()["used_for"] == ""
    assert (
        api(manager)
        .post(overrides, {"scope": "information_sharing", "reason": ""}, format="json")
        .status_code
        == 400
    )


def test_the_consent_list_reads_in_a_fixed_number_of_queries(
    api, case, case_manager, django_assert_max_num_queries
):
    for scope in ("services", "photo", "research", "information_sharing"):
        record(case, case_manager, scope=scope)
    client = api(case_manager)
    url = reverse("api:case-consents", kwargs={"pk": case.pk})
    client.get(url)  # warm the token and role caches
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert len(response.json()["results"]) == 4


def test_the_api_refuses_an_empty_or_text_part_where_the_signed_form_belongs(api, case, case_manager):
    """Multipart carries the signed form; an empty part or text there is a 400 on `signed_form`, not "no
    form" (the schema says a file), and records nothing. Without the part the decision is recorded."""
    url = reverse("api:case-consents", kwargs={"pk": case.pk})
    body = {"scope": "services", "decision": "given", "method": "written"}
    for bad in ("", "https://example.org/form.pdf"):
        response = api(case_manager).post(url, {**body, "signed_form": bad}, format="multipart")
        assert response.status_code == 400 and "signed_form" in response.json()["error"]["fields"]
    assert not Consent.objects.filter(case=case).exists()
    assert api(case_manager).post(url, body, format="multipart").status_code == 201
