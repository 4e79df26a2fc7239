from django.apps import AppConfig


class ProsecutionConfig(AppConfig):
    name = "prosecution"
    verbose_name = "Prosecution"

    def ready(self):
        from accounts.access import register_grants

        from . import tasks  # noqa: F401 (the Celery tasks, registered in every process)
        from .selectors import GRANTS

        register_grants("legal_case", GRANTS)

        # The people pages name a defendant's legal case by its number and link (docs/people.md).
        from people.selectors import RECORD_KEYS, RECORD_LABELS

        from .people_records import record_labels

        RECORD_LABELS["legal_case"] = record_labels
        RECORD_KEYS["legal_case"] = "legal_cases"

        # A suspect convicted in an earlier legal case: the re-offending alert (docs/prosecution.md).
        from core import events

        from .recidivism import on_suspect_added

        events.subscribe("legal_case.suspect_added", on_suspect_added)

        # The network of people links each defendant of a legal case to each of its victims.
        from people.network import register_link_source

        from .people_links import legal_case_links

        register_link_source(legal_case_links)

        # A victim's case file shows the legal status of her legal cases (read-only, no names).
        from cases.related import register as register_legal_summary

        from .legal_summary import legal_summaries

        register_legal_summary(legal_summaries)
