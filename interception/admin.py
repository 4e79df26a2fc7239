from django.contrib import admin

from . import services
from .models import RedFlag


@admin.register(RedFlag)
class RedFlagAdmin(admin.ModelAdmin):
    """The catalogue is edited here, per country, without code changes. Every change (in the form or in the
    list) goes through `services.red_flag_update`, which logs old and new points and the active flag.
    Flags are deactivated, never deleted: old interceptions keep pointing at them."""

    list_display = ["code", "group", "text", "points", "country", "active"]
    list_editable = ["points", "active"]
    list_filter = ["group", "country", "active"]
    search_fields = ["code", "text"]
    ordering = ["group", "sort_order", "code"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        fields = [f for f in services.RED_FLAG_FIELDS if f in form.cleaned_data]
        data = {f: form.cleaned_data[f] for f in fields if not change or f in form.changed_data}
        services.red_flag_update(actor=request.user, flag=obj, data=data)


# Interceptions, interceptees, attachments, persons and their change history are deliberately not in the
# Django admin: they hold victims' data, and admins do not by that alone read case content. They are read
# through the scoped pages and API, where every read is logged (docs/access.md, "What an admin can and
# cannot do"); tests/test_admin_powers.py walks every admin page to keep it so.
