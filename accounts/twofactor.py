"""Two-factor sign-in for staff, on django-otp.

A staff member's second factors are django-otp devices: passkeys
(django_otp_webauthn's WebAuthnCredential), authenticator apps (TOTPDevice)
and one set of recovery codes (a StaticDevice whose tokens are used up one
by one). After the password, django-otp's middleware says whether this
session has also passed one of them (request.user.is_verified()); the
second_factor middleware keeps a session that has not, but must, on the
sign-in steps.
"""

import secrets

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from . import audit

RECOVERY_CODE_COUNT = 10
RECOVERY_CODES_NAME = "Recovery codes"
# Recovery codes just made, kept in the session until the staff member says
# they have saved them (they are shown, downloaded or printed from there).
NEW_CODES_SESSION_KEY = "accounts_new_recovery_codes"


def sign_in_methods(user) -> list:
    """The passkeys and authenticator apps a user has added (recovery codes
    are a fallback for these, not a method of their own)."""
    passkeys = WebAuthnCredential.objects.filter(user=user, confirmed=True)
    apps = TOTPDevice.objects.filter(user=user, confirmed=True)
    return [*passkeys.order_by("created_at"), *apps.order_by("pk")]


def recovery_device(user) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, name=RECOVERY_CODES_NAME).first()


def has_second_factor(user) -> bool:
    # One query for all three kinds: it runs on each admin request of a
    # staff member who has not passed a second factor.
    kinds = [
        model.objects.filter(user=user, confirmed=True).values("pk")
        for model in (WebAuthnCredential, TOTPDevice, StaticDevice)
    ]
    return kinds[0].union(*kinds[1:]).exists()


def second_factor_required(user) -> bool:
    """Must this user pass a second factor before reaching staff pages?"""
    if not (user.is_authenticated and user.is_active):
        return False
    return (settings.STAFF_REQUIRE_2FA and user.is_staff) or has_second_factor(user)


def second_factor_pending(request: HttpRequest) -> bool:
    """True for a session past the password but not yet the second factor
    it needs."""
    user = request.user
    return (
        user.is_authenticated
        and not user.is_verified()
        and second_factor_required(user)
    )


def describe(device) -> str:
    """A device in words, for the audit log and messages."""
    if isinstance(device, WebAuthnCredential):
        return f"passkey “{device.name}”"
    if isinstance(device, TOTPDevice):
        return f"authenticator app “{device.name}”"
    return "recovery codes"


def new_code() -> str:
    # 10 characters of an alphabet without look-alikes (0/O, 1/l/I): about
    # 50 bits, typed as two groups of five.
    alphabet = "23456789abcdefghjkmnpqrstuvwxyz"
    code = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{code[:5]}-{code[5:]}"


def normalise_code(code: str) -> str:
    code = "".join(code.lower().split()).replace("-", "")
    return f"{code[:5]}-{code[5:]}" if len(code) == 10 else code


@transaction.atomic
def make_recovery_codes(request: HttpRequest, user) -> list[str]:
    """Replace the user's recovery codes with a new set; the old ones stop
    working. The codes are stored as django-otp keeps them and kept in the
    session to be shown once."""
    device = recovery_device(user) or StaticDevice.objects.create(
        user=user, name=RECOVERY_CODES_NAME, confirmed=True
    )
    device.token_set.all().delete()
    codes = [new_code() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=code) for code in codes
    )
    audit.record(
        audit.Action.RECOVERY_CODES,
        request=request,
        target=f"user {user.get_username()}",
        detail=f"{len(codes)} new recovery codes; the old ones no longer work",
    )
    request.session[NEW_CODES_SESSION_KEY] = codes
    return codes


def device_added(request: HttpRequest, device) -> None:
    audit.record(
        audit.Action.TWO_FACTOR_ADDED,
        request=request,
        target=f"user {device.user.get_username()}",
        detail=f"{describe(device)} added",
    )


@transaction.atomic
def remove_device(request: HttpRequest, device) -> bool:
    """Remove one passkey or authenticator app. When it was the user's last,
    their recovery codes go too (they would otherwise be a second factor of
    their own). True if the recovery codes went."""
    user = device.user
    what = describe(device)
    device.delete()
    codes_removed = False
    if not sign_in_methods(user):
        codes = recovery_device(user)
        if codes is not None:
            codes.delete()
            codes_removed = True
            what += " (the last method, so the recovery codes too)"
    audit.record(
        audit.Action.TWO_FACTOR_REMOVED,
        request=request,
        target=f"user {user.get_username()}",
        detail=f"{what} removed",
    )
    return codes_removed


@transaction.atomic
def remove_all(request: HttpRequest, user) -> list[str]:
    """Remove every second factor of a user (an administrator's action for
    a lost phone); returns what went, in words."""
    removed = []
    for device in devices_for_user(user, confirmed=None):
        if not device.confirmed:
            device.delete()  # an enrolment left half-way: nothing to report
            continue
        removed.append(describe(device))
        device.delete()
    if removed:
        audit.record(
            audit.Action.TWO_FACTOR_REMOVED,
            request=request,
            target=f"user {user.get_username()}",
            detail="removed by an administrator: " + ", ".join(removed),
        )
    return removed
