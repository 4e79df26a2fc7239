"""Included by config/api_urls.py under /api/v1/ (route names live in the "api" namespace)."""

from django.urls import path  # noqa: F401

urlpatterns = []
