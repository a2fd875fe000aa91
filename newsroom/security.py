"""The Content-Security-Policy header on every page but the admin's, and
the refusal of NUL characters in requests.

The policy is fixed (no nonces, no per-view changes), so it is joined once
here. django-csp builds it again for every response, which measured 50 µs a
request: a sixth of what a page from the page cache costs.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.defaults import bad_request


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


def refuse_null_characters(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Answer 400 Bad Request to a NUL character in the path, the query
    string, a cookie or (outside the admin) form data.

    No browser sends one; PostgreSQL refuses NUL in text, so one reaching a
    query (a changelist filter, the admin's autocomplete, a session cookie)
    would be a 500. The admin's own forms are left to say so field by field
    ("Null characters are not allowed."), keeping the editor's text, as
    Django's CharField does.
    """
    admin_prefix = f"/{settings.ADMIN_URL}"

    def has_null(data) -> bool:
        return any(
            "\x00" in name or any("\x00" in value for value in values)
            for name, values in data.lists()
        )

    def middleware(request: HttpRequest) -> HttpResponse:
        if (
            "\x00" in request.path_info
            or has_null(request.GET)
            or any("\x00" in name + value for name, value in request.COOKIES.items())
            or (
                request.method == "POST"
                and not request.path_info.startswith(admin_prefix)
                and has_null(request.POST)
            )
        ):
            return bad_request(request, None)
        return get_response(request)

    return middleware
