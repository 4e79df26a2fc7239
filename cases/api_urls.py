"""REST endpoints of victim case files, under /api/v1/ (docs/api.md, docs/cases.md)."""

from django.urls import path

from cases.api import assignment, care, cases, consent, detail, interviews, referrals, workflow

urlpatterns: list = [
    path("cases/", cases.CaseListView.as_view(), name="cases"),
    path("cases/<int:pk>/", detail.CaseDetailView.as_view(), name="case"),
    path("cases/<int:pk>/timeline/", detail.CaseTimelineView.as_view(), name="case-timeline"),
    path("cases/<int:pk>/assign/", assignment.CaseAssignView.as_view(), name="case-assign"),
    path(
        "cases/<int:pk>/request-closure/", workflow.RequestClosureView.as_view(), name="case-request-closure"
    ),
    path(
        "cases/<int:pk>/approve-closure/", workflow.ApproveClosureView.as_view(), name="case-approve-closure"
    ),
    path("cases/<int:pk>/refuse-closure/", workflow.RefuseClosureView.as_view(), name="case-refuse-closure"),
    path("cases/<int:pk>/reopen/", workflow.ReopenView.as_view(), name="case-reopen"),
    path("cases/<int:pk>/consents/", consent.ConsentListView.as_view(), name="case-consents"),
    path("cases/<int:pk>/overrides/", consent.OverrideView.as_view(), name="case-overrides"),
    path("cases/<int:pk>/interviews/", interviews.InterviewListView.as_view(), name="case-interviews"),
    path(
        "cases/<int:pk>/interviews/<int:interview_pk>/",
        interviews.InterviewDetailView.as_view(),
        name="case-interview",
    ),
    path("cases/<int:pk>/services/", care.ServiceListView.as_view(), name="case-services"),
    path("cases/<int:pk>/services/<int:service_pk>/", care.ServiceDetailView.as_view(), name="case-service"),
    path("cases/<int:pk>/follow-ups/", care.FollowUpListView.as_view(), name="case-follow-ups"),
    path(
        "cases/<int:pk>/follow-ups/<int:follow_up_pk>/",
        care.FollowUpDetailView.as_view(),
        name="case-follow-up",
    ),
    path("cases/<int:pk>/referrals/", referrals.ReferralListView.as_view(), name="case-referrals"),
    path(
        "cases/<int:pk>/referrals/<int:referral_pk>/revoke/",
        referrals.ReferralRevokeView.as_view(),
        name="case-referral-revoke",
    ),
]
