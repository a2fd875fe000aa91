"""Two-step sign-in for staff (accounts/twofactor.py): enrolment, the
second step after the password, recovery codes, the staff member's own
"Sign-in security" page and an administrator removing a user's methods."""

import re
from base64 import b32decode
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent

from .factories import make_article

ADMIN = "/admin/"
STEP_TWO = reverse("accounts:verify")
ENROL = reverse("accounts:enrol")
ADD_APP = reverse("accounts:add-totp")
CODES = reverse("accounts:recovery-codes")
SECURITY = reverse("accounts:security")


@pytest.fixture
def required(settings):
    settings.STAFF_REQUIRE_2FA = True


def sign_in(client, username: str, next_url: str = ADMIN):
    """The password step, through the admin's own login form."""
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": f"pw-{username}-1", "next": next_url},
    )


def sign_out(client) -> None:
    assert client.post(reverse("admin:logout")).status_code == 200


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def code_for(key: str, seconds_from_now: int = 0) -> str:
    totp = TOTP(b32decode(key.replace(" ", "")))
    totp.time = timezone.now().timestamp() + seconds_from_now
    return f"{totp.token():06d}"


def enrol_app(client, next_url: str = ADMIN) -> tuple[str, list[str]]:
    """Set up an authenticator app from the page's key; returns the key and
    the recovery codes shown."""
    page = client.get(ADD_APP, {"next": next_url})
    assert page.status_code == 200
    assert "<svg" in page.content.decode()  # the QR code, inline
    key = re.search(r'id="totp-key">([A-Z2-7 ]+)<', page.content.decode())[1]
    response = client.post(
        ADD_APP, {"code": code_for(key), "name": "Ana’s phone", "next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(CODES)
    shown = client.get(response["Location"])
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", shown.content.decode())
    assert len(codes) == 10
    assert "shown only this once" in text(shown)
    return key, codes


def test_required_enrolment_end_to_end_then_a_code_at_each_sign_in(
    client, editor, required
):
    story = make_article(headline="Draft", status="draft")

    # The password alone leads to the enrolment, and nowhere else.
    response = sign_in(client, "editor")
    assert response.status_code == 302
    assert client.get(ADMIN)["Location"] == ENROL
    page = client.get(ENROL)
    assert "Use this device’s screen lock (passkey)" in text(page)
    assert "Use an authenticator app" in text(page)
    assert "Sign-in security" not in text(page)  # no admin links yet
    changelist = client.get("/admin/articles/article/")
    assert changelist.status_code == 302
    assert changelist["Location"].startswith(ENROL + "?next=")
    assert client.get(SECURITY).status_code == 302
    # Staff-only views outside the admin see a visitor: the preview is 404.
    assert (
        client.get(reverse("articles:article-preview", args=[story.pk])).status_code
        == 404
    )

    key, codes = enrol_app(client, next_url="/admin/articles/article/")

    # The codes can be downloaded while they are on screen.
    download = client.get(reverse("accounts:recovery-codes-download"))
    assert (
        download["Content-Disposition"] == 'attachment; filename="recovery-codes.txt"'
    )
    assert all(code in download.content.decode() for code in codes)
    # Going on needs the tick that they were saved.
    refused = client.post(CODES, {"next": "/admin/articles/article/"})
    assert "Tick the box once you have saved" in text(refused)
    done = client.post(CODES, {"saved": "on", "next": "/admin/articles/article/"})
    assert done["Location"] == "/admin/articles/article/"
    assert client.get("/admin/articles/article/").status_code == 200
    assert (
        client.get(reverse("articles:article-preview", args=[story.pk])).status_code
        == 200
    )
    # Shown once: the codes are gone from the page and the download.
    assert codes[0] not in text(client.get(CODES))
    assert client.get(reverse("accounts:recovery-codes-download")).status_code == 404
    assert list(
        AuditEvent.objects.filter(
            target="user editor", action__in=["2fa_added", "recovery_codes"]
        ).values_list("action", "detail")
    ) == [
        ("recovery_codes", "10 new recovery codes; the old ones no longer work"),
        ("2fa_added", "authenticator app “Ana’s phone” added"),
    ]

    # Next sign-in: the password, then a code.
    sign_out(client)
    sign_in(client, "editor")
    assert client.get(ADMIN)["Location"] == STEP_TWO
    assert client.get("/admin/articles/article/").status_code == 302
    step = client.get(STEP_TWO)
    assert "Type the code from your authenticator app" in text(step)
    assert "Use your passkey" not in text(step)  # the editor has none

    wrong = client.post(STEP_TWO, {"method": "totp", "code": "000000"})
    assert wrong.status_code == 200
    assert "That code is not right" in text(wrong)
    # django-otp's throttling: straight after a wrong code even the right
    # one waits, and the page says for how long.
    right = code_for(key, 30)
    throttled = client.post(STEP_TWO, {"method": "totp", "code": right})
    assert "Too many wrong codes in a row. Wait 1 second" in text(throttled)
    assert client.get(ADMIN).status_code == 302
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        passed = client.post(
            STEP_TWO, {"method": "totp", "code": right, "next": "/admin/"}
        )
        assert passed["Location"] == "/admin/"
        assert client.get(ADMIN).status_code == 200


def test_a_recovery_code_works_once(client, editor, required):
    sign_in(client, "editor")
    _, codes = enrol_app(client)
    sign_out(client)

    sign_in(client, "editor")
    response = client.post(
        STEP_TWO, {"method": "recovery", "recovery_code": codes[3].upper()}
    )
    assert response["Location"] == ADMIN
    assert "You signed in with a recovery code; 9 are left" in text(client.get(ADMIN))
    sign_out(client)

    sign_in(client, "editor")
    again = client.post(STEP_TWO, {"method": "recovery", "recovery_code": codes[3]})
    assert "That recovery code is not right, or it has been used already" in text(again)
    assert client.get(ADMIN).status_code == 302


def test_not_required_password_only_unless_a_method_was_added(
    client, editor, writer, settings
):
    settings.STAFF_REQUIRE_2FA = False
    sign_in(client, "writer")
    assert client.get(ADMIN).status_code == 200
    assert "You sign in with your password only" in text(client.get(SECURITY))
    sign_out(client)

    # The editor adds an app from their security page: then it is needed.
    sign_in(client, "editor")
    assert client.get(ADMIN).status_code == 200
    key, _ = enrol_app(client)
    client.post(CODES, {"saved": "on"})
    assert "Two-step sign-in is on" in text(client.get(SECURITY))
    sign_out(client)
    sign_in(client, "editor")
    assert client.get(ADMIN)["Location"] == STEP_TWO
    client.post(STEP_TWO, {"method": "totp", "code": code_for(key, 30)})
    assert client.get(ADMIN).status_code == 200


def test_a_password_only_session_cannot_add_a_method_when_one_exists(
    client, editor, settings
):
    settings.STAFF_REQUIRE_2FA = False
    sign_in(client, "editor")
    enrol_app(client)
    sign_out(client)
    sign_in(client, "editor")
    # A stolen password must not be able to add the thief's phone.
    for url in (ADD_APP, ENROL, CODES, SECURITY):
        assert client.get(url)["Location"].startswith(STEP_TWO), url
    assert (
        client.post(reverse("otp_webauthn:credential-registration-begin")).status_code
        == 403
    )
    assert TOTPDevice.objects.filter(user=editor).count() == 1


def test_removing_methods_on_the_security_page(client, editor, settings):
    settings.STAFF_REQUIRE_2FA = True
    sign_in(client, "editor")
    enrol_app(client)
    client.post(CODES, {"saved": "on"})
    app = TOTPDevice.objects.get(user=editor)
    remove = reverse("accounts:remove-method", args=["app", app.pk])

    # Required: the last method stays.
    assert "Remove" not in text(client.get(SECURITY)).split("Recovery codes")[0]
    response = client.post(remove, follow=True)
    assert "This is your only way to sign in after your password" in text(response)
    assert TOTPDevice.objects.filter(pk=app.pk).exists()

    # Not required: it goes, and the recovery codes with it.
    settings.STAFF_REQUIRE_2FA = False
    confirm = client.get(remove)
    assert "your recovery codes will be removed too" in text(confirm)
    response = client.post(remove, follow=True)
    assert "you now sign in with your password only" in text(response)
    assert not TOTPDevice.objects.filter(user=editor).exists()
    assert not StaticDevice.objects.filter(user=editor).exists()
    assert (
        AuditEvent.objects.filter(action="2fa_removed", target="user editor")
        .first()
        .detail.startswith("authenticator app “Ana’s phone” (the last method")
    )
    # Someone else's method is not found.
    assert (
        client.get(reverse("accounts:remove-method", args=["app", 999])).status_code
        == 404
    )
    assert (
        client.get(reverse("accounts:remove-method", args=["x", 1])).status_code == 404
    )


def test_administrator_removes_a_users_methods(client, editor, administrator, settings):
    settings.STAFF_REQUIRE_2FA = True
    sign_in(client, "editor")
    enrol_app(client)
    sign_out(client)

    # An editor cannot remove anyone's methods (they have passed step two).
    editor_client = client
    settings.STAFF_REQUIRE_2FA = False
    remove_url = reverse("admin:auth_user_remove_second_factors", args=[editor.pk])
    sign_in(editor_client, "editor")
    TOTPDevice.objects.filter(user=editor).update(throttling_failure_count=0)
    device = TOTPDevice.objects.get(user=editor)
    totp = TOTP(device.bin_key)
    totp.time = timezone.now().timestamp() + 30
    editor_client.post(STEP_TWO, {"method": "totp", "code": f"{totp.token():06d}"})
    assert editor_client.get(ADMIN).status_code == 200
    assert editor_client.post(remove_url).status_code == 403
    sign_out(editor_client)

    # The administrator (no methods, not required here) sees and removes them.
    client.force_login(administrator)
    change = client.get(reverse("admin:auth_user_change", args=[editor.pk]))
    assert "Remove two-step sign-in" in text(change)
    assert "authenticator app “Ana’s phone”; 10 recovery codes left" in text(change)
    confirm = client.get(remove_url)
    assert "Yes, remove them" in text(confirm)
    done = client.post(remove_url, follow=True)
    assert (
        "Removed authenticator app “Ana’s phone”, recovery codes from editor"
        in text(done)
    )
    assert "None: signs in with the password only." in text(done)
    assert not TOTPDevice.objects.filter(user=editor).exists()
    assert not StaticDevice.objects.filter(user=editor).exists()

    # The audit log shows it to the administrator.
    log = client.get("/admin/accounts/auditevent/?action__exact=2fa_removed")
    assert "Two-factor method removed" in text(log)
    assert "user editor" in text(log)
    event = AuditEvent.objects.get(action="2fa_removed")
    assert event.actor == administrator
    assert event.detail == (
        "removed by an administrator: authenticator app “Ana’s phone”, recovery codes"
    )

    # With 2FA required, the editor is asked to enrol again.
    sign_out(client)
    settings.STAFF_REQUIRE_2FA = True
    sign_in(client, "editor")
    assert client.get(ADMIN)["Location"] == ENROL


def test_sign_in_security_is_in_the_admins_user_tools(client, editor, settings):
    settings.STAFF_REQUIRE_2FA = False
    client.force_login(editor)
    index = client.get(ADMIN)
    tools = re.search(r'<div id="user-tools">.*?</div>', text(index))[0]
    assert f'<a href="{SECURITY}">Sign-in security</a>' in tools
    assert tools.index("Sign-in security") < tools.index("Change password")


def test_bad_codes_never_give_a_server_error(client, editor, required):
    sign_in(client, "editor")
    enrol_app(client)
    sign_out(client)
    sign_in(client, "editor")
    for data in (
        {"method": "totp", "code": "\x00"},
        {"method": "totp", "code": "12345678901"},
        {"method": "totp"},
        {"method": "recovery", "recovery_code": "\x00" * 30},
        {"method": "other", "code": "abc"},
        {"next": "https://evil.example.com/"},
    ):
        assert client.post(STEP_TWO, data).status_code == 200, data
    refused = client.post(
        STEP_TWO, {"method": "recovery", "recovery_code": "'; drop table --"}
    )
    assert "A recovery code is 10 letters and digits" in text(refused)
    refused = client.post(STEP_TWO, {"method": "recovery", "recovery_code": "\x00"})
    assert "Null characters are not allowed" in text(refused)
    assert "6 digits your authenticator app shows" in text(
        client.post(STEP_TWO, {"method": "totp", "code": "12a456"})
    )
    response = client.post(
        ADD_APP, {"code": "\x00", "next": "https://evil.example.com/"}
    )
    assert response.status_code == 302  # pending with a method: to step two
    # Signing out is open from the step too.
    sign_out(client)
    assert client.get(STEP_TWO)["Location"].startswith(reverse("admin:login"))
