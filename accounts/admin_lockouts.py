"""Active login lockouts in the Django admin: admins see who or which address is locked, and lift it.

Each row is one failed-attempt record of django-axes (one login key, client IP and browser). "Locks now"
says whether the row's account or IP is over its limit; "Lift the lockout" deletes the selected records
through `accounts.lockout.lockout_lift`, which writes a `lockout.lift` event to the access log. Rows hold
login keys (an account id, or a keyed hash of a name that matches no account), never the name typed.
"""

from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.db.models import BooleanField, Case, Q, Value, When
from django.urls import reverse
from django.utils.html import format_html

from .lockout import ACCOUNT, IP, active_lockouts, key_user_id, lockout_lift


class LockedNowFilter(admin.SimpleListFilter):
    title = "locks now"
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", "Yes")]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        locked = _locked(request)
        return queryset.filter(username__in=locked[ACCOUNT]) | queryset.filter(ip_address__in=locked[IP])


def _locked(request) -> dict[str, set]:
    """The locked accounts (login keys) and IPs, computed once per request."""
    if not hasattr(request, "_active_lockouts"):
        found = {ACCOUNT: set(), IP: set()}
        for lockout in active_lockouts():
            found[lockout["scope"]].add(lockout["key"])
        request._active_lockouts = found
    return request._active_lockouts


def _flag(**lookup):
    values = next(iter(lookup.values()))
    if not values:
        return Value(False, output_field=BooleanField())
    return Case(When(Q(**lookup), then=Value(True)), default=Value(False), output_field=BooleanField())


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(admin.ModelAdmin):
    list_display = [
        "account",
        "ip_address",
        "user_agent",
        "failures_since_start",
        "attempt_time",
        "locks_now",
    ]
    list_filter = [LockedNowFilter, "attempt_time"]
    search_fields = ["ip_address"]
    ordering = ["-attempt_time"]
    fields = ["account", "ip_address", "user_agent", "failures_since_start", "attempt_time", "locks_now"]
    readonly_fields = fields
    actions = ["lift"]

    @admin.display(description="account")
    def account(self, obj):
        user_id = key_user_id(obj.username)
        if user_id is None:
            return "a name that matches no account" if obj.username else "-"
        return format_html(
            '<a href="{}">account #{}</a>', reverse("admin:accounts_user_change", args=[user_id]), user_id
        )

    @admin.display(description="locks now")
    def locks_now(self, obj):
        scopes = [label for label, hit in (("account", obj.account_locked), ("IP", obj.ip_locked)) if hit]
        return " and ".join(scopes) or "no"

    def get_queryset(self, request):
        locked = _locked(request)
        return (
            super()
            .get_queryset(request)
            .annotate(
                account_locked=_flag(username__in=sorted(locked[ACCOUNT])),
                ip_locked=_flag(ip_address__in=sorted(locked[IP])),
            )
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(
        description="Lift the lockout (delete these failed-attempt records)", permissions=["delete"]
    )
    def lift(self, request, queryset):
        count = lockout_lift(actor=request.user, attempt_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Lifted: {count} failed-attempt record(s) removed.", messages.SUCCESS)

    def delete_model(self, request, obj):
        lockout_lift(actor=request.user, attempt_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        lockout_lift(actor=request.user, attempt_ids=list(queryset.values_list("pk", flat=True)))
