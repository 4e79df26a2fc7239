"""The statute catalogue and the courts, edited here per country without code changes (docs/prosecution.md
"Court cases, charges, verdicts, sentences, appeals"). Entries are retired (`active` off), never deleted:
charges keep pointing at them. Every save goes through `services.charges.catalogue_save` (history and the
access log). Legal cases, suspects, charges, hearings and profiles hold personal data and are deliberately
not in the admin."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Court, Statute
from .services.charges import catalogue_save


class _CatalogueAdmin(SimpleHistoryAdmin):
    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        catalogue_save(actor=request.user, entry=obj, fields=list(form.changed_data) if change else None)


@admin.register(Statute)
class StatuteAdmin(_CatalogueAdmin):
    list_display = ["code", "title", "act", "section", "is_trafficking", "country", "active", "position"]
    list_editable = ["is_trafficking", "active"]
    list_filter = ["country", "is_trafficking", "active"]
    search_fields = ["code", "title", "act"]
    ordering = ["country", "position", "code"]


@admin.register(Court)
class CourtAdmin(_CatalogueAdmin):
    list_display = ["name", "country", "active"]
    list_editable = ["active"]
    list_filter = ["country", "active"]
    search_fields = ["name"]
