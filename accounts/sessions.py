"""Staff sessions: each one's device, address and last request, on
django-qsessions (Django's database sessions with the user, address and
browser on each row).

A staff member sees their own sessions at <ADMIN_URL>account/sessions/ and
can sign out all the others; an administrator can sign a user out
everywhere from the admin's user list (accounts/admin.py). Sessions expire
after STAFF_SESSION_IDLE_SECONDS without a request (settings.py).
"""

import time

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.signals import user_logged_in
from django.db import DatabaseError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from qsessions.middleware import SessionMiddleware as QSessionMiddleware
from qsessions.models import Session

from . import audit
from .audit import Action

# When the session was last saved for being used, in its data.
SEEN_KEY = "_seen"
# A session used again is saved (its expiry moved on, its "last seen" and
# address updated) at most this often: a save costs four queries.
SEEN_EVERY_SECONDS = 60


class SessionMiddleware(QSessionMiddleware):
    """qsessions' middleware, with the address by the site's one rule
    (the proxy's X-Forwarded-For only when USE_X_FORWARDED_FOR trusts it),
    and sliding expiry: a session in use is saved again every minute, so
    it ends STAFF_SESSION_IDLE_SECONDS (SESSION_COOKIE_AGE) after the
    last request, give or take a minute."""

    def process_request(self, request: HttpRequest) -> None:
        request.session = self.SessionStore(
            ip=audit.client_address(request),
            # PostgreSQL text holds no NUL; a header may bring one.
            user_agent=request.headers.get("User-Agent", "").replace("\0", ""),
            session_key=request.COOKIES.get(settings.SESSION_COOKIE_NAME),
        )

    def process_response(self, request: HttpRequest, response: HttpResponse):
        session = getattr(request, "session", None)
        # Only a session this request read (a signed-in one): readers have
        # none, and their pages must stay free of cookies.
        if session is not None and session.accessed and not session.is_empty():
            try:
                stamp(session)
            except DatabaseError:
                # The database is down: the session cannot be read, and the
                # outage page (newsroom/outage.py) is the answer already.
                pass
        return super().process_response(request, response)


def stamp(session, force: bool = False) -> None:
    now = int(time.time())
    if force or now - session.get(SEEN_KEY, 0) >= SEEN_EVERY_SECONDS:
        session[SEEN_KEY] = now


@receiver(user_logged_in)
def stamp_new_session(sender, request, user, **kwargs) -> None:
    stamp(request.session, force=True)


def device(user_agent: str | None) -> str:
    """The browser and system in plain words: "Chrome on Windows",
    "Mobile Safari on iPhone (iOS)"; "Unknown device" without a user agent."""
    if not user_agent:
        return "Unknown device"
    from ua_parser import parse  # parsing tables are loaded on first use

    found = parse(user_agent)
    browser = found.user_agent.family if found.user_agent else "Other"
    system = found.os.family if found.os else "Other"
    hardware = found.device.family if found.device else "Other"
    if browser == "Other" and system == "Other":
        return f"Unknown device ({user_agent[:60]})"
    words = f"{browser} on {system}"
    if hardware not in ("Other", "Mac", "Generic Smartphone", system):
        words = f"{browser} on {hardware} ({system})"
    return words


def idle_words(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = seconds // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def active_sessions(user):
    return Session.objects.filter(user=user, expire_date__gt=timezone.now())


def end_sessions(request: HttpRequest, user, sessions, detail: str) -> int:
    """Sign out `sessions` (of `user`), recorded as done by request.user."""
    count = len(sessions)
    # Deleted one by one: qsessions' delete() also drops a cached copy.
    for session in sessions:
        session.delete()
    if count:
        audit.record(
            Action.SESSIONS_ENDED,
            request=request,
            target=f"user {user.get_username()}",
            detail=f"{count} {'session' if count == 1 else 'sessions'} {detail}",
        )
    return count


@require_http_methods(["GET", "POST"])
def sessions_view(request: HttpRequest) -> HttpResponse:
    current = request.session.session_key
    if request.method == "POST":
        others = list(active_sessions(request.user).exclude(session_key=current))
        count = end_sessions(request, request.user, others, "signed out by the user")
        if count:
            noun = "session" if count == 1 else "sessions"
            messages.success(request, f"{count} other {noun} signed out.")
        else:
            messages.info(request, "There were no other sessions to sign out.")
        return redirect("accounts:sessions")
    sessions = [
        {
            "device": device(session.user_agent),
            "address": session.ip or "unknown",
            "last_seen": session.updated_at,
            "started": session.created_at,
            "current": session.session_key == current,
        }
        for session in active_sessions(request.user).order_by("-updated_at")
    ]
    sessions.sort(key=lambda row: not row["current"])
    return TemplateResponse(
        request,
        "accounts/sessions.html",
        {
            **admin.site.each_context(request),
            "title": "Your sessions",
            "sessions": sessions,
            "others": sum(not row["current"] for row in sessions),
            "idle_hours": idle_words(settings.STAFF_SESSION_IDLE_SECONDS),
        },
    )


# Staff only, signed in through the admin's login page like the admin.
sessions_view = admin.site.admin_view(sessions_view)
