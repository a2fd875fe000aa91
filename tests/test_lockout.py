"""Sign-in throttling and lockout (accounts/lockout.py, django-axes)."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from qsessions.models import Session

from accounts.models import AuditEvent
from articles.roles import ADMINISTRATOR, EDITOR, WRITER, setup_roles

LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
ATTEMPTS = reverse("admin:axes_accessattempt_changelist")
AUDIT = reverse("admin:accounts_auditevent_changelist")


@pytest.fixture(autouse=True)
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_LIMIT_PER_USERNAME = 5
    settings.LOGIN_LOCKOUT_MINUTES = 15
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def sign_in(username: str, password: str, address="203.0.113.5", **headers):
    """A fresh browser posting the admin's login form; returns the response
    and the client (signed in or not)."""
    client = Client()
    response = client.post(
        LOGIN,
        {"username": username, "password": password, "next": INDEX},
        REMOTE_ADDR=address,
        headers=headers,
    )
    return response, client


def signed_in(client: Client) -> bool:
    return client.get(INDEX).status_code == 200


def fail(username: str, times: int, address="203.0.113.5", **headers):
    for _ in range(times):
        response, _ = sign_in(username, "wrong-password", address, **headers)
    return response


def test_wrong_passwords_lock_the_pair_and_the_page_says_when_to_retry(editor):
    response = fail("editor", 2)
    # Below the limit: the login form again, with Django's message.
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.text

    with time_machine.travel(timezone.now(), tick=False):
        response = fail("editor", 1)
        assert response.status_code == 429
        until = timezone.localtime(timezone.now() + timedelta(minutes=15))
    assert "Too many attempts to sign in" in response.text
    assert f"You can try again after <strong>{until:%H:%M}" in response.text
    assert 'id="site-name"' in response.text  # the admin's look
    assert int(response["Retry-After"]) == 15 * 60 + 1

    # Now even the right password is refused, and nobody is signed in.
    response, client = sign_in("editor", "pw-editor-1")
    assert response.status_code == 429
    assert "try again after" in response.text
    assert not signed_in(client)


def test_a_locked_out_pair_is_refused_before_the_password_is_hashed(
    editor, monkeypatch
):
    checks = []
    original = ModelBackend.authenticate

    def counted(self, *args, **kwargs):
        checks.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counted)
    fail("editor", 3)
    assert len(checks) == 3
    sign_in("editor", "pw-editor-1")
    fail("editor", 4)
    assert len(checks) == 3


def test_other_users_and_other_addresses_are_not_locked_out(editor, writer):
    fail("editor", 3, address="203.0.113.5")
    assert sign_in("editor", "pw-editor-1", "203.0.113.5")[0].status_code == 429
    # The same account from another address, another account from this one.
    assert signed_in(sign_in("editor", "pw-editor-1", "198.51.100.20")[1])
    assert signed_in(sign_in("writer", "pw-writer-1", "203.0.113.5")[1])


def test_the_lockout_ends_after_the_cool_off(editor):
    fail("editor", 3)
    with time_machine.travel(timezone.now() + timedelta(minutes=14)):
        assert sign_in("editor", "pw-editor-1")[0].status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert signed_in(sign_in("editor", "pw-editor-1")[1])


def test_many_addresses_guessing_one_name_lock_the_name_everywhere(editor):
    # Two wrong passwords from each of three addresses: no pair reaches its
    # limit of 3, but the name passes its own limit of 5.
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        fail("editor", 2, address=address)
    response, client = sign_in("editor", "pw-editor-1", "198.51.100.99")
    assert response.status_code == 429
    assert not signed_in(client)


def test_a_name_under_its_own_limit_signs_in_from_elsewhere(editor):
    for address in ("192.0.2.1", "192.0.2.2"):
        fail("editor", 2, address=address)
    assert signed_in(sign_in("editor", "pw-editor-1", "198.51.100.99")[1])


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(editor, settings):
    settings.USE_X_FORWARDED_FOR = False
    # A client inventing a new X-Forwarded-For each time is still one address.
    for hop in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        fail("editor", 1, address="127.0.0.1", **{"X-Forwarded-For": hop})
    response, _ = sign_in(
        "editor", "pw-editor-1", "127.0.0.1", **{"X-Forwarded-For": "192.0.2.9"}
    )
    assert response.status_code == 429
    assert set(
        AuditEvent.objects.filter(action="login_failed").values_list(
            "address", flat=True
        )
    ) == {"127.0.0.1"}


def test_forwarded_for_tells_readers_apart_behind_a_trusted_proxy(editor, settings):
    settings.USE_X_FORWARDED_FOR = True
    # nginx appends the reader's address: the last hop is the one to trust.
    forwarded = {"X-Forwarded-For": "10.9.9.9, 192.0.2.1"}
    fail("editor", 3, address="127.0.0.1", **forwarded)
    assert (
        sign_in("editor", "pw-editor-1", "127.0.0.1", **forwarded)[0].status_code == 429
    )
    other = {"X-Forwarded-For": "10.9.9.9, 192.0.2.2"}
    assert signed_in(sign_in("editor", "pw-editor-1", "127.0.0.1", **other)[1])
    assert AccessAttempt.objects.get().ip_address == "192.0.2.1"
    assert AuditEvent.objects.filter(action="login").get().address == "192.0.2.2"


def test_a_forwarded_for_that_is_no_address_falls_back_to_the_peer(editor, settings):
    settings.USE_X_FORWARDED_FOR = True
    response = fail("editor", 1, address="127.0.0.1", **{"X-Forwarded-For": "<x>"})
    assert response.status_code == 200
    assert AccessAttempt.objects.get().ip_address == "127.0.0.1"


def test_a_lockout_is_audited_once_and_each_refusal_as_a_failed_sign_in(editor):
    fail("editor", 3)
    fail("editor", 2)
    lockouts = AuditEvent.objects.filter(action="locked_out")
    assert [(e.username, e.address) for e in lockouts] == [("editor", "203.0.113.5")]
    failures = AuditEvent.objects.filter(action="login_failed")
    assert [e.detail for e in failures.order_by("pk")] == [
        "wrong username or password"
    ] * 3 + ["refused: locked out"] * 2


def lift_lockout(client: Client, attempts):
    return client.post(
        ATTEMPTS,
        {
            "action": "lift_lockout",
            "_selected_action": [attempt.pk for attempt in attempts],
            "index": "0",
        },
        follow=True,
    )


def test_an_administrator_lifts_a_lockout_and_the_right_password_works(
    editor, administrator, client
):
    fail("editor", 3)
    client.force_login(administrator)
    listing = client.get(ATTEMPTS)
    assert listing.status_code == 200
    assert "203.0.113.5" in listing.text
    assert "Lift lockout" in listing.text

    response = lift_lockout(client, AccessAttempt.objects.all())
    assert "Lockout lifted for 1 username." in response.text
    assert not AccessAttempt.objects.exists()
    lifted = AuditEvent.objects.get(action="lockout_lifted")
    assert (lifted.actor, lifted.target) == (administrator, "user editor")
    assert "203.0.113.5" in lifted.detail
    assert signed_in(sign_in("editor", "pw-editor-1")[1])


def test_the_administrator_role_can_lift_and_read_the_audit(editor, db):
    setup_roles()
    chief = User.objects.create_user("chief", password="pw-chief-1", is_staff=True)
    chief.groups.add(Group.objects.get(name=ADMINISTRATOR))
    fail("editor", 3)
    client = Client()
    client.force_login(chief)
    assert client.get(AUDIT).status_code == 200
    lift_lockout(client, AccessAttempt.objects.all())
    assert not AccessAttempt.objects.exists()


def test_editors_and_writers_cannot_read_or_lift_lockouts_or_the_audit(editor, writer):
    fail("editor", 3, address="192.0.2.50")
    for user in (editor, writer):
        client = Client()
        client.force_login(user)
        assert client.get(ATTEMPTS).status_code == 403
        assert client.get(AUDIT).status_code == 403
        assert lift_lockout(client, AccessAttempt.objects.all()).status_code == 403
        index = client.get(INDEX).text
        assert "Access attempts" not in index
        assert "Audit events" not in index
    assert AccessAttempt.objects.count() == 1
    assert not AuditEvent.objects.filter(action="lockout_lifted").exists()


def test_the_audit_log_is_read_only_even_for_administrators(administrator, client):
    client.force_login(administrator)
    event = AuditEvent.objects.get(action="login")
    assert client.get(AUDIT).status_code == 200
    change = reverse("admin:accounts_auditevent_change", args=[event.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.text
    assert client.post(change, {"username": "forged"}).status_code == 403
    delete = reverse("admin:accounts_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    event.refresh_from_db()
    assert event.username == "admin"


def test_sign_ins_beyond_the_password_check_slots_are_refused_unchecked(
    editor, settings, monkeypatch
):
    from accounts import passwordslots

    settings.LOGIN_PASSWORD_CHECKS = 1
    checks = []
    original = ModelBackend.authenticate
    monkeypatch.setattr(
        ModelBackend,
        "authenticate",
        lambda self, *a, **k: checks.append(1) or original(self, *a, **k),
    )
    # Another worker is checking a password: it holds the only slot.
    other_worker = passwordslots.Slots()
    held = other_worker.take()
    assert held is not None
    try:
        response, client = sign_in("editor", "pw-editor-1")
        assert response.status_code == 429
        assert response["Retry-After"] == "2"
        assert "Many sign-ins are being checked right now" in response.text
        assert not signed_in(client)
        assert checks == []
        # Nothing counts against the account: no failure, no audit row.
        assert not AccessAttempt.objects.exists()
        assert not AuditEvent.objects.filter(action="login_failed").exists()
        # The login page itself still opens.
        assert Client().get(LOGIN).status_code == 200
    finally:
        other_worker.give_back(held)
    response, client = sign_in("editor", "pw-editor-1")
    assert response.status_code == 302
    assert signed_in(client)
    assert checks == [1]


def test_migrations_give_the_account_pages_to_administrators_only(db):
    def permissions(role: str) -> set[str]:
        group = Group.objects.get(name=role)
        return {
            f"{app}.{codename}"
            for app, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }

    wanted = {
        "accounts.view_auditevent",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "auth.change_user",
    }
    assert wanted <= permissions(ADMINISTRATOR)
    for role in (EDITOR, WRITER):
        assert not wanted & permissions(role)


def test_a_sign_in_with_nul_bytes_in_its_headers_is_answered_normally(editor):
    headers = {"User-Agent": "Bot\x00/1.0", "Accept": "text/html\x00"}
    response = fail("editor", 1, **headers)
    assert response.status_code == 200
    attempt = AccessAttempt.objects.get()
    assert (attempt.user_agent, attempt.http_accept) == ("Bot/1.0", "text/html")
    response, client = sign_in("editor", "pw-editor-1", **headers)
    assert response.status_code == 302
    assert Session.objects.get(user=editor).user_agent == "Bot/1.0"
