"""Staff sessions: idle expiry, the "Your sessions" page, signing out
elsewhere and everywhere (accounts/sessions.py)."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent

from .factories import make_article

LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
SESSIONS = reverse("accounts:sessions")
USERS = reverse("admin:auth_user_changelist")

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def browser(user_agent: str, address: str) -> Client:
    return Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)


def sign_in(client: Client, username: str) -> None:
    response = client.post(
        LOGIN,
        {"username": username, "password": f"pw-{username}-1", "next": INDEX},
    )
    assert response.status_code == 302, response.content


def signed_in(client: Client) -> bool:
    return client.get(INDEX).status_code == 200


def test_idle_session_expires_and_a_used_one_slides(editor, settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = browser(CHROME_WINDOWS, "203.0.113.5")
        sign_in(client, "editor")
        assert client.cookies["sessionid"]["max-age"] == 12 * 3600
        clock.move_to(start + timedelta(hours=11))
        assert signed_in(client)
        # Eleven hours after that request, 22 after signing in: still on.
        clock.move_to(start + timedelta(hours=22))
        assert signed_in(client)
        # Twelve hours and a bit without a request: signed out.
        clock.move_to(start + timedelta(hours=34, minutes=2))
        response = client.get(INDEX)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)


def test_idle_limit_comes_from_the_setting(editor, settings):
    settings.SESSION_COOKIE_AGE = 3600
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = browser(CHROME_WINDOWS, "203.0.113.5")
        sign_in(client, "editor")
        clock.move_to(start + timedelta(minutes=50))
        assert signed_in(client)
        clock.move_to(start + timedelta(minutes=112))
        assert not signed_in(client)


def test_readers_get_no_cookie_and_pages_still_come_from_the_cache(client, editor):
    story = make_article(headline="Harbour opens")
    staff = browser(CHROME_WINDOWS, "203.0.113.5")
    sign_in(staff, "editor")
    staff.get(story.get_absolute_url())
    for url in ("/", story.get_absolute_url()):
        first = client.get(url)
        second = client.get(url)
        assert first.status_code == second.status_code == 200
        assert not first.cookies and not second.cookies
        assert "Set-Cookie" not in second.headers
        assert second["X-Page-Cache"] == "hit"
    assert not client.cookies


def test_sessions_page_lists_device_address_last_seen_and_this_session(editor):
    laptop = browser(CHROME_WINDOWS, "203.0.113.5")
    phone = browser(SAFARI_IPHONE, "198.51.100.9")
    sign_in(laptop, "editor")
    with time_machine.travel(timezone.now() - timedelta(hours=3)):
        sign_in(phone, "editor")
        phone.get(INDEX)

    page = laptop.get(SESSIONS)
    assert page.status_code == 200
    rows = page.text.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == 2
    assert "Chrome on Windows" in rows[0]
    assert "(this session)" in rows[0]
    assert "203.0.113.5" in rows[0]
    assert "now" in rows[0]
    assert "Mobile Safari on iPhone (iOS)" in rows[1]
    assert "198.51.100.9" in rows[1]
    assert "3\xa0hours ago" in rows[1]
    assert "(this session)" not in rows[1]
    assert "Sign out the other 1 session" in page.text
    # Linked from the admin's user tools.
    assert f'href="{SESSIONS}"' in laptop.get(INDEX).text


def test_sign_out_others_ends_the_others_but_not_this_one(editor, writer):
    laptop = browser(CHROME_WINDOWS, "203.0.113.5")
    phone = browser(SAFARI_IPHONE, "198.51.100.9")
    tablet = browser(SAFARI_IPHONE, "198.51.100.10")
    colleague = browser(CHROME_WINDOWS, "203.0.113.6")
    for client in (laptop, phone, tablet):
        sign_in(client, "editor")
    sign_in(colleague, "writer")

    response = laptop.post(SESSIONS, follow=True)
    assert "2 other sessions signed out." in response.text
    assert "You are signed in nowhere else." in response.text
    assert signed_in(laptop)
    assert not signed_in(phone)
    assert not signed_in(tablet)
    assert signed_in(colleague)
    event = AuditEvent.objects.get(action="sessions_ended")
    assert (event.actor, event.target) == (editor, "user editor")
    assert event.detail == "2 sessions signed out by the user"
    assert event.address == "203.0.113.5"


def test_sessions_page_is_for_signed_in_staff_only(client, editor):
    response = client.get(SESSIONS)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    editor.is_staff = False
    editor.save()
    client.force_login(editor)
    assert client.get(SESSIONS).status_code == 302
    assert client.post(SESSIONS).status_code == 302


def sign_out_everywhere(client: Client, users):
    return client.post(
        USERS,
        {
            "action": "sign_out_everywhere",
            "_selected_action": [user.pk for user in users],
            "index": "0",
        },
        follow=True,
    )


def test_an_administrator_signs_an_account_out_everywhere(
    editor, writer, administrator
):
    laptop = browser(CHROME_WINDOWS, "203.0.113.5")
    phone = browser(SAFARI_IPHONE, "198.51.100.9")
    colleague = browser(CHROME_WINDOWS, "203.0.113.6")
    sign_in(laptop, "editor")
    sign_in(phone, "editor")
    sign_in(colleague, "writer")
    chief = browser(CHROME_WINDOWS, "192.0.2.1")
    sign_in(chief, "admin")

    response = sign_out_everywhere(chief, [editor])
    assert "2 sessions signed out." in response.text
    assert not signed_in(laptop)
    assert not signed_in(phone)
    assert signed_in(colleague)
    assert signed_in(chief)
    event = AuditEvent.objects.get(action="sessions_ended")
    assert (event.actor, event.target) == (administrator, "user editor")
    assert "by an administrator" in event.detail


def test_editors_cannot_sign_others_out(editor, writer):
    colleague = browser(CHROME_WINDOWS, "203.0.113.6")
    sign_in(colleague, "writer")
    client = browser(CHROME_WINDOWS, "203.0.113.5")
    sign_in(client, "editor")
    assert sign_out_everywhere(client, [writer]).status_code == 403
    assert signed_in(colleague)
    assert not AuditEvent.objects.filter(action="sessions_ended").exists()


@pytest.mark.parametrize(
    "user_agent, words",
    [
        (CHROME_WINDOWS, "Chrome on Windows"),
        (SAFARI_IPHONE, "Mobile Safari on iPhone (iOS)"),
        ("", "Unknown device"),
        ("curl/8.5.0", "curl on Other"),
    ],
)
def test_devices_in_plain_words(user_agent, words):
    from accounts.sessions import device

    assert device(user_agent) == words
