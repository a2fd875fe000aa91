"""Keep a session that has passed the password but not its second factor
on the sign-in steps (see accounts/twofactor.py).

Such a session is not signed in for anything else: admin pages send it to
the next step, and everywhere outside the admin (the preview of a story,
any staff-only view) it is an anonymous visitor.
"""

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import resolve, reverse
from django.urls.exceptions import Resolver404

from . import twofactor

# The pages a half-signed-in session may open: the steps themselves, the
# passkey endpoints they call, and signing out. Which step (verify or
# enrol) is checked by the views and the passkey library themselves.
STEP_VIEWS = {
    "accounts:verify",
    "accounts:enrol",
    "accounts:add-totp",
    "accounts:cancel-totp",
    "otp_webauthn:credential-authentication-begin",
    "otp_webauthn:credential-authentication-complete",
    "otp_webauthn:credential-registration-begin",
    "otp_webauthn:credential-registration-complete",
    "otp_webauthn:js-i18n-catalog",
    "admin:logout",
    "admin:jsi18n",
}


def second_factor(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    admin_prefix = f"/{settings.ADMIN_URL}"

    def middleware(request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or not twofactor.second_factor_pending(request):
            return get_response(request)
        if not request.path_info.startswith(admin_prefix):
            request.user = AnonymousUser()
            return get_response(request)
        try:
            view_name = resolve(request.path_info).view_name
        except Resolver404:
            view_name = ""
        if view_name in STEP_VIEWS:
            return get_response(request)
        step = (
            "accounts:verify" if twofactor.has_second_factor(user) else "accounts:enrol"
        )
        url = reverse(step)
        if request.method == "GET" and view_name not in ("admin:login", "admin:index"):
            url += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(url)

    return middleware
