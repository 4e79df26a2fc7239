from django.contrib import admin
from django.contrib.admin.views.main import ChangeList

from . import selectors
from .models import AccessEvent


class LoggedChangeList(ChangeList):
    """The admin's list of events; the page it shows is logged as one read naming the events' ids."""

    def get_results(self, request):
        super().get_results(request)
        filters = {k: v for k, v in request.GET.items() if k != "p"}
        self.result_list = selectors.log_read(
            user=request.user,
            events=list(self.result_list),
            action="audit.admin.list",
            details={"filters": filters, "count": self.result_count, "page": self.page_num},
        )


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    """Read-only: the database refuses changes anyway (audit/migrations/0003_append_only.py).

    Reading the log here is logged like on the auditor's pages: the list page (`audit.admin.list`) and an
    event's page or its history (`audit.admin.view`) each write one event naming the events shown."""

    list_display = ["at", "actor_username", "action", "object_type", "object_id", "station", "ip"]
    list_filter = ["action", "object_type"]
    list_select_related = ["station"]
    readonly_fields = ["prev_hash", "hash"]
    search_fields = ["actor_username", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changelist(self, request, **kwargs):
        return LoggedChangeList

    def _log_shown(self, request, response, key: str, page: str):
        event = (getattr(response, "context_data", None) or {}).get(key)
        if response.status_code == 200 and isinstance(event, AccessEvent):
            selectors.log_read(
                user=request.user, events=[event], action="audit.admin.view", details={"page": page}
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        return self._log_shown(request, response, "original", "change")

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        return self._log_shown(request, response, "object", "history")
