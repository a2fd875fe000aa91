"""One log line per request, tagged with a request id that every other log
line written during the request carries too.

The id comes from the proxy's X-Request-ID when it sends a sane one (so nginx
and app logs can be joined), otherwise it is made here; either way the
response echoes it.
"""

import contextvars
import ipaddress
import logging
import re
import time
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("newsroom.request")
current_request_id = contextvars.ContextVar("request_id", default="-")
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def client_address(request: HttpRequest) -> str:
    """The reader's address: REMOTE_ADDR, or behind a trusted proxy the
    address it appended last to X-Forwarded-For (USE_X_FORWARDED_FOR).

    The one rule for the request log, "Most read", sign-in lockouts
    (AXES_CLIENT_IP_CALLABLE), sessions and the audit log. A hop that is not
    an IP address is ignored, so it never reaches an address column."""
    if settings.USE_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops and is_ip_address(hops[-1]):
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "")


def is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class RequestLogMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = (
            incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        )
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            logger.info(
                "%s %s %s %sms %s",
                request.method,
                request.get_full_path(),
                response.status_code,
                duration_ms,
                client_address(request),
                extra={
                    "method": request.method,
                    "path": request.get_full_path(),
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "client": client_address(request),
                },
            )
            return response
        finally:
            current_request_id.reset(token)
