from django.urls import path

from . import route_views, views

app_name = "interception"

urlpatterns = [
    path("", views.interception_list, name="list"),
    path("new/", views.interception_create, name="create"),
    path("new/autosave/", views.interception_autosave, name="autosave-new"),
    path("drafts/", views.my_drafts, name="drafts"),
    path("routes/", route_views.route_list, name="routes"),
    path("<int:pk>/", views.interception_detail, name="detail"),
    path("<int:pk>/edit/", views.interception_edit, name="edit"),
    path("<int:pk>/autosave/", views.interception_autosave, name="autosave"),
    path("<int:pk>/share/", views.interception_share, name="share"),
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment-upload"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/delete/", views.attachment_delete, name="attachment-delete"
    ),
]
