"""Content-Security-Policy and Permissions-Policy on every response.

Readers' pages get a fixed policy (settings.CONTENT_SECURITY_POLICY), joined
once here: django-csp builds it again for every response, which measured
50 µs a request, a sixth of what a page from the page cache costs. The
admin gets its own (settings.ADMIN_CONTENT_SECURITY_POLICY) with a fresh
nonce per response for the few inline scripts it needs (the prose editor's
import map); templates write it as `<script nonce="{{ csp_nonce }}">`, the
name Django 6.0's own CSP support uses, so moving to it later is a change
of settings. That is one middleware and one line for the nonce, simpler
than django-csp for the admin beside this for readers (two middlewares
deciding which of them sets the header, and a second setting named
CONTENT_SECURITY_POLICY in another format).
"""

import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from js_asset import Media

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
