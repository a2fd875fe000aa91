"""Read replica routing, used only when DATABASE_REPLICA_URL is set.

Readers' pages read from the replica. Writes and migrations go to the
primary ("default"), and so do reads that must not lag behind it: reads
inside a transaction on the primary (the admin's add and change views, the
edit-conflict check) and every read made for an editor, that is any request
carrying the session cookie, and any POST.

When the replica cannot be reached, reads go to the primary (it holds the
same rows) and the replica is tried again REPLICA_RETRY_SECONDS later, so
readers' pages keep working through a replica outage.
"""

import logging
import time
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
REPLICA_RETRY_SECONDS = 10
# When this process may try the replica again (time.monotonic()).
_replica_retry_at = 0.0

# Set for the length of a request that must read what it (or its editor)
# has just written.
_use_primary: ContextVar[bool] = ContextVar("use_primary", default=False)


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        if _use_primary.get() or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA if replica_reachable() else PRIMARY

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # A row read from the replica may point at one from the primary:
        # both hold the same rows.
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == PRIMARY


def replica_reachable() -> bool:
    """Whether the replica answers: connected (and, once per request, past
    Django's health check), or connecting now. A failure sends this
    process's reads to the primary for REPLICA_RETRY_SECONDS."""
    global _replica_retry_at
    if time.monotonic() < _replica_retry_at:
        return False
    replica = connections[REPLICA]
    try:
        replica.close_if_health_check_failed()
        replica.ensure_connection()
        return True
    except DatabaseError as error:
        _replica_retry_at = time.monotonic() + REPLICA_RETRY_SECONDS
        logger.warning(
            "Read replica unreachable, reading the primary for %d s: %s",
            REPLICA_RETRY_SECONDS,
            " ".join(str(error).split()),
        )
        return False


def primary_for_editors(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Middleware: requests from signed-in users, and POSTs, read the primary
    so an editor never sees the replica's lag (their session included)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        pinned = (
            settings.SESSION_COOKIE_NAME in request.COOKIES
            or request.method not in ("GET", "HEAD")
        )
        token = _use_primary.set(pinned)
        try:
            return get_response(request)
        finally:
            _use_primary.reset(token)

    return middleware
