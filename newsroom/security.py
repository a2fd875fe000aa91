"""The Content-Security-Policy header on every page but the admin's, and
the refusal of input no page can use (NUL characters, huge integers).

The policy is fixed (no nonces, no per-view changes), so it is joined once
here. django-csp builds it again for every response, which measured 50 µs a
request: a sixth of what a page from the page cache costs.
"""

import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views import defaults


def content_security_policy(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    policy = "; ".join(
        f"{directive} {sources}"
        for directive, sources in settings.CONTENT_SECURITY_POLICY.items()
    )

    admin_prefix = f"/{settings.ADMIN_URL}"

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        # Django's admin and the prose editor are not written for a policy.
        if not request.path_info.startswith(admin_prefix):
            response.headers.setdefault("Content-Security-Policy", policy)
        return response

    return middleware


logger = logging.getLogger(__name__)


def bad_request(request: HttpRequest, exception: Exception | None) -> HttpResponse:
    """The 400 page, templates/400.html (handler400 in newsroom/urls.py);
    Django's plain one if that cannot be drawn (say, static files missing
    from the manifest): a bad request must never become a server error."""
    try:
        return defaults.bad_request(request, exception)
    except Exception:
        logger.exception("The 400 page could not be drawn.")
        return HttpResponseBadRequest("<h1>Bad request (400)</h1>")


# A decimal integer, possibly one of several ("1,2,3" for __in lookups).
_INTEGERS = re.compile(r"[-+]?[0-9]+(,[-+]?[0-9]+)*")
_INT64 = range(-(2**63), 2**63)


def _out_of_range(value: str) -> bool:
    return bool(_INTEGERS.fullmatch(value)) and any(
        int(number) not in _INT64 for number in value.split(",")
    )


def _is_int64(value: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[0-9]{1,19}", value)) and int(value) in _INT64


def refuse_unusable_input(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Answer 400 Bad Request to what no page can use and the database
    would refuse with an error (a 500) rather than an answer:

    - a NUL character in the path, the query string, a cookie or (outside
      the admin) form data. No browser sends one; PostgreSQL refuses NUL in
      text. The admin's own forms are left to say so field by field ("Null
      characters are not allowed."), keeping the editor's text, as Django's
      CharField does;
    - in the admin's lists, a filter value that is an integer beyond 64 bits
      (?section=99999999999999999999): SQLite cannot take it, and Django
      checks the range only for some lookups. The search box (q) may hold
      any number;
    - an admin action on rows whose ids are not 64-bit integers (every
      model in this admin has integer ids): Django's admin passes them to
      the database unchecked.
    """
    admin_prefix = f"/{settings.ADMIN_URL}"

    def has_null(data) -> bool:
        return any(
            "\x00" in name or any("\x00" in value for value in values)
            for name, values in data.lists()
        )

    def huge_filter(data) -> bool:
        return any(
            name != "q" and any(_out_of_range(value) for value in values)
            for name, values in data.lists()
        )

    def middleware(request: HttpRequest) -> HttpResponse:
        in_admin = request.path_info.startswith(admin_prefix)
        if (
            "\x00" in request.path_info
            or has_null(request.GET)
            or any("\x00" in name + value for name, value in request.COOKIES.items())
            or (request.method == "POST" and not in_admin and has_null(request.POST))
            or (in_admin and huge_filter(request.GET))
            or (
                in_admin
                and request.method == "POST"
                and not all(map(_is_int64, request.POST.getlist(ACTION_CHECKBOX_NAME)))
            )
        ):
            return bad_request(request, None)
        return get_response(request)

    return middleware
