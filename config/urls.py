from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from .health import healthz

admin.site.site_header = "Interception case management – administration"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="interception:list", permanent=False), name="home"),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links: send them to the vendored SVG.
    path("favicon.ico", lambda request: redirect(static("favicon.svg")), name="favicon"),
    path("accounts/", include("accounts.urls")),
    path("interceptions/", include("interception.urls")),
    path("people/", include("people.urls")),
    path("cases/", include("cases.urls")),
    path("legal-cases/", include("prosecution.urls")),
    path("audit/", include("audit.urls")),
    path("notifications/", include("alerts.urls")),
    path("exports/", include("exports.urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("admin/", admin.site.urls),
]
