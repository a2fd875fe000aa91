from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from qsessions.admin import SessionAdmin as QSessionAdmin
from qsessions.models import Session

from . import audit
from .audit import Action
from .models import AuditEvent
from .sessions import active_sessions, end_sessions

User = get_user_model()


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
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
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
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


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's, with "Sign out everywhere" for an account that may be in
    someone else's hands."""

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


admin.site.unregister(Session)


@admin.register(Session)
class SessionAdmin(QSessionAdmin):
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
