from django.apps import AppConfig


class InterceptionConfig(AppConfig):
    name = "interception"
    verbose_name = "Interceptions"

    def ready(self):
        from accounts.access import register_grants

        from .selectors import GRANTS

        register_grants("interception", GRANTS)

        # The people pages name an interceptee's record by its number, link and role (docs/people.md).
        from people.selectors import RECORD_LABELS

        from .people_records import record_labels

        RECORD_LABELS["interception"] = record_labels

        from people.network import register_link_source

        from .people_links import interception_links

        register_link_source(interception_links)
