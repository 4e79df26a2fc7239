from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("mfa/enrol/", views.mfa_enrol, name="mfa-enrol"),
    path("mfa/verify/", views.mfa_verify, name="mfa-verify"),
    path("mfa/", views.mfa_manage, name="mfa-manage"),
    path("language/", views.language, name="language"),
    path("keep-alive/", views.keep_alive, name="keep-alive"),
]
