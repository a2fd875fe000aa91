"""Audit rows for sign-ins and for changes of roles, from Django's signals.

Role changes are recorded however they are made: in the admin (the actor is
the signed-in user, see audit.acting and AuditActorMiddleware), or by
manage.py and scripts (no actor).
"""

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from . import audit
from .audit import Action

User = get_user_model()

# The fields of a user that decide what they may do.
ROLE_FIELDS = ("is_active", "is_staff", "is_superuser")


@receiver(user_logged_in)
def signed_in(sender, request, user, **kwargs) -> None:
    audit.record(Action.LOGIN, request=request, user=user)


@receiver(user_login_failed)
def sign_in_refused(sender, credentials, request=None, **kwargs) -> None:
    # Marked by accounts.lockout.LockoutBackend: refused unchecked.
    locked = getattr(request, "sign_in_refused", False)
    audit.record(
        Action.LOGIN_FAILED,
        request=request,
        username=str(credentials.get("username") or ""),
        detail="refused: locked out" if locked else "wrong username or password",
    )


@receiver(user_logged_out)
def signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit.record(Action.LOGOUT, request=request, user=user)


@receiver(user_locked_out)
def locked_out(sender, request, username, ip_address, **kwargs) -> None:
    # Axes sends this again at every refused try; record the beginning only.
    if not getattr(request, "sign_in_refused", False):
        audit.record(
            Action.LOCKED_OUT,
            request=request,
            username=username or "",
            detail=(
                f"{settings.LOGIN_LOCKOUT_MINUTES} minutes after the last wrong "
                f"password, from {ip_address or 'an unknown address'}"
            ),
        )


@receiver(pre_save, sender=User)
def remember_roles(sender, instance, update_fields=None, **kwargs) -> None:
    if not instance.pk or (
        update_fields is not None and not set(update_fields) & set(ROLE_FIELDS)
    ):
        # A new account, or a save that cannot change a role (last_login).
        return
    instance._roles_before = (
        User.objects.filter(pk=instance.pk).values(*ROLE_FIELDS).first()
    )


@receiver(post_save, sender=User)
def roles_saved(sender, instance, created, **kwargs) -> None:
    if created:
        given = [name for name in ROLE_FIELDS[1:] if getattr(instance, name)]
        if given:
            record_role_change(instance, f"new account: {', '.join(given)}")
        return
    before = getattr(instance, "_roles_before", None)
    if before is None:
        return
    del instance._roles_before
    changes = [
        f"{name}: {before[name]} → {getattr(instance, name)}"
        for name in ROLE_FIELDS
        if before[name] != getattr(instance, name)
    ]
    if changes:
        record_role_change(instance, "; ".join(changes))


def record_role_change(instance, detail: str) -> None:
    if isinstance(instance, Group):
        target = f"group {instance.name}"
    else:
        target = f"user {instance.get_username()}"
    audit.record(Action.ROLE_CHANGED, target=target, detail=detail)


def label(obj) -> str:
    if isinstance(obj, Permission):
        return f"{obj.content_type.app_label}.{obj.codename}"
    if isinstance(obj, Group):
        return obj.name
    return obj.get_username()


def m2m_roles_changed(instance, action, reverse, model, pk_set, field, accessor):
    """One row per user (or group) whose groups or permissions changed.

    `field` names the relation on the owning side (a user's "groups", a
    group's "permissions"); `accessor` the reverse one from the other side.
    """
    if action == "pre_clear":
        related = getattr(instance, accessor if reverse else field)
        pk_set = set(related.values_list("pk", flat=True))
        sign = "-"
    elif action in ("post_add", "post_remove"):
        sign = "+" if action == "post_add" else "-"
    else:
        return
    if not pk_set:
        return
    others = model.objects.filter(pk__in=pk_set)
    if model is Permission:
        others = others.select_related("content_type")
    if reverse:
        # e.g. group.user_set.add(ana): one row for each user.
        for owner in others:
            record_role_change(owner, f"{field}: {sign}{label(instance)}")
    else:
        changed = ", ".join(sorted(f"{sign}{label(other)}" for other in others))
        record_role_change(instance, f"{field}: {changed}")


@receiver(m2m_changed, sender=User.groups.through)
def groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    m2m_roles_changed(instance, action, reverse, model, pk_set, "groups", "user_set")


@receiver(m2m_changed, sender=User.user_permissions.through)
def user_permissions_changed(
    sender, instance, action, reverse, model, pk_set, **kwargs
):
    m2m_roles_changed(
        instance, action, reverse, model, pk_set, "user_permissions", "user_set"
    )


@receiver(m2m_changed, sender=Group.permissions.through)
def group_permissions_changed(
    sender, instance, action, reverse, model, pk_set, **kwargs
):
    m2m_roles_changed(
        instance, action, reverse, model, pk_set, "permissions", "group_set"
    )
