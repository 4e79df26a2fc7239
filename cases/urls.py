"""Pages of victim case files (docs/cases.md)."""

from django.urls import path

from cases.views import assignment, care, consent, detail, interviews, lists, referrals, workflow

app_name = "cases"

urlpatterns: list = [
    path("", lists.case_list, name="list"),
    path("new/", lists.case_new, name="new"),
    path("<int:pk>/", detail.case_detail, name="detail"),
    path("<int:pk>/history/", detail.case_history, name="history"),
    path("<int:pk>/assign/", assignment.case_assign, name="assign"),
    path("<int:pk>/risk/", workflow.case_risk, name="risk"),
    path("<int:pk>/request-closure/", workflow.request_closure, name="request-closure"),
    path("<int:pk>/approve-closure/", workflow.approve_closure, name="approve-closure"),
    path("<int:pk>/refuse-closure/", workflow.refuse_closure, name="refuse-closure"),
    path("<int:pk>/reopen/", workflow.reopen, name="reopen"),
    path("<int:pk>/consents/new/", consent.consent_new, name="consent-new"),
    path("<int:pk>/consents/<int:consent_pk>/form/", consent.consent_form, name="consent-form"),
    path("<int:pk>/overrides/new/", consent.override_new, name="override-new"),
    path("<int:pk>/interviews/new/", interviews.interview_new, name="interview-new"),
    path("<int:pk>/interviews/<int:interview_pk>/", interviews.interview_detail, name="interview"),
    path("<int:pk>/interviews/<int:interview_pk>/edit/", interviews.interview_edit, name="interview-edit"),
    path("<int:pk>/services/new/", care.service_new, name="service-new"),
    path("<int:pk>/services/<int:service_pk>/edit/", care.service_edit, name="service-edit"),
    path("<int:pk>/follow-ups/new/", care.follow_up_new, name="follow-up-new"),
    path("<int:pk>/follow-ups/<int:follow_up_pk>/done/", care.follow_up_done, name="follow-up-done"),
    path("<int:pk>/referrals/new/", referrals.referral_new, name="referral-new"),
    path("<int:pk>/referrals/<int:referral_pk>/revoke/", referrals.referral_revoke, name="referral-revoke"),
]
