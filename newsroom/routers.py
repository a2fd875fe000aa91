"""Read replica routing, used only when DATABASE_REPLICA_URL is set.

Readers' pages read from the replica. Writes and migrations go to the
primary ("default"), and so do reads that must not lag behind it: reads
inside a transaction on the primary (the admin's add and change views, the
edit-conflict check) and every read made for an editor, that is any request
carrying the session cookie, and any POST.
"""

from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

PRIMARY = "default"
REPLICA = "replica"

# Set for the length of a request that must read what it (or its editor)
# has just written.
_use_primary: ContextVar[bool] = ContextVar("use_primary", default=False)


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        if _use_primary.get() or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

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
