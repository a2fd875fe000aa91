from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth import get_user_model

# Imported (so registered) before they are replaced below: this app comes
# first in INSTALLED_APPS, before the admin looks for theirs.
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django_otp.plugins.otp_static import admin as _static_admin  # noqa: F401
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp import admin as _totp_admin  # noqa: F401
from django_otp.plugins.otp_totp.models import TOTPDevice
from qsessions.admin import SessionAdmin as QSessionAdmin
from qsessions.models import Session

from newsroom.security import CheckedLookups

from . import audit, twofactor
from .audit import Action
from .models import AuditEvent
from .sessions import active_sessions, end_sessions

User = get_user_model()


@admin.register(AuditEvent)
class AuditEventAdmin(CheckedLookups, admin.ModelAdmin):
    """Read-only for everyone; readable with accounts.view_auditevent (the
    Administrator role has it, Editors and Writers do not)."""

    list_display = ["created_at", "action", "username", "address", "target"]
    list_filter = ["action", "created_at"]
    search_fields = ["username", "target", "detail", "address"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
    list_select_related = ["actor"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def lift(request: HttpRequest, attempts: QuerySet) -> int:
    """Delete the failures of the usernames of `attempts` from every address,
    which ends both their pair and per-username lockouts, and record it."""
    usernames = sorted({attempt.username or "" for attempt in attempts})
    for username in usernames:
        failures = AccessAttempt.objects.filter(username=username or None)
        addresses = sorted({str(a.ip_address) for a in failures if a.ip_address})
        failures.delete()
        audit.record(
            Action.LOCKOUT_LIFTED,
            request=request,
            target=f"user {username or '(no username)'}",
            detail=f"failures from {', '.join(addresses) or 'no address'} cleared",
        )
    return len(usernames)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(CheckedLookups, AxesAccessAttemptAdmin):
    """Axes' list of failed sign-ins, with "Lift lockout". Open to those with
    the axes permissions (the Administrator role), never to Editors."""

    actions = ["lift_lockout"]

    @admin.action(
        description="Lift lockout (clear these usernames' failures)",
        permissions=["delete"],
    )
    def lift_lockout(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = lift(request, queryset)
        noun = "username" if count == 1 else "usernames"
        self.message_user(
            request, f"Lockout lifted for {count} {noun}.", messages.SUCCESS
        )

    # Deleting one attempt from its own page lifts its lockout too.
    def delete_model(self, request: HttpRequest, obj) -> None:
        lift(request, AccessAttempt.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        lift(request, queryset)

    def has_change_permission(self, request, obj=None) -> bool:
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
class UserAdmin(DjangoUserAdmin):
    """Django's, with "Sign out everywhere" for an account that may be in
    someone else's hands, and the user's two-step sign-in methods shown with
    a way for an administrator to remove them (a lost phone)."""

    actions = ["sign_out_everywhere"]

    @admin.action(description="Sign out everywhere", permissions=["change"])
    def sign_out_everywhere(self, request: HttpRequest, queryset: QuerySet) -> None:
        total = 0
        for user in queryset:
            total += end_sessions(
                request,
                user,
                list(active_sessions(user)),
                "signed out everywhere by an administrator",
            )
        self.message_user(
            request,
            f"{total} session{'s' if total != 1 else ''} signed out.",
            messages.SUCCESS,
        )

    readonly_fields = [*DjangoUserAdmin.readonly_fields, "two_step_sign_in"]

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


admin.site.unregister(Session)


@admin.register(Session)
class SessionAdmin(CheckedLookups, QSessionAdmin):
    """qsessions' list of everyone's sessions, to look at only: no session
    keys or data (a key is as good as the password), and signing out goes
    through "Sign out everywhere" on the users' list, which is audited."""

    fields = [
        "user",
        "ip",
        "is_valid",
        "created_at",
        "updated_at",
        "expire_date",
        "user_agent",
        "device",
    ]
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
