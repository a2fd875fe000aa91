"""Sign-in lockout, on django-axes.

Axes counts wrong passwords per username and address pair and, first of the
authentication backends, refuses a locked-out pair before the password is
hashed. Two limits (settings.py): LOGIN_FAILURE_LIMIT for a pair, and the
looser LOGIN_FAILURE_LIMIT_PER_USERNAME for a name from any address, so a
crowd of addresses cannot guess one account for ever. Failures count until
LOGIN_LOCKOUT_MINUTES after the last one.

A lockout is recorded in the audit log when it begins (not at every refused
try after it); lifting one in the admin (accounts/admin.py) is recorded too.
"""

from datetime import datetime

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import admin
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


class LockoutHandler(AxesDatabaseHandler):
    def counts(self, request: HttpRequest, credentials: dict | None) -> list:
        """[(failures, last failure)] of the pair, then of the username, in
        the cool-off window (the order of AXES_LOCKOUT_PARAMETERS)."""
        return [
            tuple(
                attempts.aggregate(
                    Sum("failures_since_start"), Max("attempt_time")
                ).values()
            )
            for attempts in self.get_user_attempts(request, credentials)
        ]

    def locked_until(
        self, request: HttpRequest, credentials: dict | None
    ) -> datetime | None:
        """When the lockout ends at the latest; None if there is none."""
        (pair, pair_last), (name, name_last) = self.counts(request, credentials)
        ends = []
        if (pair or 0) >= settings.AXES_FAILURE_LIMIT:
            ends.append(pair_last)
        if (name or 0) >= settings.LOGIN_FAILURE_LIMIT_PER_USERNAME:
            ends.append(name_last)
        return max(ends) + get_cool_off(request) if ends else None

    def get_failures(self, request: HttpRequest, credentials: dict | None = None):
        # Axes compares one number with AXES_FAILURE_LIMIT (the pair's
        # limit): a username over its own limit counts as reaching it.
        (pair, _), (name, _) = self.counts(request, credentials)
        if (name or 0) >= settings.LOGIN_FAILURE_LIMIT_PER_USERNAME:
            return max(pair or 0, settings.AXES_FAILURE_LIMIT)
        return pair or 0

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is not None:
            # PostgreSQL text holds no NUL; a header may bring one.
            for name in ("axes_user_agent", "axes_http_accept"):
                setattr(request, name, getattr(request, name).replace("\0", ""))
        super().user_login_failed(sender, credentials, request=request, **kwargs)


class LockoutBackend(AxesStandaloneBackend):
    """Axes' check, first of AUTHENTICATION_BACKENDS, marking the requests it
    refused: axes sends user_login_failed and user_locked_out for those too,
    and the audit log tells them from wrong passwords and new lockouts."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        try:
            return super().authenticate(request, username, password, **kwargs)
        except AxesBackendPermissionDenied:
            request.sign_in_refused = True
            raise


def locked_out_page(
    request: HttpRequest, original_response=None, credentials=None
) -> HttpResponse:
    """The admin-looking page a locked-out sign-in gets (429, with
    Retry-After), saying when to try again."""
    until = LockoutHandler().locked_until(request, credentials)
    if until is None:
        # The lockout is over by the time the page is made.
        until = timezone.now()
    # Rendered now: axes' middleware hands it back after views' responses
    # have been rendered.
    response = render(
        request,
        "accounts/locked_out.html",
        {
            **admin.site.each_context(request),
            "title": "Too many attempts to sign in",
            "until": until,
            "minutes": settings.LOGIN_LOCKOUT_MINUTES,
        },
        status=429,
    )
    seconds = max(0, int((until - timezone.now()).total_seconds()) + 1)
    response["Retry-After"] = str(seconds)
    return response
