from django.apps import AppConfig


class InterceptionConfig(AppConfig):
    name = "interception"
    verbose_name = "Interceptions"
