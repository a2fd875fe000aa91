"""Staff pages for two-step sign-in: the second step after the password,
the first enrolment, and the "Sign-in security" page where staff add and
remove their own methods. All are admin pages (Django's admin templates)
under settings.ADMIN_URL + "account/"."""

from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import mark_safe
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from . import twofactor
from .forms import AddTOTPForm, RecoveryCodeForm, SavedCodesForm, TOTPVerifyForm

# The pages before the second factor are reached by a session that is
# signed in with the password only: staff_member_required lets it through
# (it is staff), the second_factor middleware keeps it to these pages.
staff_only = staff_member_required


def next_url(request: HttpRequest) -> str:
    """Where to go once done: the page first asked for, if it is ours."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("admin:index")


def with_next(request: HttpRequest, name: str) -> str:
    """The named page, passing on where to go once done."""
    url = reverse(name)
    if request.POST.get("next") or request.GET.get("next"):
        url += "?" + urlencode({"next": next_url(request)})
    return url


def page(request: HttpRequest, template: str, title: str, **context) -> HttpResponse:
    pending = twofactor.second_factor_pending(request)
    context = {
        # Before the second factor the header shows no admin links (the
        # page has its own "Sign out"); after it, the admin's as usual.
        **(admin.site.each_context(request) if not pending else {}),
        "site_header": admin.site.site_header,
        "site_title": admin.site.site_title,
        "has_permission": not pending,
        "pending": pending,
        "title": title,
        "next": next_url(request),
        **context,
    }
    return render(request, template, context)


@never_cache
@sensitive_post_parameters()
@staff_only
def verify(request: HttpRequest) -> HttpResponse:
    """Sign-in step two: a passkey, an authenticator code or a recovery
    code."""
    user = request.user
    if not twofactor.second_factor_pending(request):
        return redirect(next_url(request))
    if not twofactor.has_second_factor(user):
        return redirect("accounts:enrol")
    totp_form = recovery_form = None
    has_app = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    recovery = twofactor.recovery_device(user)
    if request.method == "POST":
        if request.POST.get("method") == "recovery":
            recovery_form = RecoveryCodeForm(request.POST, user=user)
            form = recovery_form
        else:
            totp_form = TOTPVerifyForm(request.POST, user=user)
            form = totp_form
        if form.is_valid():
            otp_login(request, form.device)
            if form is recovery_form:
                left = form.device.token_set.count()
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} "
                    f"{'is' if left == 1 else 'are'} left. If your phone or "
                    "passkey is lost, remove it and add a new one on the "
                    "Sign-in security page.",
                )
            return redirect(next_url(request))
    return page(
        request,
        "accounts/verify.html",
        "Sign-in step two",
        has_passkey=WebAuthnCredential.objects.filter(
            user=user, confirmed=True
        ).exists(),
        totp_form=(totp_form or TOTPVerifyForm(user=user)) if has_app else None,
        recovery_form=(
            (recovery_form or RecoveryCodeForm(user=user))
            if recovery and recovery.token_set.exists()
            else None
        ),
    )


@never_cache
@staff_only
def enrol(request: HttpRequest) -> HttpResponse:
    """The first second factor: a passkey or an authenticator app."""
    if twofactor.has_second_factor(request.user):
        if twofactor.second_factor_pending(request):
            return redirect("accounts:verify")
        return redirect("accounts:security")
    return page(request, "accounts/enrol.html", "Protect your account")


def totp_key_text(device: TOTPDevice) -> str:
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@never_cache
@sensitive_post_parameters()
@staff_only
def add_totp(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the code, type the first code."""
    user = request.user
    if twofactor.second_factor_pending(request) and twofactor.has_second_factor(user):
        # Adding a method needs the second factor first: a stolen password
        # alone must not be able to add the thief's phone.
        return redirect("accounts:verify")
    # One unconfirmed app at a time, kept until it is confirmed, so reloading
    # the page shows the same key as the phone already scanned.
    device = (
        TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    )
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name="Authenticator app", confirmed=False
        )
    form = AddTOTPForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        first = not twofactor.has_second_factor(user)
        device.refresh_from_db()
        device.confirmed = True
        device.name = form.cleaned_data["name"].strip() or "Authenticator app"
        device.save()
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        twofactor.device_added(request, device)
        if not user.is_verified():
            otp_login(request, device)
        if first or twofactor.recovery_device(user) is None:
            return redirect(with_next(request, "accounts:recovery-codes"))
        messages.success(request, f"The authenticator app “{device.name}” was added.")
        return redirect("accounts:security")
    qr = segno.make(device.config_url, error="m")
    return page(
        request,
        "accounts/add_totp.html",
        "Use an authenticator app",
        form=form,
        qr_svg=mark_safe(  # segno's own markup: no user input in it
            qr.svg_inline(scale=5, border=4, title="QR code for your authenticator app")
        ),
        key_text=totp_key_text(device),
        account_name=f"{settings.OTP_TOTP_ISSUER}: {user.get_username()}",
    )


