"""The audit log: record(action, ...) adds one AuditEvent row.

Call it wherever something worth answering for happens to or through a
staff account; the admin's "Audit events" page is where administrators read
them.
"""

import logging

from django.http import HttpRequest

from .models import AuditEvent

logger = logging.getLogger("newsroom.audit")

Action = AuditEvent.Action


def client_address(request: HttpRequest | None) -> str | None:
    """The address the request came from, as REMOTE_ADDR (set from the
    proxy's header by the throttling configuration when it is trusted)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    request: HttpRequest | None = None,
    user=None,
    username: str = "",
    target: str = "",
    detail: str = "",
) -> AuditEvent:
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    if user is not None and not username:
        username = user.get_username()
    event = AuditEvent.objects.create(
        action=action,
        actor=user if user is not None and user.pk else None,
        username=username[:150],
        address=client_address(request),
        target=target[:300],
        detail=detail,
    )
    logger.info("%s: %s %s %s", action, username or "?", target, detail)
    return event
