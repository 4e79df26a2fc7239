from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("events/", views.event_list, name="events"),
]
