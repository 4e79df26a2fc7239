"""REST endpoints of the people registry, under /api/v1/ (docs/api.md, docs/people.md)."""

from django.urls import path

from people.api_views import matches as match_api
from people.api_views import network as network_api
from people.api_views import search as search_api

urlpatterns: list = [
    path("people/", search_api.PersonSearchView.as_view(), name="people"),
    path("people/<int:pk>/", search_api.IdentityView.as_view(), name="person"),
    path("people/<int:pk>/network/", network_api.PersonNetworkView.as_view(), name="person-network"),
    path("people/<int:pk>/links/", network_api.PersonLinksView.as_view(), name="person-links"),
    path("people/<int:pk>/matches/", match_api.PersonMatchesView.as_view(), name="person-matches"),
    path("people/<int:pk>/merge/", match_api.PersonMergeView.as_view(), name="person-merge"),
    path("people/<int:pk>/unmerge/", match_api.PersonUnmergeView.as_view(), name="person-unmerge"),
    path("matches/", match_api.MatchQueueView.as_view(), name="matches"),
    path("matches/<int:pk>/reject/", match_api.MatchRejectView.as_view(), name="match-reject"),
]
