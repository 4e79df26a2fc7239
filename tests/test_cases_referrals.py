"""Referrals of a case file (docs/cases.md "Referral"): a per-object grant with an expiry and a note, needing
sharing consent (or one override), audited, revocable; withdrawal of consent revokes them at once."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AccessEvent
from cases.models import CaseUserObjectPermission, Referral, VictimCase
from cases.selectors import case_scope
from cases.services.consent import consent_override, consent_record
from cases.services.referrals import referral_create

from .factories import UserFactory, login, make_interception, member, person

pytestmark = pytest.mark.django_db

NAME = "Sita Tamang"


@pytest.fixture
def case(monitor, bhw):
    interception = make_interception(monitor, bhw, people=[person(NAME, gender="female", age=17)])
    return VictimCase.objects.get(interception=interception)


@pytest.fixture
def case_manager(bhw):
    return member(Role.CASE_MANAGER, station=bhw, username="cm_bhw")


@pytest.fixture
def partner(db):
    """A named user of a partner organisation: no role anywhere."""
    return UserFactory(username="partner_ngo")


def consent(case, actor, decision="given"):
    return consent_record(
        actor=actor, case=case, scope="information_sharing", decision=decision, method="verbal"
    )


def test_withdrawal_of_consent_blocks_a_referral(api, case, case_manager, partner, brg):
    url = reverse("api:case-referrals", kwargs={"pk": case.pk})
    # no consent yet: 400 on `consent`
    response = api(case_manager).post(url, {"to_user": partner.username}, format="json")
    assert response.status_code == 400
    assert "consent" in response.json()["error"]["fields"]
    consent(case, case_manager)
    response = api(case_manager).post(url, {"to_user": partner.username, "note": "Legal aid"}, format="json")
    assert response.status_code == 201, response.json()
    referral = Referral.objects.get(pk=response.json()["id"])
    station_referral, _ = referral_create(actor=case_manager, case=case, to_station="BRG")
    assert case_scope(partner).filter(pk=case.pk).exists()
    # she withdraws: every live referral is revoked at once, and the partner loses the case
    consent(case, case_manager, decision="withdrawn")
    referral.refresh_from_db()
    station_referral.refresh_from_db()
    assert referral.revoked_at is not None and station_referral.revoked_at is not None
    assert not CaseUserObjectPermission.objects.filter(referral=referral).exists()
    assert not case_scope(partner).filter(pk=case.pk).exists()
    revoked = AccessEvent.objects.filter(action="case.referral_revoke", object_id=str(case.pk))
    assert {e.details["reason"] for e in revoked} == {"consent withdrawn"} and revoked.count() == 2
    assert referral.revoke_reason == "consent withdrawn"
    # and a new referral answers 400 on `consent`
    response = api(case_manager).post(url, {"to_station": "BRG"}, format="json")
    assert response.status_code == 400
    assert "consent" in response.json()["error"]["fields"]


def test_an_override_allows_exactly_one_referral_and_is_audited(
    api, case, case_manager, manager, partner, brg
):
    url = reverse("api:case-referrals", kwargs={"pk": case.pk})
    overrides = reverse("api:case-overrides", kwargs={"pk": case.pk})
    assert (
        api(case_manager)
        .post(overrides, {"scope": "information_sharing", "reason": "x"}, format="json")
        .status_code
        == 403
    )
    response = api(manager).post(
        overrides, {"scope": "information_sharing", "reason": "Her life is at risk at home."}, format="json"
    )
    assert response.status_code == 201
    assert AccessEvent.objects.filter(action="case.consent_override", object_id=str(case.pk)).exists()
    first = api(case_manager).post(url, {"to_user": partner.username}, format="json")
    assert first.status_code == 201
    override = case.overrides.get()
    assert override.used_for == f"referral:{first.json()['id']}"
    event = AccessEvent.objects.get(action="case.referral", object_id=str(case.pk))
    assert event.details["override_id"] == override.pk and event.details["to_user"] == partner.username
    second = api(case_manager).post(url, {"to_station": "BRG"}, format="json")
    assert second.status_code == 400 and "consent" in second.json()["error"]["fields"]


def test_an_override_before_a_withdrawal_no_longer_counts(case, case_manager, manager, partner):
    consent_override(actor=manager, case=case, scope="information_sharing", reason="urgent")
    consent(case, case_manager)
    consent(case, case_manager, decision="withdrawn")
    with pytest.raises(ValidationError) as exc:
        referral_create(actor=case_manager, case=case, to_user=partner.username)
    assert "consent" in exc.value.message_dict


def test_the_referred_user_sees_the_case_with_its_details_until_revoked(
    api, client, case, case_manager, partner
):
    consent(case, case_manager)
    referral, created = referral_create(
        actor=case_manager, case=case, to_user=partner.username, note="Legal aid"
    )
    assert created
    grants = CaseUserObjectPermission.objects.filter(user=partner, content_object=case, referral=referral)
    assert set(grants.values_list("permission__codename", flat=True)) == {
        "view_victimcase",
        "view_sensitive_victimcase",
    }
    assert all(g.expires_at == referral.expires_at for g in grants)
    detail = reverse("api:case", kwargs={"pk": case.pk})
    response = api(partner).get(detail)
    assert response.status_code == 200 and response.json()["name"] == NAME
    page = login(client, partner).get(reverse("cases:detail", kwargs={"pk": case.pk}))
    assert page.status_code == 200 and NAME in page.content.decode()
    # a referral lets her see the case, never work on it or refer it further
    assert (
        api(partner).post(reverse("api:case-consents", kwargs={"pk": case.pk}), {}, format="json").status_code
        == 403
    )
    revoke = reverse("api:case-referral-revoke", kwargs={"pk": case.pk, "referral_pk": referral.pk})
    assert api(partner).post(revoke, {}, format="json").status_code == 403
    response = api(case_manager).post(revoke, {"reason": "She moved"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "revoked"
    assert api(partner).get(detail).status_code == 404
    assert client.get(reverse("cases:detail", kwargs={"pk": case.pk})).status_code == 404
    # revoking twice is an illegal transition
    again = api(case_manager).post(revoke, {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"
    event = AccessEvent.objects.filter(action="case.referral_revoke").get()
    assert "moved" not in str(event.details)
    # the reason typed is kept on the referral and in its history, not in the access log
    referral.refresh_from_db()
    assert referral.revoke_reason == "She moved"
    assert referral.history.filter(revoke_reason="She moved").exists()


def test_the_referred_user_loses_the_case_at_the_expiry(api, case, case_manager, partner):
    consent(case, case_manager)
    referral, _ = referral_create(actor=case_manager, case=case, to_user=partner.username)
    detail = reverse("api:case", kwargs={"pk": case.pk})
    assert api(partner).get(detail).status_code == 200
    past = timezone.now() - timedelta(minutes=1)
    Referral.objects.filter(pk=referral.pk).update(expires_at=past)
    CaseUserObjectPermission.objects.filter(referral=referral).update(expires_at=past)
    assert api(partner).get(detail).status_code == 404
    assert (
        api(case_manager)
        .get(reverse("api:case-referrals", kwargs={"pk": case.pk}))
        .json()["results"][0]["state"]
        == "expired"
    )


def test_a_station_referral_shows_the_case_to_that_stations_case_managers_only(api, case, case_manager, brg):
    consent(case, case_manager)
    referral_create(actor=case_manager, case=case, to_station="BRG", note="Shelter near her home")
    detail = reverse("api:case", kwargs={"pk": case.pk})
    brg_case_manager = member(Role.CASE_MANAGER, station=brg, username="cm_brg")
    assert api(brg_case_manager).get(detail).status_code == 200
    assert api(member(Role.MONITOR, station=brg, username="mon_brg2")).get(detail).status_code == 404


def test_rules_of_a_referral(case, case_manager, partner, bhw, brg):
    consent(case, case_manager)
    with pytest.raises(ValidationError) as exc:
        referral_create(actor=case_manager, case=case, to_user=partner.username, to_station="BRG")
    assert "to_user" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        referral_create(actor=case_manager, case=case, to_station="BHW")
    assert "to_station" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        referral_create(actor=case_manager, case=case, to_user="nobody")
    assert "to_user" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        referral_create(
            actor=case_manager,
            case=case,
            to_station="BRG",
            expires_on=timezone.localdate() - timedelta(days=1),
        )
    assert "expires_on" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        referral_create(
            actor=member(Role.LEGAL_OFFICER, station=bhw, username="legal"), case=case, to_station="BRG"
        )
    first, created = referral_create(actor=case_manager, case=case, to_station="BRG", idempotency_key="k")
    again, created_again = referral_create(
        actor=case_manager, case=case, to_station="BRG", idempotency_key="k"
    )
    assert created and not created_again and first == again
    with pytest.raises(ValidationError):  # already referred there, live
        referral_create(actor=case_manager, case=case, to_station="BRG")
    assert Referral.history.filter(id=first.pk).exists()


def test_outsiders_get_404(api, case, case_manager, bhw, brg):
    url = reverse("api:case-referrals", kwargs={"pk": case.pk})
    for user in (
        member(Role.MONITOR, station=bhw, username="m2"),
        member(Role.CASE_MANAGER, station=brg, username="c2"),
    ):
        assert api(user).get(url).status_code == 404
        assert api(user).post(url, {"to_station": "BRG"}, format="json").status_code == 404


def test_the_pages_refer_and_revoke_and_the_case_page_lists_referrals(
    client, case, case_manager, partner, brg
):
    login(client, case_manager)
    new = reverse("cases:referral-new", kwargs={"pk": case.pk})
    assert client.get(new).status_code == 200
    response = client.post(new, {"to_user": partner.username})
    assert response.status_code == 200 and "not given consent to share" in response.content.decode()
    consent(case, case_manager)
    response = client.post(new, {"to_user": partner.username, "note": "Legal aid", "idempotency_key": "p1"})
    assert response.status_code == 302 and response["Location"].endswith("#referrals")
    referral = Referral.objects.get(case=case)
    page = client.get(reverse("cases:detail", kwargs={"pk": case.pk})).content.decode()
    assert "partner_ngo" in page and "live" in page
    assert reverse("cases:referral-revoke", kwargs={"pk": case.pk, "referral_pk": referral.pk}) in page
    response = client.post(
        reverse("cases:referral-revoke", kwargs={"pk": case.pk, "referral_pk": referral.pk})
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.revoked_at is not None and referral.revoked_by == case_manager
