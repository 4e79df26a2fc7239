"""Pages of prosecution: legal cases, hearings, trafficker profiles, the funnel (docs/prosecution.md)."""

from django.urls import path

from prosecution.views import cases, charges, hearings, profiles, statistics, suspects, victims

app_name = "prosecution"

urlpatterns: list = [
    path("", cases.legal_case_list, name="list"),
    path("new/", cases.legal_case_new, name="new"),
    path("hearings/", hearings.upcoming_hearings, name="hearings"),
    path("statistics/", statistics.funnel_page, name="statistics"),
    path("statistics/<str:table>.csv", statistics.funnel_csv, name="statistics-csv"),
    path("profiles/<int:identity_pk>/", profiles.profile_detail, name="profile"),
    path("profiles/<int:identity_pk>/edit/", profiles.profile_edit, name="profile-edit"),
    path("profiles/<int:identity_pk>/prior-records/new/", profiles.prior_record_new, name="prior-record-new"),
    path("<int:pk>/", cases.legal_case_detail, name="detail"),
    path("<int:pk>/history/", cases.legal_case_history, name="history"),
    path("<int:pk>/edit/", cases.legal_case_edit, name="edit"),
    path("<int:pk>/stage/", cases.legal_case_stage, name="stage"),
    path("<int:pk>/suspects/new/", suspects.suspect_new, name="suspect-new"),
    path("<int:pk>/suspects/<int:suspect_pk>/arrest/", suspects.suspect_arrest, name="suspect-arrest"),
    path("<int:pk>/suspects/<int:suspect_pk>/verify-arrest/", suspects.verify_arrest, name="verify-arrest"),
    path("<int:pk>/suspects/<int:suspect_pk>/evidence/", suspects.arrest_evidence, name="arrest-evidence"),
    path("<int:pk>/court-cases/new/", charges.court_case_new, name="court-case-new"),
    path("<int:pk>/charges/new/", charges.charge_new, name="charge-new"),
    path("<int:pk>/charges/<int:charge_pk>/verdict/", charges.charge_verdict, name="charge-verdict"),
    path("<int:pk>/charges/<int:charge_pk>/appeals/new/", charges.appeal_new, name="appeal-new"),
    path("<int:pk>/victims/new/", victims.victim_new, name="victim-new"),
    path("<int:pk>/victims/<int:victim_pk>/edit/", victims.victim_edit, name="victim-edit"),
    path("<int:pk>/hearings/new/", hearings.hearing_new, name="hearing-new"),
    path("<int:pk>/hearings/<int:hearing_pk>/edit/", hearings.hearing_edit, name="hearing-edit"),
    path("<int:pk>/comments/new/", hearings.comment_new, name="comment-new"),
    path("<int:pk>/comments/<int:comment_pk>/delete/", hearings.comment_delete, name="comment-delete"),
]
