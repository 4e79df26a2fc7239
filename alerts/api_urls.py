"""Included by config/api_urls.py under /api/v1/ (route names live in the "api" namespace)."""

from django.urls import path

from .api import NotificationList, NotificationRead

urlpatterns = [
    path("notifications/", NotificationList.as_view(), name="notification-list"),
    path("notifications/<int:pk>/read/", NotificationRead.as_view(), name="notification-read"),
]
