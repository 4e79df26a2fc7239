"""Pages of the people registry (docs/people.md)."""

from django.urls import path

from people.views import matches as match_views
from people.views import network as network_views
from people.views import search as search_views

app_name = "people"

urlpatterns: list = [
    path("", search_views.person_search, name="search"),
    path("<int:pk>/", search_views.identity_detail, name="identity"),
    path("<int:pk>/network/", network_views.person_network, name="network"),
    path("<int:pk>/links/", network_views.person_link_create, name="link-create"),
    path("matches/", match_views.match_list, name="matches"),
    path("matches/<int:pk>/", match_views.match_detail, name="match"),
    path("matches/<int:pk>/confirm/", match_views.match_confirm, name="match-confirm"),
    path("matches/<int:pk>/reject/", match_views.match_reject, name="match-reject"),
    path("<int:pk>/unmerge/", match_views.unmerge, name="unmerge"),
    path("suggest/", match_views.suggest, name="suggest"),
]
