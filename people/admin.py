# Persons are deliberately not in the Django admin: administrators manage users, stations and the
# red-flag catalogue, and do not by that alone read case content (docs/permissions.md).

from django.contrib import admin

from people.models import Place


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    """Reference places (loaded from the `nepali` package by a migration): read-only here."""

    list_display = ("code", "name", "name_ne", "kind", "parent", "country")
    list_filter = ("country", "kind")
    search_fields = ("code", "name", "name_ne")
    list_select_related = ("parent__parent",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
