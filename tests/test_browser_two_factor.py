"""Passkeys in headless Chromium with a virtual authenticator (the DevTools
WebAuthn domain): added on the security page, then used to sign in.

The live server is http://localhost:<port>: passkeys need a domain, and
"localhost" is the relying party ID in development."""

import re

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from accounts.models import AuditEvent

from .test_browser import SCREENSHOTS, browser  # noqa: F401 (fixture)
from .test_browser_workflow import DESKTOP, log_in, log_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def with_authenticator(browser, viewport):  # noqa: F811
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return page, cdp, added["authenticatorId"]


def click_passkey_button(page, selector: str) -> None:
    """The library's script puts the button in when it has checked the
    browser can make passkeys; its messages come from the translation
    catalogue, loaded async: wait for both, as a person's click would."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("typeof window.gettext === 'function'")
    page.click(selector)


def test_editor_adds_a_passkey_then_signs_in_with_password_and_passkey(
    browser,  # noqa: F811
    live_server,
    editor,
    settings,
):
    settings.STAFF_REQUIRE_2FA = False
    assert live_server.url.startswith("http://localhost:")
    page, cdp, authenticator = with_authenticator(browser, DESKTOP)

    log_in(page, live_server, "editor")
    page.click("#user-tools a:has-text('Sign-in security')")
    expect(page.locator("h1")).to_have_text("Sign-in security")
    expect(page.locator("#content")).to_contain_text(
        "You sign in with your password only"
    )
    click_passkey_button(page, "#passkey-register-button")
    # The first method: recovery codes next, shown once.
    expect(page.locator("h1")).to_have_text("Recovery codes")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.check("#id_saved")
    page.click("button:has-text('Continue')")
    expect(page.locator(".messagelist")).to_contain_text("Two-step sign-in is on")
    expect(page.locator(".two-factor__methods").first).to_contain_text("Passkey")
    credentials = cdp.send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator}
    )
    assert len(credentials["credentials"]) == 1
    assert WebAuthnCredential.objects.filter(user=editor).count() == 1
    assert AuditEvent.objects.filter(
        action="2fa_added", target="user editor", detail__startswith="passkey"
    ).exists()
    log_out(page)

    # Password, then the passkey: the admin opens.
    page.goto(live_server.url + "/admin/articles/article/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "pw-editor-1")
    page.click("input[type=submit]")
    expect(page.locator("h1")).to_have_text("Sign-in step two")
    click_passkey_button(page, "#passkey-verification-button")
    expect(page).to_have_url(re.compile(r"/admin/articles/article/$"))
    expect(page.locator("#user-tools")).to_contain_text("Log out")
    page.context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=SCREENSHOTS / f"two-factor-{name}-{width}.png", full_page=True)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_required_enrolment_with_a_passkey_as_an_editor_sees_it(
    browser,  # noqa: F811
    live_server,
    editor,
    settings,
    viewport,
):
    settings.STAFF_REQUIRE_2FA = True
    page, _, _ = with_authenticator(browser, viewport)
    page.goto(live_server.url + "/admin/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "pw-editor-1")
    page.click("input[type=submit]")
    expect(page.locator("h1")).to_have_text("Protect your account")
    expect(page.locator("#user-tools")).to_have_count(0)
    shot(page, "enrol")

    # A look at the authenticator-app steps, then back.
    page.click("a:has-text('Use an authenticator app')")
    expect(page.locator("h1")).to_have_text("Use an authenticator app")
    expect(page.locator(".two-factor__qr svg")).to_be_visible()
    page.click("summary:has-text('Type this key instead')")
    expect(page.locator("#totp-key")).to_have_text(re.compile(r"^([A-Z2-7]{4} ){7}"))
    shot(page, "add-app")
    page.click("button:has-text('Cancel and go back')")
    expect(page.locator("h1")).to_have_text("Protect your account")

    click_passkey_button(page, "#passkey-register-button")
    expect(page.locator("h1")).to_have_text("Recovery codes")
    shot(page, "recovery-codes")
    page.click("button:has-text('Continue')")
    expect(page.locator(".errornote")).to_contain_text("Tick the box")
    page.check("#id_saved")
    page.click("button:has-text('Continue')")
    expect(page.locator(".messagelist")).to_contain_text("Two-step sign-in is on")
    expect(page).to_have_url(live_server.url + "/admin/")
    page.goto(live_server.url + "/admin/account/security/")
    shot(page, "security")
    log_out(page)

    log_in_page = live_server.url + "/admin/login/?next=/admin/"
    page.goto(log_in_page)
    page.fill("#id_username", "editor")
    page.fill("#id_password", "pw-editor-1")
    page.click("input[type=submit]")
    expect(page.locator("h1")).to_have_text("Sign-in step two")
    page.click("summary:has-text('Use a recovery code')")
    shot(page, "step-two")
    click_passkey_button(page, "#passkey-verification-button")
    expect(page).to_have_url(live_server.url + "/admin/")
    expect(page.locator("#user-tools")).to_contain_text("Sign-in security")
    page.context.close()
