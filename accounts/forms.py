import re

from django import forms
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import twofactor


def throttled_message(devices) -> str | None:
    """django-otp makes each device wait longer after each wrong code; say
    how long, in words, if every device is still waiting."""
    waits = []
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if allowed:
            return None
        waits.append(data.get("locked_until") or timezone.now())
    if not waits:
        return None
    seconds = max(1, round((min(waits) - timezone.now()).total_seconds() + 0.5))
    return (
        "Too many wrong codes in a row. Wait "
        f"{seconds} second{'s' if seconds != 1 else ''} and try again "
        "with the newest code."
    )


class CodeForm(forms.Form):
    """The six digits an authenticator app shows, checked against one or
    more of the user's apps."""

    code = forms.CharField(
        label="6-digit code",
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": r"[0-9 ]*",
                "autofocus": True,
                "size": 8,
            }
        ),
    )

    def __init__(self, *args, devices_query=None, **kwargs):
        self.devices_query = devices_query
        self.device = None
        super().__init__(*args, **kwargs)

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError(
                "Type the 6 digits your authenticator app shows now."
            )
        with transaction.atomic():
            # Locked so two tries at once cannot both use the same code.
            devices = list(self.devices_query.select_for_update())
            message = throttled_message(devices)
            if message:
                raise forms.ValidationError(message)
            for device in devices:
                if device.verify_token(code):
                    self.device = device
                    return code
        raise forms.ValidationError(
            "That code is not right. Check that the phone's clock is right and "
            "type the code the app shows now (it changes every 30 seconds)."
        )


class TOTPVerifyForm(CodeForm):
    def __init__(self, *args, user, **kwargs):
        super().__init__(
            *args,
            devices_query=TOTPDevice.objects.filter(user=user, confirmed=True),
            **kwargs,
        )


class RecoveryCodeForm(forms.Form):
    recovery_code = forms.CharField(
        label="Recovery code",
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "size": 14}
        ),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        self.device = None
        super().__init__(*args, **kwargs)

    def clean_recovery_code(self) -> str:
        code = twofactor.normalise_code(self.cleaned_data["recovery_code"])
        if not re.fullmatch(r"[a-z0-9-]{1,16}", code):
            raise forms.ValidationError(
                "A recovery code is 10 letters and digits, like abcde-23456."
            )
        with transaction.atomic():
            devices = list(
                StaticDevice.objects.filter(
                    user=self.user, confirmed=True
                ).select_for_update()
            )
            message = throttled_message(devices)
            if message:
                raise forms.ValidationError(message.replace("codes", "recovery codes"))
            for device in devices:
                # A match is deleted: each recovery code works once.
                if device.verify_token(code):
                    self.device = device
                    return code
        raise forms.ValidationError(
            "That recovery code is not right, or it has been used already."
        )


class AddTOTPForm(CodeForm):
    """Confirms a new authenticator app: its first code proves it was set up
    with the key shown."""

    name = forms.CharField(
        label="A name for it (optional)",
        help_text="To tell your phones apart later, e.g. “Ana’s phone”.",
        max_length=64,
        required=False,
    )

    def __init__(self, *args, device, **kwargs):
        super().__init__(
            *args, devices_query=TOTPDevice.objects.filter(pk=device.pk), **kwargs
        )


class SavedCodesForm(forms.Form):
    saved = forms.BooleanField(
        label="I have saved these recovery codes somewhere safe.",
        error_messages={
            "required": "Tick the box once you have saved or printed the codes."
        },
    )
