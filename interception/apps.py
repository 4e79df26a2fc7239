from django.apps import AppConfig


class InterceptionConfig(AppConfig):
    name = "interception"
    verbose_name = "Interceptions"

    def ready(self):
        from accounts.access import register_grants

        from .selectors import GRANTS

        register_grants("interception", GRANTS)
