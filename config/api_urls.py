from django.urls import include, path
from rest_framework.routers import SimpleRouter

from interception.api import (
    AttachmentDownloadView,
    InterceptionSharesView,
    InterceptionViewSet,
    RedFlagViewSet,
)
from interception.route_api import RoutesView
from people.api_views.places import PlaceSuggestionsView

app_name = "api"

router = SimpleRouter()
router.register("interceptions", InterceptionViewSet, basename="interception")
router.register("red-flags", RedFlagViewSet, basename="red-flag")

urlpatterns = [
    *router.urls,
    path(
        "interceptions/<int:pk>/attachments/<int:attachment_pk>/",
        AttachmentDownloadView.as_view(),
        name="interception-attachment",
    ),
    path("interceptions/<int:pk>/shares/", InterceptionSharesView.as_view(), name="interception-shares"),
    path("places/", PlaceSuggestionsView.as_view(), name="places"),
    path("routes/", RoutesView.as_view(), name="routes"),
    path("", include("people.api_urls")),
    path("", include("cases.api_urls")),
    path("", include("prosecution.api_urls")),
    path("", include("audit.api_urls")),
    path("", include("alerts.api_urls")),
    path("", include("exports.api_urls")),
]
