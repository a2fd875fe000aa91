from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One thing that happened to a staff account or through one: a login,
    a two-factor change, a role change, a publication or a withdrawal.

    Rows are only ever added; the admin shows them read-only to
    administrators.
    """

    class Action(models.TextChoices):
        LOGIN = "login", "Signed in"
        LOGIN_FAILED = "login_failed", "Sign-in refused"
        LOGOUT = "logout", "Signed out"
        LOCKED_OUT = "locked_out", "Locked out"
        LOCKOUT_LIFTED = "lockout_lifted", "Lockout lifted"
        TWO_FACTOR_ADDED = "2fa_added", "Two-factor method added"
        TWO_FACTOR_REMOVED = "2fa_removed", "Two-factor method removed"
        RECOVERY_CODES = "recovery_codes", "Recovery codes made"
        SESSIONS_ENDED = "sessions_ended", "Sessions signed out"
        ROLE_CHANGED = "role_changed", "Roles or permissions changed"
        PUBLISHED = "published", "Story published"
        WITHDRAWN = "withdrawn", "Story withdrawn"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    # Who did it; empty for a refused sign-in by an unknown name.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The username as typed or as it was then: kept when the user goes.
    username = models.CharField(max_length=150, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    # What it was done to, in words ("story 42: Floods in Sindh", "user ana").
    target = models.CharField(max_length=300, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "audit event"

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.username or '?'}"
