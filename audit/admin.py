from django.contrib import admin

from .models import AccessEvent


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    """Read-only: the database refuses changes anyway (audit/migrations/0003_append_only.py)."""

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
