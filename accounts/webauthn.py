"""Passkeys (WebAuthn) through django-otp-webauthn: its views and browser
scripts, with the audit log and the development origins added.

The URL namespace stays "otp_webauthn": the library's template tags and
scripts reverse their endpoints by it.
"""

import json

from django.conf import settings
from django.urls import path
from django.utils import timezone
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import helpers, views
from django_otp_webauthn.models import WebAuthnCredential

from . import twofactor


class WebAuthnHelper(helpers.WebAuthnHelper):
    def get_allowed_origins(self) -> list[str]:
        origins = list(settings.OTP_WEBAUTHN_ALLOWED_ORIGINS)
        if settings.DEV:
            # runserver and the tests' live server listen on any port of
            # localhost: the address this request came to is the origin.
            origins.append(f"{self.request.scheme}://{self.request.get_host()}")
        return origins

    def get_credential_name(self, user) -> str:
        return user.get_username()

    def create_credential(self, user, response, credential, original_data):
        device = super().create_credential(user, response, credential, original_data)
        # Named so a staff member can tell their passkeys apart on the
        # security page (the library leaves the name empty; the caller saves).
        device.name = f"Passkey added {timezone.localtime():%-d %b %Y, %H:%M}"
        return device


class CompleteRegistration(views.CompleteCredentialRegistrationView):
    """The library's last registration step, audited."""

    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            device = WebAuthnCredential.objects.get(
                pk=json.loads(response.content)["id"]
            )
            twofactor.device_added(self.request, device)
        return response


app_name = "otp_webauthn"

urlpatterns = [
    path(
        "registration/begin/",
        views.BeginCredentialRegistrationView.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        CompleteRegistration.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        views.BeginCredentialAuthenticationView.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        views.CompleteCredentialAuthenticationView.as_view(),
        name="credential-authentication-complete",
    ),
    # The scripts' messages (the library's own translation catalogue).
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
