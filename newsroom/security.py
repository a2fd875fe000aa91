"""Content-Security-Policy and Permissions-Policy on every response, and
the refusal of input no page can use (NUL characters, huge integers).

Readers' pages get a fixed policy (settings.CONTENT_SECURITY_POLICY), joined
once here: django-csp builds it again for every response, which is a
noticeable part of what a page from the page cache costs. The
admin gets its own (settings.ADMIN_CONTENT_SECURITY_POLICY) with a fresh
nonce per response for the few inline scripts it needs (the prose editor's
import map); templates write it as `<script nonce="{{ csp_nonce }}">`, the
name Django 6.0's own CSP support uses, so moving to it later is a change
of settings. That is one middleware and one line for the nonce, simpler
than django-csp for the admin beside this for readers (two middlewares
deciding which of them sets the header, and a second setting named
CONTENT_SECURITY_POLICY in another format).
"""

import logging
import re
import secrets
from collections.abc import Callable

from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import validate_ipv46_address
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext
from django.views import defaults
from js_asset import Media

logger = logging.getLogger(__name__)

# Where a policy's sources name the per-response nonce.
NONCE = "{nonce}"


def joined(policy: dict[str, str]) -> str:
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


def content_security_policy(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    public = joined(settings.CONTENT_SECURITY_POLICY)
    admin = joined(settings.ADMIN_CONTENT_SECURITY_POLICY)
    permissions = settings.PERMISSIONS_POLICY
    admin_permissions = settings.ADMIN_PERMISSIONS_POLICY
    admin_prefix = f"/{settings.ADMIN_URL}"

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(admin_prefix):
            # 128 random bits, base64url: what CSP nonces allow.
            request.csp_nonce = secrets.token_urlsafe(16)
            response = get_response(request)
            policy = admin.replace(NONCE, request.csp_nonce)
            response.headers.setdefault("Content-Security-Policy", policy)
            response.headers.setdefault("Permissions-Policy", admin_permissions)
        else:
            response = get_response(request)
            response.headers.setdefault("Content-Security-Policy", public)
            response.headers.setdefault("Permissions-Policy", permissions)
        return response

    return middleware


def csp_nonce(request: HttpRequest) -> dict:
    """The response's nonce for Django templates, as {{ csp_nonce }} (empty
    outside the admin, where no inline script is allowed)."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}


def with_nonce(media, request: HttpRequest) -> Media:
    """Form media whose tags carry the response's nonce: the prose editor
    adds an inline import map (<script type="importmap">), which the admin's
    policy blocks without it. Django 5.2's admin renders media as {{ media }},
    with no way to pass the nonce in the template."""
    return Media.from_media(media, nonce=getattr(request, "csp_nonce", ""))


def bad_request(request: HttpRequest, exception: Exception | None) -> HttpResponse:
    """The 400 page, templates/400.html (handler400 in newsroom/urls.py);
    Django's plain one if that cannot be drawn (say, static files missing
    from the manifest): a bad request must never become a server error."""
    try:
        return defaults.bad_request(request, exception)
    except Exception:
        logger.exception("The 400 page could not be drawn.")
        return HttpResponseBadRequest(f"<h1>{gettext('Bad request')} (400)</h1>")


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


def _readable(value: str) -> bool:
    """Whether the database can take `value` for this IP address column."""
    try:
        validate_ipv46_address(value)
    except ValidationError:
        return False
    return True


class CheckedLookups:
    """For ModelAdmins with columns whose filters from the address reach the
    database unparsed: ?address=0 or ?video_duration=1:00 answer 400, not a
    500 when the list is drawn. IP addresses are filtered by an exact, valid
    value; durations (which SQLite cannot compare with text at all) not at
    all; both by __isnull."""

    def lookup_allowed(self, lookup: str, value, request=None) -> bool:
        name, _, rest = lookup.partition("__")
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        if isinstance(field, (models.GenericIPAddressField, models.DurationField)):
            if rest == "isnull":
                return True
            values = value if isinstance(value, list) else [value]
            if (
                isinstance(field, models.DurationField)
                or rest not in ("", "exact")
                or not all(_readable(str(one)) for one in values)
            ):
                return False
        return super().lookup_allowed(lookup, value, request)
