"""Probes for load balancers and orchestrators.

Load balancers probe by the server's address (Host: 10.0.0.7), which is not
one of ALLOWED_HOSTS; probes_first answers the two probes before anything
checks the Host, and only them.
"""

import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from .routers import REPLICA, replica_reachable

logger = logging.getLogger(__name__)


def probes_first(get_response):
    """Middleware, early in MIDDLEWARE (before CommonMiddleware, which
    validates the Host): /healthz and /readyz for any Host; everything else
    goes on as before."""
    probes = {"/healthz": healthz, "/readyz": readyz}

    def middleware(request: HttpRequest) -> HttpResponse:
        probe = probes.get(request.path_info)
        if probe is not None:
            return probe(request)
        return get_response(request)

    return middleware


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive and answering. Touches nothing else, so it is
    also the framework's floor in `make bench`."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready for traffic: the database and the cache both answer. 503 naming
    what failed, so the balancer takes this server out until it recovers."""
    checks = {"database": database_answers(), "cache": cache_answers()}
    ready = all(checks.values())
    if not ready:
        failed = ", ".join(name for name, ok in checks.items() if not ok)
        logger.error("Not ready: %s unreachable.", failed)
    answer = {name: "ok" if ok else "unreachable" for name, ok in checks.items()}
    if REPLICA in settings.DATABASES:
        # Not a reason to leave the balancer: reads fall back to the primary.
        answer["replica"] = "ok" if replica_reachable() else "unreachable"
    return JsonResponse(answer, status=200 if ready else 503)


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except (DatabaseError, InterfaceError):  # The second: a closed connection.
        return False


def cache_answers() -> bool:
    """Write and read back a value (a Redis outage makes reads come back
    empty rather than fail: see CACHES in settings)."""
    token = secrets.token_hex(8)
    try:
        cache.set("readyz", token, timeout=10)
        return cache.get("readyz") == token
    except Exception:  # Any backend's own connection error.
        logger.exception("Cache check failed.")
        return False
