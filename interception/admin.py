from django.contrib import admin

from .models import RedFlag


@admin.register(RedFlag)
class RedFlagAdmin(admin.ModelAdmin):
    """The catalogue is edited here, per country, without code changes."""

    list_display = ["code", "group", "text", "points", "country", "active"]
    list_editable = ["points", "active"]
    list_filter = ["group", "country", "active"]
    search_fields = ["code", "text"]
    ordering = ["group", "sort_order", "code"]


# Interceptions themselves are not in the Django admin: they hold victims' data, and admins do
# not by that alone read case content. They are read through the scoped pages and API.
