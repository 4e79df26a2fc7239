"""The Django admin for accounts: users, groups, stations, roles and API tokens.

Every change goes through `accounts.services`, which refuses what the actor may not do (only a superuser
grants staff or superuser status, groups or permissions, or edits a superuser; nobody but a superuser
changes their own roles) and writes the access-log event with old and new values. Nothing here deletes a
user, station or country (deactivate instead): a delete would drop their roles and history unlogged.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Count
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from . import services
from .models import Country, Membership, Station, User
from .policies import may_change_privileges, may_change_roles_of, may_change_user

USER_FIELDS = (*services.USER_FLAGS, *services.USER_PROFILE_FIELDS, "groups", "user_permissions")


def _changed(form, fields) -> dict:
    return {f: form.cleaned_data[f] for f in form.changed_data if f in fields and f in form.cleaned_data}


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["station", "country"]

    # `obj` is the user whose page this is.
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (
            obj is None or may_change_roles_of(request.user, obj)
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or may_change_roles_of(request.user, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or may_change_roles_of(request.user, obj)
        )


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser"]

    actions = ["reset_mfa", "revoke_api_tokens"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and not may_change_user(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: sessions and tokens end, roles and history stay

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not may_change_privileges(request.user):
            fields += ["is_staff", "is_superuser", "groups", "user_permissions"]
            if obj is not None and obj.pk == request.user.pk:
                fields.append("is_active")
        return fields

    @admin.action(description="Reset two-step login (the user enrols again at next login)")
    def reset_mfa(self, request, queryset):
        done = 0
        for user in queryset:
            if may_change_user(request.user, user):
                services.mfa_reset(actor=request.user, user=user)
                done += 1
        self.message_user(request, f"Two-step login reset for {done} user(s).")
        if done < len(queryset):
            refused = "Only a superuser resets a superuser's two-step login."
            self.message_user(request, refused, messages.ERROR)

    @admin.action(description="Revoke all API tokens of the selected users")
    def revoke_api_tokens(self, request, queryset):
        revoked = sum(
            services.tokens_revoke(actor=request.user, user=user)
            for user in queryset
            if may_change_user(request.user, user)
        )
        self.message_user(request, f"{revoked} API token(s) revoked.")

    def save_model(self, request, obj, form, change):
        if change:
            services.user_update(actor=request.user, user=obj, data=_changed(form, USER_FIELDS))
        else:
            services.user_create(actor=request.user, user=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for membership in formset.deleted_objects:
            services.role_revoke(actor=request.user, membership=membership)
        for membership in instances:
            services.membership_save(actor=request.user, membership=membership)
        formset.save_m2m()

    def user_change_password(self, request, id, form_url=""):
        # Django's view saves the form itself; the event is written in the same transaction, after it.
        with transaction.atomic():
            user = self.get_object(request, unquote(id))
            before = user.password if user is not None else None
            response = super().user_change_password(request, id, form_url)
            if user is not None and request.method == "POST":
                user.refresh_from_db(fields=["password"])
                if user.password != before:
                    services.user_password_changed(actor=request.user, user=user)
            return response


if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    """Groups: created, renamed and given permissions here (permissions by superusers only), logged.
    Who is in a group is changed on the user's page, and logged there (`user.groups`)."""

    list_display = ["name", "members"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("user", distinct=True))

    @admin.display(description="members", ordering="member_count")
    def members(self, obj):
        return obj.member_count

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not may_change_privileges(request.user):
            fields.append("permissions")
        return fields

    def save_model(self, request, obj, form, change):
        services.group_update(
            actor=request.user,
            group=obj,
            name=form.cleaned_data["name"],
            permissions=form.cleaned_data.get("permissions") if "permissions" in form.fields else None,
        )

    def delete_model(self, request, obj):
        services.group_delete(actor=request.user, group=obj)

    def delete_queryset(self, request, queryset):
        for group in queryset:
            services.group_delete(actor=request.user, group=group)


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = _changed(form, ("code", "name")) if change else {}
        services.country_update(actor=request.user, country=obj, data=data)


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    """Stations; the alert threshold is edited here or in the list. Every change is logged with old and
    new values (`station.change`)."""

    list_display = ["code", "name", "country", "timezone", "active", "alert_score_threshold"]
    list_editable = ["alert_score_threshold"]
    list_filter = ["country", "active"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: deleting would drop its roles unlogged

    def save_model(self, request, obj, form, change):
        services.station_update(
            actor=request.user, station=obj, data=_changed(form, services.STATION_FIELDS) if change else {}
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "station", "country", "created_at"]
    list_filter = ["role", "station", "country"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user", "station", "country"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and not may_change_roles_of(request.user, obj.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not may_change_roles_of(request.user, obj.user):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        services.membership_save(actor=request.user, membership=obj)

    def delete_model(self, request, obj):
        services.role_revoke(actor=request.user, membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            services.role_revoke(actor=request.user, membership=membership)


if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class AuthTokenAdmin(admin.ModelAdmin):
    """API tokens: listed by their public id, revoked here (delete), never issued here. An admin who
    could issue a token for another user could act as them; tokens are issued on the server with
    `manage.py issue_token`, shown once, and only their digest is stored."""

    list_display = ["token_id", "user", "created", "expiry"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    fields = ["token_id", "user", "created", "expiry"]
    readonly_fields = fields

    @admin.display(description="token id")
    def token_id(self, obj):
        return services.token_id(obj) + "…"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not may_change_user(request.user, obj.user):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        services.tokens_revoke(actor=request.user, user=obj.user, tokens=[obj])

    def delete_queryset(self, request, queryset):
        by_user = {}
        for token in queryset.select_related("user"):
            by_user.setdefault(token.user, []).append(token)
        for user, tokens in by_user.items():
            if may_change_user(request.user, user):
                services.tokens_revoke(actor=request.user, user=user, tokens=tokens)


# MFA secrets are never shown in the admin (a TOTP key or QR code would let an admin clone a user's second
# factor); admins reset a user's two-step login with the action on the user list instead.
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

from . import admin_lockouts  # noqa: E402, F401  (active login lockouts; a separate module)
