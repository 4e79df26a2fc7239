from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People"

    def ready(self):
        # The Celery tasks this app defines, registered in every process (the outbox runs them by name).
        from . import tasks  # noqa: F401
