from django.contrib import admin, messages

# Imported (so registered) before they are replaced below: this app comes
# first in INSTALLED_APPS, before the admin looks for theirs.
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django_otp.plugins.otp_static import admin as _static_admin  # noqa: F401
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp import admin as _totp_admin  # noqa: F401
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import twofactor
from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only, and only for administrators (superusers)."""

    list_display = ["created_at", "action", "username", "address", "target"]
    list_filter = ["action", "created_at"]
    search_fields = ["username", "target", "detail"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# Second factors are managed on the staff member's own "Sign-in security"
# page, and by an administrator from the user's page below, both audited;
# django-otp's own device admins (which can show an app's secret key) are
# not used.
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Django's user admin, with the user's two-step sign-in methods shown
    and a way for an administrator to remove them (a lost phone)."""

    readonly_fields = [*UserAdmin.readonly_fields, "two_step_sign_in"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [
            *fieldsets,
            ("Two-step sign-in", {"fields": ["two_step_sign_in"]}),
        ]

    @admin.display(description="Methods")
    def two_step_sign_in(self, user) -> str:
        methods = [twofactor.describe(m) for m in twofactor.sign_in_methods(user)]
        codes = twofactor.recovery_device(user)
        if codes is not None:
            methods.append(f"{codes.token_set.count()} recovery codes left")
        return "; ".join(methods) or "None: signs in with the password only."

    def get_urls(self):
        return [
            path(
                "<int:user_id>/two-step/remove/",
                self.admin_site.admin_view(self.remove_second_factors),
                name="auth_user_remove_second_factors",
            ),
            *super().get_urls(),
        ]

    def remove_second_factors(self, request, user_id: int):
        """Remove all of a user's passkeys, apps and recovery codes, so they
        sign in with their password and (when it is required) enrol again."""
        if not request.user.is_superuser:
            raise PermissionDenied
        user = get_object_or_404(User, pk=user_id)
        change_url = reverse("admin:auth_user_change", args=[user.pk])
        if request.method == "POST":
            removed = twofactor.remove_all(request, user)
            if removed:
                self.message_user(
                    request,
                    f"Removed {', '.join(removed)} from {user.get_username()}. "
                    "They will be asked to set up two-step sign-in again at "
                    "their next sign-in (if it is required).",
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    f"{user.get_username()} had no two-step sign-in methods.",
                    messages.WARNING,
                )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": "Remove two-step sign-in methods",
            "subject": user,
            "methods": self.two_step_sign_in(user),
            "opts": self.opts,
            "change_url": change_url,
        }
        return TemplateResponse(
            request, "admin/auth/user/remove_second_factors.html", context
        )
