"""The database is unreachable: answer 503 with the branded page, not 500.

Readers get "We'll be back in a moment" with Retry-After, while pages in the
page cache keep being served before any of this runs (pagecache.py). An
editor whose save fails this way is told plainly that nothing was saved and
gets back what they typed. Django's admin saves a story in one transaction
(changeform_view, and reversion's revision with it), so a failed save leaves
no half-saved story.

Nothing here touches the database: not the session, not the user, not the
context processors (the navigation is read from the database).
"""

import logging
import sys
import time

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.views import defaults

logger = logging.getLogger(__name__)

# Seconds a client or crawler is asked to wait before trying again.
RETRY_AFTER = 30
# The outage is logged at most this often per process, not once per request.
LOG_EVERY_SECONDS = 10
# Submitted fields never shown back: secrets, and the admin's own fields.
SECRET_WORDS = ("password", "token", "secret", "otp", "csrf")
FORM_MACHINERY = ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")

_last_logged = -LOG_EVERY_SECONDS
_unlogged = 0


def is_unreachable(error: BaseException | None) -> bool:
    """Whether the error means the database could not be reached or the
    connection was lost, as opposed to a query it refused (IntegrityError,
    ProgrammingError and the other DatabaseErrors)."""
    return isinstance(error, (OperationalError, InterfaceError))


def log_outage(request: HttpRequest, error: BaseException) -> None:
    global _last_logged, _unlogged
    now = time.monotonic()
    if now - _last_logged < LOG_EVERY_SECONDS:
        _unlogged += 1
        return
    logger.error(
        "Database unreachable, answering 503 (%s %s; %d more since the last line): %s",
        request.method,
        request.path,
        _unlogged,
        str(error).strip() or type(error).__name__,
    )
    _last_logged, _unlogged = now, 0


def kept_fields(request: HttpRequest) -> list[tuple[str, str]]:
    """What the editor typed, as (label, text), in the form's order."""
    fields = []
    for name, values in request.POST.lists():
        lowered = name.lower()
        if any(word in lowered for word in SECRET_WORDS):
            continue
        if name.startswith("_") or name.endswith(FORM_MACHINERY):
            continue  # The admin's buttons and formset counters.
        text = "\n".join(value for value in values if value.strip())
        # Ids, dates and ticked boxes are quickly set again; words are not.
        if any(character.isalpha() for character in text) and text != "on":
            fields.append((name.replace("_", " ").capitalize(), text))
    return fields


def unavailable(request: HttpRequest, error: BaseException) -> HttpResponse:
    """The 503 answer; for a form sent to the admin, with the text kept."""
    log_outage(request, error)
    context = {"site_name": settings.SITE_NAME}
    if request.method == "POST" and request.path.startswith(f"/{settings.ADMIN_URL}"):
        context["not_saved"] = True
        try:
            context["kept"] = kept_fields(request)
            context["files_lost"] = bool(request.FILES)
        except (SuspiciousOperation, MultiPartParserError, UnreadablePostError):
            pass  # Too big or cut short: the message alone, then.
    # The readers' Jinja2 template, rendered without the request so that no
    # context processor runs.
    response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    add_never_cache_headers(response)
    return response


class DatabaseOutageMiddleware:
    """Turns an unreachable database in a view into the 503 answer. Errors
    raised in middleware (a session being saved) reach server_error below."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if is_unreachable(exception):
            return unavailable(request, exception)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the 503 answer when the uncaught error was the database
    being unreachable, the "Something went wrong" page otherwise."""
    error = sys.exc_info()[1]
    if is_unreachable(error):
        return unavailable(request, error)
    return defaults.server_error(request)
