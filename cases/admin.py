from django.contrib import admin

from .models import HomeAlarm
from .services.interviews import HOME_ALARM_FIELDS, home_alarm_update


@admin.register(HomeAlarm)
class HomeAlarmAdmin(admin.ModelAdmin):
    """The home-situation alarms of the victim interview, edited here per country without code changes
    (docs/cases.md "Victim interview"). Every change goes through `home_alarm_update`, which logs it.
    Alarms are retired (`active` off), never deleted: interviews keep pointing at them."""

    list_display = ["code", "text", "points", "country", "active", "position"]
    list_editable = ["points", "active"]
    list_filter = ["country", "active"]
    search_fields = ["code", "text"]
    ordering = ["country", "position", "code"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        fields = [f for f in HOME_ALARM_FIELDS if f in form.cleaned_data]
        data = {f: form.cleaned_data[f] for f in fields if not change or f in form.changed_data}
        home_alarm_update(actor=request.user, alarm=obj, data=data)


# Case files, their interviews, consents, services, follow-ups, referrals and their change history are
# deliberately not in the Django admin: they hold victims' data (docs/access.md, "What an admin can and
# cannot do"); tests/test_admin_powers.py walks every admin page to keep it so.
