"""The access log's API routes, included by config/api_urls.py under /api/v1/ (no namespace of its own,
so the route is `api:audit-events`)."""

from django.urls import path

from .api import AuditEventList

urlpatterns = [
    path("audit/events/", AuditEventList.as_view(), name="audit-events"),
]
