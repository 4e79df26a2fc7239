from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Case files"

    def ready(self):
        from accounts.access import register_grants
        from core import events

        from . import services, tasks  # noqa: F401 (the Celery tasks, registered in every process)
        from .selectors import GRANTS

        register_grants("case", GRANTS)
        # A referral to a station changes who sees the case: the request's memo of access is dropped.
        from accounts import access_cache

        from .models import Referral

        access_cache.watch(Referral)

        # A submitted interception opens one case per potential victim, in the same transaction; an edit
        # of a submitted interception that adds a potential victim opens hers (docs/cases.md).
        events.subscribe("interception.submitted", services.cases_open_for_interception)
        events.subscribe("interception.changed", services.cases_open_for_interception)

        # The people pages name a case file's appearance by its number and link (docs/people.md).
        from people.selectors import RECORD_LABELS

        from .people_records import record_labels

        RECORD_LABELS["case"] = record_labels

        # The network of people links a recruiter named in a victim interview to the case's person.
        from people.network import register_link_source

        from .people_links import case_links

        register_link_source(case_links)

        # The interception's page names the case files it opened (interception/related.py).
        from interception.related import register

        from .interception_links import cases_of_interception

        register(cases_of_interception)
