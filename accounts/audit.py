"""The audit log: record(action, ...) adds one AuditEvent row.

Call it wherever something worth answering for happens to or through a
staff account; the admin's "Audit events" page is where administrators read
them.
"""

import contextvars
import logging
from contextlib import contextmanager

from django.http import HttpRequest

from newsroom import requestlog

from .models import AuditEvent

logger = logging.getLogger("newsroom.audit")

Action = AuditEvent.Action

# The admin request being handled, for signal receivers (role changes) that
# are not handed one: see acting().
current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "audit_request", default=None
)


@contextmanager
def acting(request: HttpRequest):
    """Changes made inside are recorded as done by request.user, from the
    request's address; outside (manage.py, scripts) with no actor."""
    token = current_request.set(request)
    try:
        yield
    finally:
        current_request.reset(token)


def client_address(request: HttpRequest | None) -> str | None:
    """The address the request came from, by the rule of the request log
    (the proxy's X-Forwarded-For only when USE_X_FORWARDED_FOR trusts it)."""
    if request is None:
        return None
    address = requestlog.client_address(request)
    return address if requestlog.is_ip_address(address) else None


def record(
    action: str,
    *,
    request: HttpRequest | None = None,
    user=None,
    username: str = "",
    target: str = "",
    detail: str = "",
) -> AuditEvent:
    if request is None:
        request = current_request.get()
    signed_in = getattr(request, "user", None)
    if user is None and signed_in is not None and signed_in.is_authenticated:
        user = signed_in
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


def actor_middleware(get_response):
    """Makes each request the acting one for rows recorded by signals during
    it (role changes in the admin), so they name who made them."""

    def middleware(request: HttpRequest):
        with acting(request):
            return get_response(request)

    return middleware
