"""Included by config/api_urls.py under /api/v1/ (route names live in the "api" namespace)."""

from django.urls import path

from .api import ExportDetail, ExportDownload, ExportListCreate

urlpatterns = [
    path("exports/", ExportListCreate.as_view(), name="export-list"),
    path("exports/<int:pk>/", ExportDetail.as_view(), name="export-detail"),
    path("exports/<int:pk>/download/", ExportDownload.as_view(), name="export-download"),
]