@never_cache
@staff_only
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Recovery codes: shown once after they are made, until the staff
    member says they have saved them."""
    user = request.user
    if not twofactor.sign_in_methods(user):
        messages.info(request, "Add a passkey or an authenticator app first.")
        return redirect("accounts:security")
    if request.method == "POST" and request.POST.get("action") == "new":
        twofactor.make_recovery_codes(request, user)
        return redirect("accounts:recovery-codes")
    codes = request.session.get(twofactor.NEW_CODES_SESSION_KEY)
    if codes is None and twofactor.recovery_device(user) is None:
        # Straight after the first method: every account gets a set.
        codes = twofactor.make_recovery_codes(request, user)
    form = SavedCodesForm(request.POST if request.method == "POST" else None)
    if codes and request.method == "POST" and form.is_valid():
        del request.session[twofactor.NEW_CODES_SESSION_KEY]
        messages.success(
            request,
            "Two-step sign-in is on for your account. Each time you sign in you "
            "will be asked for your passkey or a code after your password.",
        )
        return redirect(
            next_url(request)
            if request.POST.get("next") or request.GET.get("next")
            else "accounts:security"
        )
    device = twofactor.recovery_device(user)
    return page(
        request,
        "accounts/recovery_codes.html",
        "Recovery codes",
        codes=codes,
        form=form,
        left=device.token_set.count() if device else 0,
        made_at=device.created_at if device else None,
    )


@never_cache
@staff_only
def recovery_codes_download(request: HttpRequest) -> HttpResponse:
    codes = request.session.get(twofactor.NEW_CODES_SESSION_KEY)
    if not codes:
        raise Http404("No new recovery codes to download.")
    text = "\n".join(
        [
            f"{settings.SITE_NAME} newsroom: recovery codes for "
            f"{request.user.get_username()}",
            "Each code works once, in place of your passkey or authenticator app.",
            "",
            *codes,
            "",
        ]
    )
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="recovery-codes.txt"'
    return response


@never_cache
@staff_only
def security(request: HttpRequest) -> HttpResponse:
    """Sign-in security: one's own methods, to add and remove."""
    user = request.user
    methods = twofactor.sign_in_methods(user)
    device = twofactor.recovery_device(user)
    return page(
        request,
        "accounts/security.html",
        "Sign-in security",
        passkeys=[m for m in methods if isinstance(m, WebAuthnCredential)],
        apps=[m for m in methods if isinstance(m, TOTPDevice)],
        codes_left=device.token_set.count() if device else None,
        required=settings.STAFF_REQUIRE_2FA,
        can_remove=len(methods) > 1 or not settings.STAFF_REQUIRE_2FA,
    )


def own_method(request: HttpRequest, kind: str, pk: int):
    models = {"passkey": WebAuthnCredential, "app": TOTPDevice}
    if kind not in models:
        raise Http404
    return get_object_or_404(models[kind], pk=pk, user=request.user, confirmed=True)


@never_cache
@staff_only
def remove_method(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    device = own_method(request, kind, pk)
    last = len(twofactor.sign_in_methods(request.user)) == 1
    if last and settings.STAFF_REQUIRE_2FA:
        messages.error(
            request,
            "This is your only way to sign in after your password, and staff "
            "accounts must have one. Add another passkey or authenticator app "
            "first, then remove this one.",
        )
        return redirect("accounts:security")
    if request.method == "POST":
        codes_went = twofactor.remove_device(request, device)
        message = f"The {twofactor.describe(device)} was removed."
        if codes_went:
            message += (
                " It was your last one, so your recovery codes were removed too: "
                "you now sign in with your password only."
            )
        messages.success(request, message)
        return redirect("accounts:security")
    return page(
        request,
        "accounts/remove_method.html",
        "Remove a sign-in method",
        device=device,
        what=twofactor.describe(device),
        last=last,
    )


@require_POST
@staff_only
def cancel_totp(request: HttpRequest) -> HttpResponse:
    TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
    return redirect(
        "accounts:enrol"
        if twofactor.second_factor_pending(request)
        else "accounts:security"
    )
