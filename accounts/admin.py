from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import record_event

from . import services
from .models import Country, Membership, Station, User


def _membership_event(request, membership, action):
    record_event(
        actor=request.user,
        action=action,
        obj=membership,
        station=membership.station,
        details={
            "user": membership.user.username,
            "role": membership.role,
            "country": membership.country.code if membership.country_id else None,
            "via": "admin",
        },
    )


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["station", "country"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_staff"]

    actions = ["reset_mfa"]

    @admin.action(description="Reset two-step login (the user enrols again at next login)")
    def reset_mfa(self, request, queryset):
        for user in queryset:
            services.mfa_reset(actor=request.user, user=user)
        self.message_user(request, f"Two-step login reset for {queryset.count()} user(s).")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.user_deactivate(actor=request.user, user=obj)

    def save_formset(self, request, form, formset, change):
        # Role changes made through the user page are logged like any other.
        instances = formset.save(commit=False)
        for membership in formset.deleted_objects:
            services.role_revoke(actor=request.user, membership=membership)
        for membership in instances:
            created = membership.pk is None
            membership.save()
            _membership_event(request, membership, "role.grant" if created else "role.change")
        formset.save_m2m()


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "timezone", "active", "alert_score_threshold"]
    list_editable = ["alert_score_threshold"]
    list_filter = ["country", "active"]
    search_fields = ["code", "name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "station", "country", "created_at"]
    list_filter = ["role", "station", "country"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user", "station", "country"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _membership_event(request, obj, "role.change" if change else "role.grant")

    def delete_model(self, request, obj):
        services.role_revoke(actor=request.user, membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            services.role_revoke(actor=request.user, membership=membership)


# MFA secrets are never shown in the admin (a TOTP key or QR code would let an admin clone a user's second
# factor); admins reset a user's two-step login with the action on the user list instead.
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
