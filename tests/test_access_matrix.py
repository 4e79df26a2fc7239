"""Walk every URL pattern of the project as every kind of user and check the status of each cell.

A new URL pattern that is not in TABLE (or, for the admin, not of a known admin kind) fails the test, so
nobody can add a page or endpoint without saying who may reach it.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from audit.models import AccessEvent
from interception import services

from .factories import CountryFactory, StationFactory, login, make_interception, member, person

pytestmark = pytest.mark.django_db

ROLES = [r.value for r in Role]
OUTSIDERS = ["no_role", "other_station", "other_country"]
ACTORS = ["anon", *OUTSIDERS, *ROLES]
VIEWERS = {"monitor", "station_manager", "case_manager", "legal_officer", "country_director"}
SENSITIVE = {"monitor", "station_manager", "case_manager", "legal_officer"}
# who review matches of people and see names (`match_person` and `view_sensitive`)
REVIEWERS = {"station_manager", "case_manager", "legal_officer"}
LINKERS = {"station_manager", "case_manager", "legal_officer", "country_director"}  # `match_person`
# case files (docs/cases.md "Who sees what"): who sees the case, who works on it
CASE_VIEWERS = {"station_manager", "case_manager", "legal_officer", "country_director"}
CASE_WORKERS = {"station_manager", "case_manager"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
VICTIM = "Sita Tamang"


def cell(anon, default, **overrides):
    """Expected status per actor: `anon` for anonymous, `overrides` per actor, `default` for the rest."""
    return {a: overrides.get(a, anon if a == "anon" else default) for a in ACTORS}


def only(anon, allowed_status, roles, default=404, **extra):
    return cell(anon, default, **dict.fromkeys(roles, allowed_status), **extra)


# route pattern -> list of (method, data, expected statuses). Data may be a callable of the world.
TABLE = {
    "": [("get", None, cell(302, 302))],
    "healthz": [("get", None, cell({200, 503}, {200, 503}))],
    "favicon.ico": [("get", None, cell(302, 302))],
    "accounts/login/": [("get", None, cell(200, 302))],
    "accounts/logout/": [("post", {}, cell(302, 302)), ("get", None, cell(405, 405))],
    "accounts/mfa/enrol/": [("get", None, cell(302, 302))],
    "accounts/mfa/verify/": [("get", None, cell(302, 302))],
    "accounts/mfa/": [("get", None, cell(302, 200))],
    "accounts/keep-alive/": [("post", {}, cell(302, 200)), ("get", None, cell(302, 405))],
    "accounts/language/": [("get", None, cell(302, 200)), ("post", {"language": "en"}, cell(302, 302))],
    "interceptions/": [("get", None, cell(302, 200))],
    "interceptions/new/": [
        ("get", None, only(302, 200, ["monitor", "station_manager", "other_station", "other_country"]))
    ],
    "interceptions/<int:pk>/": [("get", None, only(302, 200, VIEWERS))],
    "interceptions/<int:pk>/edit/": [("get", None, only(302, 200, ["monitor", "station_manager"]))],
    # the record is submitted: autosave (drafts only) answers 409 to those who may change it
    "interceptions/<int:pk>/autosave/": [("post", {}, only(302, 409, ["monitor", "station_manager"]))],
    # an empty post saves nothing: 400 for those who may record somewhere
    "interceptions/new/autosave/": [
        ("post", {}, only(302, 400, ["monitor", "station_manager", "other_station", "other_country"]))
    ],
    "interceptions/drafts/": [("get", None, cell(302, 200))],
    "interceptions/<int:pk>/share/": [
        ("post", {"kind": "user", "name": "nobody", "level": "view"}, only(302, 302, ["station_manager"]))
    ],
    "interceptions/<int:pk>/attachments/": [("post", {}, only(302, 302, ["monitor", "station_manager"]))],
    "interceptions/<int:pk>/attachments/<int:attachment_pk>/": [("get", None, only(302, 200, SENSITIVE))],
    "interceptions/<int:pk>/attachments/<int:attachment_pk>/delete/": [
        ("post", {}, only(302, 302, ["station_manager"]))
    ],
    "audit/events/": [("get", None, only(302, 200, ["auditor"]))],
    "notifications/": [("get", None, cell(302, 200))],
    "notifications/<int:pk>/": [("get", None, only(302, 302, ["station_manager"]))],  # the owner only
    "notifications/<int:pk>/read/": [("post", {}, only(302, 302, ["station_manager"]))],  # the owner only
    "notifications/read-all/": [("post", {}, cell(302, 302))],
    "notifications/preferences/": [("get", None, cell(302, 200)), ("post", {}, cell(302, 302))],
    "api/v1/^interceptions/$": [
        ("get", None, cell(401, 200)),
        # recording needs a role granting `add` at some station (the view's policy); then the input is checked
        ("post", {}, cell(401, 403, **dict.fromkeys(["monitor", "station_manager", *OUTSIDERS[1:]], 400))),
    ],
    "api/v1/^interceptions/(?P<pk>[^/.]+)/$": [
        ("get", None, only(401, 200, VIEWERS)),
        (
            "patch",
            {},
            only(
                401,
                403,
                ["case_manager", "legal_officer", "country_director"],
                monitor=400,
                station_manager=400,
            ),
        ),
        ("delete", None, cell(401, 405)),
    ],
    "api/v1/^interceptions/(?P<pk>[^/.]+)/attachments/$": [
        (  # JSON instead of multipart: 415 for those who may upload
            "post",
            {},
            only(
                401,
                403,
                ["case_manager", "legal_officer", "country_director"],
                monitor=415,
                station_manager=415,
            ),
        )
    ],
    "api/v1/^red-flags/$": [("get", None, cell(401, 200))],
    "api/v1/places/": [("get", None, cell(401, 200))],  # reference data: any signed-in user
    "api/v1/interceptions/<int:pk>/attachments/<int:attachment_pk>/": [
        ("get", None, only(401, 200, SENSITIVE)),
        ("delete", None, only(401, 403, ["monitor", "case_manager", "legal_officer"], station_manager=204)),
    ],
    "api/v1/interceptions/<int:pk>/shares/": [
        ("get", None, only(401, 403, VIEWERS - {"station_manager"}, station_manager=200)),
        ("post", {}, only(401, 403, VIEWERS - {"station_manager"}, station_manager=400)),
    ],
    "api/v1/audit/events/": [("get", None, only(401, 200, ["auditor"], default=403))],
    "exports/": [
        ("get", None, cell(302, 200)),  # one's own exports (none for most)
        (
            "post",
            {"kind": "interceptions", "format": "csv"},
            only(302, 302, ["station_manager", "country_director"]),
        ),
    ],
    "exports/<int:pk>/": [("get", None, only(302, 200, ["station_manager"]))],  # the owner only
    "exports/<int:pk>/download/": [("get", None, only(302, 200, ["station_manager"]))],
    "api/v1/exports/": [("get", None, cell(401, 200)), ("post", {}, cell(401, 400))],
    "api/v1/exports/<int:pk>/": [("get", None, only(401, 200, ["station_manager"]))],
    "api/v1/exports/<int:pk>/download/": [("get", None, only(401, 200, ["station_manager"]))],
    "api/v1/notifications/": [("get", None, cell(401, 200))],
    "api/v1/notifications/<int:pk>/read/": [("post", {}, only(401, 200, ["station_manager"]))],
    # person search: users who may read names somewhere search; others get 404 (the API list: 403)
    "people/": [("get", None, only(302, 200, [*SENSITIVE, "other_station", "other_country"]))],
    "people/<int:pk>/": [("get", None, only(302, 200, SENSITIVE))],
    # no `q`: 400 for those who may search
    "api/v1/people/": [
        ("get", None, only(401, 400, [*SENSITIVE, "other_station", "other_country"], default=403))
    ],
    "api/v1/people/<int:pk>/": [("get", None, only(401, 200, SENSITIVE))],
    # the network: whoever sees the identity (a director with names masked); links: the `match_person` right
    "people/<int:pk>/network/": [("get", None, only(302, 200, VIEWERS))],
    # an empty form re-renders the network page with its errors
    "people/<int:pk>/links/": [("post", {}, only(302, 200, LINKERS))],
    "api/v1/people/<int:pk>/network/": [("get", None, only(401, 200, VIEWERS))],
    "api/v1/people/<int:pk>/links/": [("post", {}, only(401, 400, LINKERS, default=403))],
    # route counts over one's own scope (none for a user without a role)
    "interceptions/routes/": [("get", None, cell(302, 200))],
    "api/v1/routes/": [("get", None, cell(401, 200))],
    # match review: reviewers (`match_person`) who see both sides with names; the queue answers any
    # reviewer (a director's is empty); a POST without input redirects with a message (pages) or is a 400
    "people/matches/": [("get", None, only(302, 200, [*REVIEWERS, "country_director"]))],
    "people/matches/<int:pk>/": [("get", None, only(302, 200, REVIEWERS))],
    # the first reviewer merges the pair; the next ones are told it was decided already (also a redirect)
    "people/matches/<int:pk>/confirm/": [("post", {}, only(302, 302, REVIEWERS))],
    "people/matches/<int:pk>/reject/": [("post", {}, only(302, 302, REVIEWERS))],
    "people/<int:pk>/unmerge/": [("post", {}, only(302, 302, REVIEWERS))],
    # suggestions under a name on the form: whoever may record interceptions somewhere
    "people/suggest/": [
        ("get", None, only(302, 200, ["monitor", "station_manager", "other_station", "other_country"]))
    ],
    "api/v1/people/<int:pk>/matches/": [
        ("get", None, only(401, 200, SENSITIVE, default=403, other_station=404, other_country=404))
    ],
    "api/v1/people/<int:pk>/merge/": [
        ("post", {}, only(401, 400, REVIEWERS, default=403, country_director=404))
    ],
    "api/v1/people/<int:pk>/unmerge/": [
        ("post", {}, only(401, 400, REVIEWERS, default=403, country_director=404))
    ],
    "api/v1/matches/": [("get", None, only(401, 200, [*REVIEWERS, "country_director"], default=403))],
    # the first reviewer to reach it rejects the pair (200) unless the page merged it first; then 400
    "api/v1/matches/<int:pk>/reject/": [
        ("post", {}, only(401, {200, 400}, REVIEWERS, default=403, country_director=404))
    ],
    # case lists, opening by hand, assignment
    "cases/": [("get", None, cell(302, 200))],
    "cases/new/": [
        ("get", None, only(302, 200, ["station_manager", "case_manager"])),
        ("post", {}, only(302, 200, ["station_manager", "case_manager"])),
    ],
    "cases/<int:pk>/assign/": [("post", {}, only(302, 302, ["station_manager"]))],
    "api/v1/cases/": [
        ("get", None, cell(401, 200)),
        ("post", {}, cell(401, 403, station_manager=400, case_manager=400)),
    ],
    "api/v1/cases/<int:pk>/assign/": [
        (
            "post",
            {},
            cell(401, 404, station_manager=400, case_manager=403, legal_officer=403, country_director=403),
        )
    ],
    # the case page, its history, workflow: the world case is active, assigned to r_case_manager
    "cases/<int:pk>/": [("get", None, only(302, 200, CASE_VIEWERS))],
    "cases/<int:pk>/history/": [("get", None, only(302, 200, CASE_VIEWERS))],
    # an empty form re-renders the case page with its errors
    "cases/<int:pk>/risk/": [("post", {}, only(302, 200, CASE_WORKERS))],
    "cases/<int:pk>/request-closure/": [("post", {}, only(302, 200, CASE_WORKERS))],
    # nothing was requested: the station manager is sent back to the case with the message
    "cases/<int:pk>/approve-closure/": [("post", {}, only(302, 302, ["station_manager"]))],
    "cases/<int:pk>/refuse-closure/": [("post", {}, only(302, 302, ["station_manager"]))],
    "cases/<int:pk>/reopen/": [("post", {}, only(302, 200, CASE_WORKERS))],
    "api/v1/cases/<int:pk>/": [
        ("get", None, only(401, 200, CASE_VIEWERS)),
        ("patch", {}, only(401, 403, CASE_VIEWERS - CASE_WORKERS, **dict.fromkeys(CASE_WORKERS, 400))),
    ],
    "api/v1/cases/<int:pk>/timeline/": [("get", None, only(401, 200, CASE_VIEWERS))],
    "api/v1/cases/<int:pk>/request-closure/": [
        ("post", {}, only(401, 403, CASE_VIEWERS - CASE_WORKERS, **dict.fromkeys(CASE_WORKERS, 400)))
    ],
    # the case is active: nothing to approve or refuse (409) for a station manager
    "api/v1/cases/<int:pk>/approve-closure/": [
        ("post", {}, only(401, 403, CASE_VIEWERS - {"station_manager"}, station_manager=409))
    ],
    "api/v1/cases/<int:pk>/refuse-closure/": [
        ("post", {}, only(401, 403, CASE_VIEWERS - {"station_manager"}, station_manager=409))
    ],
    "api/v1/cases/<int:pk>/reopen/": [
        ("post", {}, only(401, 403, CASE_VIEWERS - CASE_WORKERS, **dict.fromkeys(CASE_WORKERS, 400)))
    ],
    # consent and referrals: workers (case managers, station managers) record consent and refer;
    # legal officers and directors see the case but may not (pages 404, API 403); the signed form needs
    # view_sensitive; overrides are the station manager's. The world's referral is revoked by the first
    # worker to reach a revoke route; revoking it again is an illegal transition (page: a message; API 409).
    "cases/<int:pk>/consents/new/": [
        ("get", None, only(302, 200, ["station_manager", "case_manager"])),
        ("post", {}, only(302, 200, ["station_manager", "case_manager"])),
    ],
    "cases/<int:pk>/consents/<int:consent_pk>/form/": [
        ("get", None, only(302, 200, ["station_manager", "case_manager"]))
    ],
    "cases/<int:pk>/overrides/new/": [
        ("get", None, only(302, 200, ["station_manager"])),
        ("post", {}, only(302, 200, ["station_manager"])),
    ],
    "cases/<int:pk>/referrals/new/": [
        ("get", None, only(302, 200, ["station_manager", "case_manager"])),
        ("post", {}, only(302, 200, ["station_manager", "case_manager"])),
    ],
    "cases/<int:pk>/referrals/<int:referral_pk>/revoke/": [
        ("post", {}, only(302, 302, ["station_manager", "case_manager"])),
        ("get", None, cell(302, 405)),
    ],
    "api/v1/cases/<int:pk>/consents/": [
        (
            "get",
            None,
            only(401, 200, ["station_manager", "case_manager", "legal_officer", "country_director"]),
        ),
        (
            "post",
            {},
            only(401, 400, ["station_manager", "case_manager"], legal_officer=403, country_director=403),
        ),
    ],
    "api/v1/cases/<int:pk>/overrides/": [
        (
            "get",
            None,
            only(401, 200, ["station_manager", "case_manager", "legal_officer", "country_director"]),
        ),
        (
            "post",
            {},
            only(401, 400, ["station_manager"], case_manager=403, legal_officer=403, country_director=403),
        ),
    ],
    "api/v1/cases/<int:pk>/referrals/": [
        (
            "get",
            None,
            only(401, 200, ["station_manager", "case_manager", "legal_officer", "country_director"]),
        ),
        (
            "post",
            {},
            only(401, 400, ["station_manager", "case_manager"], legal_officer=403, country_director=403),
        ),
    ],
    "api/v1/cases/<int:pk>/referrals/<int:referral_pk>/revoke/": [
        (
            "post",
            {},
            only(
                401, {200, 409}, ["station_manager", "case_manager"], legal_officer=403, country_director=403
            ),
        )
    ],
    # victim interviews: workers record and edit (an empty form re-renders with its errors);
    # every case viewer reads (masked without view_sensitive)
    "cases/<int:pk>/interviews/new/": [
        ("get", None, only(302, 200, CASE_WORKERS)),
        ("post", {}, only(302, 200, CASE_WORKERS)),
    ],
    "cases/<int:pk>/interviews/<int:interview_pk>/": [("get", None, only(302, 200, CASE_VIEWERS))],
    "cases/<int:pk>/interviews/<int:interview_pk>/edit/": [
        ("get", None, only(302, 200, CASE_WORKERS)),
        ("post", {}, only(302, 200, CASE_WORKERS)),
    ],
    "api/v1/cases/<int:pk>/interviews/": [
        ("get", None, only(401, 200, CASE_VIEWERS)),
        ("post", {}, only(401, 403, CASE_VIEWERS - CASE_WORKERS, **dict.fromkeys(CASE_WORKERS, 400))),
    ],
    "api/v1/cases/<int:pk>/interviews/<int:interview_pk>/": [
        ("get", None, only(401, 200, CASE_VIEWERS)),
        ("patch", {}, only(401, 403, CASE_VIEWERS - CASE_WORKERS, **dict.fromkeys(CASE_WORKERS, 400))),
    ],
    # services and follow-ups: the forms for the case's workers (a viewer who may not work on it:
    # 404, as a case out of reach); an empty POST re-renders the form with its errors (200) or is a 400; an
    # empty PATCH never records the world's follow-up as done, so the statuses hold in any order
    "cases/<int:pk>/services/new/": [
        ("get", None, only(302, 200, CASE_WORKERS)),
        ("post", {}, only(302, 200, CASE_WORKERS)),
    ],
    "cases/<int:pk>/services/<int:service_pk>/edit/": [
        ("get", None, only(302, 200, CASE_WORKERS)),
        ("post", {}, only(302, 200, CASE_WORKERS)),
    ],
    "cases/<int:pk>/follow-ups/new/": [
        ("get", None, only(302, 200, CASE_WORKERS)),
        ("post", {}, only(302, 200, CASE_WORKERS)),
    ],
    "cases/<int:pk>/follow-ups/<int:follow_up_pk>/done/": [
        ("get", None, only(302, 200, CASE_WORKERS)),
        ("post", {}, only(302, 200, CASE_WORKERS)),
    ],
    "api/v1/cases/<int:pk>/services/": [
        ("get", None, only(401, 200, CASE_VIEWERS)),
        ("post", {}, only(401, 403, CASE_VIEWERS - CASE_WORKERS, **dict.fromkeys(CASE_WORKERS, 400))),
    ],
    "api/v1/cases/<int:pk>/services/<int:service_pk>/": [
        ("get", None, only(401, 200, CASE_VIEWERS)),
        ("patch", {}, only(401, 403, CASE_VIEWERS - CASE_WORKERS, **dict.fromkeys(CASE_WORKERS, 400))),
    ],
    "api/v1/cases/<int:pk>/follow-ups/": [
        ("get", None, only(401, 200, CASE_VIEWERS)),
        ("post", {}, only(401, 403, CASE_VIEWERS - CASE_WORKERS, **dict.fromkeys(CASE_WORKERS, 400))),
    ],
    "api/v1/cases/<int:pk>/follow-ups/<int:follow_up_pk>/": [
        ("get", None, only(401, 200, CASE_VIEWERS)),
        ("patch", {}, only(401, 403, CASE_VIEWERS - CASE_WORKERS, **dict.fromkeys(CASE_WORKERS, 400))),
    ],
    # trafficker profiles (docs/prosecution.md "Trafficker profile and recidivism"): seen by whoever sees a
    # legal case the identity is a suspect on (a director masked), edited by those who work on one; an empty
    # profile form saves nothing new and goes back to the profile; an empty prior record is refused
    "legal-cases/profiles/<int:identity_pk>/": [
        ("get", None, only(302, 200, ["station_manager", "legal_officer", "country_director"]))
    ],
    "legal-cases/profiles/<int:identity_pk>/edit/": [
        ("get", None, only(302, 200, ["station_manager", "legal_officer"])),
        ("post", {}, only(302, 302, ["station_manager", "legal_officer"])),
    ],
    "legal-cases/profiles/<int:identity_pk>/prior-records/new/": [
        ("get", None, only(302, 200, ["station_manager", "legal_officer"])),
        ("post", {}, only(302, 200, ["station_manager", "legal_officer"])),
    ],
    "api/v1/trafficker-profiles/<int:identity_pk>/": [
        ("get", None, only(401, 200, ["station_manager", "legal_officer", "country_director"])),
        ("patch", {}, only(401, 200, ["station_manager", "legal_officer"], country_director=403)),
    ],
    "api/v1/trafficker-profiles/<int:identity_pk>/prior-records/": [
        ("get", None, only(401, 200, ["station_manager", "legal_officer", "country_director"])),
        ("post", {}, only(401, 400, ["station_manager", "legal_officer"], country_director=403)),
    ],
    # legal cases (docs/prosecution.md "Who sees what"): station managers and legal officers work on them,
    # directors see them masked; an empty form re-renders with its errors (pages 200, API 400)
    "legal-cases/": [("get", None, cell(302, 200))],
    "legal-cases/new/": [
        ("get", None, only(302, 200, ["station_manager", "legal_officer"])),
        ("post", {}, only(302, 200, ["station_manager", "legal_officer"])),
    ],
    "legal-cases/<int:pk>/": [
        ("get", None, only(302, 200, ["station_manager", "legal_officer", "country_director"]))
    ],
    "legal-cases/<int:pk>/history/": [
        ("get", None, only(302, 200, ["station_manager", "legal_officer", "country_director"]))
    ],
    "legal-cases/<int:pk>/edit/": [
        ("get", None, only(302, 200, ["station_manager", "legal_officer"])),
        ("post", {}, only(302, 200, ["station_manager", "legal_officer"])),
    ],
    "legal-cases/<int:pk>/stage/": [("post", {}, only(302, 200, ["station_manager", "legal_officer"]))],
    "api/v1/legal-cases/": [
        ("get", None, cell(401, 200)),
        ("post", {}, cell(401, 403, station_manager=400, legal_officer=400)),
    ],
    "api/v1/legal-cases/<int:pk>/": [
        ("get", None, only(401, 200, ["station_manager", "legal_officer", "country_director"])),
        ("patch", {}, only(401, 400, ["station_manager", "legal_officer"], country_director=403)),
    ],
    "api/v1/legal-cases/<int:pk>/stage/": [
        ("post", {}, only(401, 400, ["station_manager", "legal_officer"], country_director=403))
    ],
    "api/v1/legal-cases/<int:pk>/timeline/": [
        ("get", None, only(401, 200, ["station_manager", "legal_officer", "country_director"]))
    ],
    # the prosecution funnel: numbers only, for those who see legal cases somewhere (docs/prosecution.md)
    "legal-cases/statistics/": [
        ("get", None, only(302, 200, ["station_manager", "legal_officer", "country_director"]))
    ],
    "legal-cases/statistics/<str:table>.csv": [
        ("get", None, only(302, 200, ["station_manager", "legal_officer", "country_director"]))
    ],
    "api/v1/statistics/prosecution/": [
        ("get", None, only(401, 200, ["station_manager", "legal_officer", "country_director"], default=403))
    ],
    # suspects, arrests, court cases, charges, verdicts, appeals (docs/prosecution.md): worked on by the
    # station's managers and legal officers (both may verify an arrest), read by directors masked; an empty
    # form re-renders with its errors (pages 200, API 400); the world's suspect has no arrest evidence (404)
    **{
        f"legal-cases/<int:pk>/{route}": [
            ("get", None, only(302, 200, ["station_manager", "legal_officer"])),
            ("post", {}, only(302, 200, ["station_manager", "legal_officer"])),
        ]
        for route in [
            "suspects/new/",
            "suspects/<int:suspect_pk>/arrest/",
            "suspects/<int:suspect_pk>/verify-arrest/",
            "court-cases/new/",
            "charges/new/",
            "charges/<int:charge_pk>/verdict/",
            "charges/<int:charge_pk>/appeals/new/",
        ]
    },
    "legal-cases/<int:pk>/suspects/<int:suspect_pk>/evidence/": [("get", None, cell(302, 404))],
    **{
        f"api/v1/legal-cases/<int:pk>/{route}": [
            ("get", None, only(401, 200, ["station_manager", "legal_officer", "country_director"])),
            (method, {}, only(401, 400, ["station_manager", "legal_officer"], country_director=403)),
        ]
        for route, method in [
            ("suspects/", "post"),
            ("suspects/<int:suspect_pk>/", "patch"),
            ("court-cases/", "post"),
            ("charges/", "post"),
            ("charges/<int:charge_pk>/", "patch"),
            ("charges/<int:charge_pk>/appeals/", "post"),
        ]
    },
    # JSON where multipart belongs: 415 for those who may verify
    "api/v1/legal-cases/<int:pk>/suspects/<int:suspect_pk>/verify-arrest/": [
        ("get", None, cell(401, 405)),
        ("post", {}, only(401, 415, ["station_manager", "legal_officer"], country_director=403)),
    ],
    "api/v1/charges/": [("get", None, cell(401, 200))],  # the statute catalogue: reference data
    # victims, hearings and comments of a legal case (docs/prosecution.md): worked on by the station's
    # managers and legal officers, read by directors masked; an empty form re-renders with its errors (pages
    # 200, API 400). The world's comment is the legal officer's: only its author or a legal officer (who
    # may delete at the station) deletes it; whichever of the page and the API deletes it first, the other
    # finds it deleted (page: a message and back, 302; API: 409 illegal_transition)
    **{
        f"legal-cases/<int:pk>/{route}": [
            ("get", None, only(302, 200, ["station_manager", "legal_officer"])),
            ("post", {}, only(302, 200, ["station_manager", "legal_officer"])),
        ]
        for route in [
            "victims/new/",
            "victims/<int:victim_pk>/edit/",
            "hearings/new/",
            "hearings/<int:hearing_pk>/edit/",
            "comments/new/",
        ]
    },
    "legal-cases/<int:pk>/comments/<int:comment_pk>/delete/": [
        ("get", None, only(302, 200, ["legal_officer"])),
        ("post", {}, only(302, 302, ["legal_officer"])),
    ],
    "legal-cases/hearings/": [("get", None, cell(302, 200))],
    **{
        f"api/v1/legal-cases/<int:pk>/{route}": [
            ("get", None, only(401, 200, ["station_manager", "legal_officer", "country_director"])),
            (method, {}, only(401, 400, ["station_manager", "legal_officer"], country_director=403)),
        ]
        for route, method in [
            ("victims/", "post"),
            ("victims/<int:victim_pk>/", "patch"),
            ("hearings/", "post"),
            ("hearings/<int:hearing_pk>/", "patch"),
            ("comments/", "post"),
        ]
    },
    "api/v1/legal-cases/<int:pk>/comments/<int:comment_pk>/": [
        ("get", None, only(401, 200, ["station_manager", "legal_officer", "country_director"])),
        (
            "delete",
            None,
            only(401, 403, ["station_manager", "country_director"], legal_officer={204, 409}),
        ),
    ],
    "api/v1/hearings/": [("get", None, cell(401, 200))],
    "api/schema/": [("get", None, cell(401, 200))],
}

ADMIN_KINDS = {
    # admin URL name suffix -> expected for anonymous and for every non-staff user (the admin login)
    "index",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "autocomplete",
    "jsi18n",
    "view_on_site",
    "app_list",
    "changelist",
    "add",
    "change",
    "delete",
    "history",
}


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


@pytest.fixture
def world(bhw, nepal):
    actors = {
        "no_role": member(Role.MONITOR, station=bhw, username="no_role"),
        "other_station": member(
            Role.MONITOR, station=StationFactory(code="BRG", country=nepal), username="other"
        ),
        "other_country": member(
            Role.MONITOR,
            station=StationFactory(code="DEL", country=CountryFactory(code="IN", name="India")),
            username="foreign",
        ),
    }
    actors["no_role"].memberships.all().delete()
    for role in ROLES:
        actors[role] = member(role, station=bhw, username=f"r_{role}")
    staff = actors["admin"]
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["accounts", "interception"], codename__endswith="redflag"
        )
    )
    interception = make_interception(
        actors["monitor"], bhw, people=[person(VICTIM, phone="+9779800000001"), person("Ram", role="suspect")]
    )
    attachment = services.attachment_add(
        actor=actors["monitor"], interception=interception, uploaded_file=SimpleUploadedFile("p.png", PNG)
    )
    from exports.services import export_request, export_run

    export = export_request(
        actor=actors["station_manager"], kind="interceptions", fmt="csv", deidentified=False, filters={}
    )
    export_run(job_id=export.pk)
    from alerts.models import Notification

    notification = Notification.objects.get(
        recipient=actors["station_manager"], subject_key=f"export:{export.pk}"
    )
    # A second record at the station with a spelling of the victim's name, and the suggestion pairing the
    # two identities (the people pages and API: docs/people.md).
    from people.models import MatchSuggestion

    again = make_interception(actors["monitor"], bhw, people=[person("Seeta Tamaang", phone="9800000001")])
    victim = interception.interceptees.get(person__full_name=VICTIM).person
    other = again.interceptees.get().person
    low, high = sorted([victim.identity_id, other.identity_id])
    suggestion, _ = MatchSuggestion.objects.get_or_create(
        identity_id=low, candidate_id=high, defaults={"score": 0.95}
    )
    # The case file the submission opened for the victim, assigned to the station's case manager, with one
    # of each sub-record (docs/cases.md).
    from datetime import date, timedelta

    from django.utils import timezone

    from cases import models as cm

    case = cm.VictimCase.objects.get(interception=interception)
    cm.VictimCase.objects.filter(pk=case.pk).update(assigned_to=actors["case_manager"], status="active")
    case.refresh_from_db()
    consent = cm.Consent.objects.create(
        case=case,
        scope="information_sharing",
        decision="given",
        decided_on=date.today(),
        method="written",
        signed_form=SimpleUploadedFile("consent.png", PNG),
        signed_form_name="consent.png",
        signed_form_type="image/png",
        recorded_by=actors["case_manager"],
    )
    interview = cm.Interview.objects.create(
        case=case,
        conducted_on=date.today(),
        conducted_by=actors["case_manager"],
        narrative="She was promised work in a hotel.",
        created_by=actors["case_manager"],
    )
    service = cm.Service.objects.create(
        case=case,
        kind="shelter",
        provider="Safe house",
        started_on=date.today(),
        created_by=actors["case_manager"],
    )
    follow_up = cm.FollowUp.objects.create(
        case=case, due_on=date.today() + timedelta(days=7), method="phone", created_by=actors["case_manager"]
    )
    referral = cm.Referral.objects.create(
        case=case,
        to_station=actors["other_station"].memberships.get().station,
        note="Shelter near her home",
        expires_at=timezone.now() + timedelta(days=30),
        created_by=actors["case_manager"],
    )
    # A legal case from the interception: its suspect Ram (an appearance on the legal case), a court case, a
    # trafficking charge, a hearing, the victim's case file, a comment, and Ram's trafficker profile
    # (docs/prosecution.md).
    from accounts.models import Country
    from people.models import Person
    from prosecution import models as pm

    legal_officer = actors["legal_officer"]
    legal_case = pm.LegalCase.objects.create(
        number="BHW-L-2026-00001",
        station=bhw,
        stage="complaint_filed",
        complaint_number="FIR 12/2083",
        complaint_filed_on=date.today(),
        police_station="Bhairahawa police",
        opened_on=date.today(),
        created_by=legal_officer,
    )
    legal_case.interceptions.add(interception)
    ram = interception.interceptees.get(person__full_name="Ram").person
    ram_here = Person.objects.create(
        identity=ram.identity,
        source="legal_case",
        record_id=legal_case.pk,
        station=bhw,
        full_name="Ram",
        created_by=legal_officer,
    )
    suspect = pm.Suspect.objects.create(
        legal_case=legal_case, person=ram_here, picked_from=ram, created_by=legal_officer
    )
    nepal_country = Country.objects.get(code="NP")
    statute, _ = pm.Statute.objects.get_or_create(
        country=nepal_country,
        code="HTTCA-15-1-A",
        defaults={"title": "Buying or selling a person", "act": "HTTCA 2007", "is_trafficking": True},
    )
    court, _ = pm.Court.objects.get_or_create(country=nepal_country, name="Rupandehi District Court")
    court_case = pm.CourtCase.objects.create(
        legal_case=legal_case, court=court, number="083-CR-0001", created_by=legal_officer
    )
    charge = pm.Charge.objects.create(
        legal_case=legal_case,
        suspect=suspect,
        court_case=court_case,
        statute=statute,
        created_by=legal_officer,
    )
    hearing = pm.Hearing.objects.create(
        legal_case=legal_case,
        court_case=court_case,
        held_on=date.today() + timedelta(days=3),
        purpose="First hearing",
        created_by=legal_officer,
    )
    legal_victim = pm.LegalCaseVictim.objects.create(
        legal_case=legal_case, victim_case=case, created_by=legal_officer
    )
    comment = pm.Comment.objects.create(
        legal_case=legal_case, text="Ram's lawyer asked for time.", author=legal_officer
    )
    pm.TraffickerProfile.objects.create(identity=ram.identity, station=bhw, created_by=legal_officer)
    return {
        "actors": actors,
        "interception": interception,
        "case": case,
        "legal_case": legal_case,
        "suspect": suspect,
        "suspect_identity": ram.identity,
        "court_case": court_case,
        "charge": charge,
        "hearing": hearing,
        "legal_victim": legal_victim,
        "comment": comment,
        "consent": consent,
        "interview": interview,
        "service": service,
        "follow_up": follow_up,
        "referral": referral,
        "identity": victim.identity,
        "appearance": victim,
        "suggestion": suggestion,
        "attachment": attachment,
        "export": export,
        "notification": notification,
    }


NAMESPACES = {
    "api/v1/": "api:",
    "interceptions/": "interception:",
    "audit/": "audit:",
    "notifications/": "alerts:",
    "exports/": "exports:",
    "people/": "people:",
    "cases/": "cases:",
    "legal-cases/": "prosecution:",
}

# sub-record URL arguments of case files -> the world's object
CASE_KWARGS = {
    "consent_pk": "consent",
    "interview_pk": "interview",
    "service_pk": "service",
    "follow_up_pk": "follow_up",
    "referral_pk": "referral",
    "suspect_pk": "suspect",
    "charge_pk": "charge",
    "victim_pk": "legal_victim",
    "hearing_pk": "hearing",
    "comment_pk": "comment",
    "identity_pk": "suspect_identity",
}


def url_for(route, name, world, fresh_attachment):
    i = world["interception"]
    kwargs = {}
    if "<int:pk>" in route or "(?P<pk>" in route:  # not `identity_pk` alone (the trafficker profiles)
        kwargs["pk"] = (
            world["export"].pk
            if "exports/" in route
            else world["notification"].pk
            if "notifications/" in route
            else world["suggestion"].pk
            if route.startswith(("people/matches/", "api/v1/matches/"))
            else world["identity"].pk
            if route.startswith(("people/", "api/v1/people/"))
            else world["case"].pk
            if route.startswith(("cases/", "api/v1/cases/"))
            else world["legal_case"].pk
            if route.startswith(("legal-cases/", "api/v1/legal-cases/"))
            else i.pk
        )
    if "<str:table>" in route:
        kwargs["table"] = "funnel"
    for argument, key in CASE_KWARGS.items():
        if f"<int:{argument}>" in route:
            kwargs[argument] = world[key].pk
    if "attachment_pk" in route:
        a = fresh_attachment() if name in ("attachment-delete",) else world["attachment"]
        kwargs["attachment_pk"] = a.pk
    namespace = next((ns for prefix, ns in NAMESPACES.items() if route.startswith(prefix)), "")
    return reverse(namespace + name, kwargs=kwargs)


def named_in_new_event(user, interception, after_id: int) -> bool:
    """Whether `user` wrote an access-log event after event `after_id` naming `interception`: as its
    object, or among the ids of a list or bulk event (`details["ids"]`)."""
    events = AccessEvent.objects.filter(id__gt=after_id, actor=user)
    return (
        events.filter(object_type="interception", object_id=str(interception.pk)).exists()
        or events.filter(object_type="interception", details__ids__contains=[interception.pk]).exists()
        # a read of people names the records whose appearances it showed (docs/people.md)
        or events.filter(details__interceptions__contains=[interception.pk]).exists()
    )


def test_every_url_pattern_has_an_expected_status_for_every_actor(world):
    actors, i = world["actors"], world["interception"]
    routes = [(r, p) for r, p in walk(get_resolver().url_patterns) if not r.startswith("admin/")]
    missing = [r for r, _ in routes if r not in TABLE]
    assert not missing, f"URL patterns missing from the access table: {missing}"
    assert set(TABLE) <= {r for r, _ in routes}, "the table names routes that no longer exist"

    def fresh_attachment():
        return services.attachment_add(
            actor=actors["monitor"], interception=i, uploaded_file=SimpleUploadedFile("q.png", PNG)
        )

    failures, shown = [], set()
    for route, pattern in routes:
        for method, data, expected in TABLE[route]:
            for actor in ACTORS:
                is_api = route.startswith("api/")
                client = APIClient() if is_api else Client()
                if actor != "anon":
                    login(client, actors[actor])
                if (
                    route == "api/v1/interceptions/<int:pk>/attachments/<int:attachment_pk>/"
                    and method == "delete"
                ):
                    url = reverse(
                        "api:interception-attachment",
                        kwargs={"pk": i.pk, "attachment_pk": fresh_attachment().pk},
                    )
                else:
                    url = url_for(route, pattern.name, world, fresh_attachment)
                kwargs = {"format": "json"} if is_api and data is not None else {}
                last_event = AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
                response = (
                    getattr(client, method)(url, data, **kwargs)
                    if data is not None
                    else getattr(client, method)(url)
                )
                want = expected[actor]
                ok = response.status_code in want if isinstance(want, set) else response.status_code == want
                if not ok:
                    failures.append(
                        f"{method.upper()} {route} as {actor}: {response.status_code}, expected {want}"
                    )
                    continue
                body = b"".join(response.streaming_content) if response.streaming else response.content
                text = body.decode(errors="ignore")
                if response.status_code == 200 and VICTIM in text:
                    shown.add(route)
                    if not named_in_new_event(actors[actor], i, last_event):
                        failures.append(
                            f"{method.upper()} {route} as {actor}: shows the victim's name, and wrote no "
                            "view event naming the record"
                        )
                if actor not in SENSITIVE and (VICTIM in text or "+9779800000001" in text):
                    failures.append(f"{method.upper()} {route} as {actor}: LEAKS a victim's name or phone")
                if (
                    actor not in VIEWERS
                    and i.number in text
                    and not route.startswith(("audit/", "api/v1/audit/"))
                ):
                    failures.append(f"{method.upper()} {route} as {actor}: LEAKS the interception number")
    assert not failures, "\n".join(failures)
    # the check above is not vacuous: these responses show the name (and so must name the record); the API
    # list gives a summary of each record (no names: tests/test_api_cursor.py)
    assert {
        "interceptions/<int:pk>/",
        "interceptions/<int:pk>/edit/",
        "api/v1/^interceptions/(?P<pk>[^/.]+)/$",
    } <= shown, shown
    assert "api/v1/^interceptions/$" not in shown


def test_admin_is_closed_to_everyone_but_staff_and_holds_no_case_content(world, client):
    registered = {m._meta.label_lower for m in admin.site._registry}
    for label in [
        "interception.interception",
        "people.person",
        "interception.interceptee",
        "interception.attachment",
        "interception.historicalinterception",
        "people.historicalperson",
    ]:
        assert label not in registered, f"{label} must not be in the Django admin"

    admin_routes = [(r, p) for r, p in walk(get_resolver().url_patterns) if r.startswith("admin/")]
    unknown = [
        (r, p.name)
        for r, p in admin_routes
        if p.name is not None and not any(p.name == k or p.name.endswith("_" + k) for k in ADMIN_KINDS)
    ]
    assert not unknown, f"admin URL patterns of an unknown kind: {unknown}"

    urls = [reverse("admin:index"), reverse("admin:password_change"), reverse("admin:jsi18n")]
    for model in admin.site._registry:
        meta = model._meta
        urls += [
            reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
            reverse(f"admin:{meta.app_label}_{meta.model_name}_add"),
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[1]),
            reverse(f"admin:{meta.app_label}_{meta.model_name}_history", args=[1]),
            reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[1]),
        ]
        urls.append(reverse("admin:app_list", args=[meta.app_label]))
    actors = world["actors"]
    for actor in ["anon", *OUTSIDERS, *[r for r in ROLES if r != "admin"]]:
        c = Client()
        if actor != "anon":
            login(c, actors[actor])
        for url in urls:
            response = c.get(url)
            assert response.status_code == 302 and "/admin/login/" in response["Location"], (actor, url)
    c = login(Client(), actors["admin"])
    assert c.get(reverse("admin:index")).status_code == 200
    assert c.get(reverse("admin:interception_redflag_changelist")).status_code == 200
    assert c.get(reverse("admin:audit_accessevent_changelist")).status_code == 403
