from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts, stations and roles"

    def ready(self):
        from . import signals  # noqa: F401
