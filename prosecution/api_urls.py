"""REST endpoints of prosecution, under /api/v1/ (docs/api.md "Prosecution", docs/prosecution.md)."""

from django.urls import path

from prosecution.api import cases, charges, hearings, profiles, statistics, suspects, victims

urlpatterns: list = [
    path("legal-cases/", cases.LegalCaseListView.as_view(), name="legal-cases"),
    path("legal-cases/<int:pk>/", cases.LegalCaseDetailView.as_view(), name="legal-case"),
    path("legal-cases/<int:pk>/stage/", cases.LegalCaseStageView.as_view(), name="legal-case-stage"),
    path("legal-cases/<int:pk>/timeline/", cases.LegalCaseTimelineView.as_view(), name="legal-case-timeline"),
    path("legal-cases/<int:pk>/suspects/", suspects.SuspectListView.as_view(), name="legal-case-suspects"),
    path(
        "legal-cases/<int:pk>/suspects/<int:suspect_pk>/",
        suspects.SuspectDetailView.as_view(),
        name="legal-case-suspect",
    ),
    path(
        "legal-cases/<int:pk>/suspects/<int:suspect_pk>/verify-arrest/",
        suspects.VerifyArrestView.as_view(),
        name="legal-case-verify-arrest",
    ),
    path(
        "legal-cases/<int:pk>/court-cases/",
        charges.CourtCaseListView.as_view(),
        name="legal-case-court-cases",
    ),
    path("charges/", charges.StatuteListView.as_view(), name="statutes"),
    path("legal-cases/<int:pk>/charges/", charges.ChargeListView.as_view(), name="legal-case-charges"),
    path(
        "legal-cases/<int:pk>/charges/<int:charge_pk>/",
        charges.ChargeDetailView.as_view(),
        name="legal-case-charge",
    ),
    path(
        "legal-cases/<int:pk>/charges/<int:charge_pk>/appeals/",
        charges.AppealListView.as_view(),
        name="legal-case-appeals",
    ),
    path("legal-cases/<int:pk>/victims/", victims.VictimListView.as_view(), name="legal-case-victims"),
    path(
        "legal-cases/<int:pk>/victims/<int:victim_pk>/",
        victims.VictimDetailView.as_view(),
        name="legal-case-victim",
    ),
    path("legal-cases/<int:pk>/hearings/", hearings.HearingListView.as_view(), name="legal-case-hearings"),
    path(
        "legal-cases/<int:pk>/hearings/<int:hearing_pk>/",
        hearings.HearingDetailView.as_view(),
        name="legal-case-hearing",
    ),
    path("legal-cases/<int:pk>/comments/", hearings.CommentListView.as_view(), name="legal-case-comments"),
    path(
        "legal-cases/<int:pk>/comments/<int:comment_pk>/",
        hearings.CommentDetailView.as_view(),
        name="legal-case-comment",
    ),
    path("hearings/", hearings.UpcomingHearingsView.as_view(), name="hearings"),
    path("trafficker-profiles/<int:identity_pk>/", profiles.ProfileView.as_view(), name="trafficker-profile"),
    path(
        "trafficker-profiles/<int:identity_pk>/prior-records/",
        profiles.PriorRecordListView.as_view(),
        name="trafficker-prior-records",
    ),
    path(
        "statistics/prosecution/",
        statistics.ProsecutionStatisticsView.as_view(),
        name="statistics-prosecution",
    ),
]
