"""Breaking news and the daily digest by e-mail, against a real SMTP server
(aiosmtpd on 127.0.0.1) started by the tests."""

import email
import re
import socket
from datetime import timedelta
from email import policy

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts import sending
from alerts.models import EmailSend, EmailSubscriber

from .factories import make_article

pytestmark = pytest.mark.django_db

REFUSED = "refused@example.com"


class Handler:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address == REFUSED:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list:
        return [message for message in self.messages if message["To"] == address]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.ALERT_EMAIL_RETRY_DELAY = 0
    yield handler
    controller.stop()


@pytest.fixture(autouse=True)
def send_at_once(monkeypatch):
    """The sending runs in a thread after the commit; here it runs at once
    (test_sending_waits_for_the_commit checks the deferral)."""
    monkeypatch.setattr(
        sending, "in_background", lambda function, *args: function(*args)
    )


def subscriber(address: str, language: str = "en", **fields) -> EmailSubscriber:
    values = {"confirmed_at": timezone.now(), "wants_breaking": True}
    return EmailSubscriber.objects.create(
        email=address, language=language, **(values | fields)
    )


def parts(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def local(url: str) -> str:
    assert url.startswith(settings.SITE_URL)
    return url.removeprefix(settings.SITE_URL)


def links(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


def test_the_subscribe_page_is_never_cached_and_linked_from_the_footer(client):
    response = client.get("/alerts/")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert "X-Page-Cache" not in response
    page = response.content.decode()
    assert 'name="email"' in page and 'name="breaking"' in page
    assert 'name="digest"' in page and "csrfmiddlewaretoken" in page
    make_article()
    assert 'href="/alerts/"' in client.get("/").content.decode()
    assert 'href="/ur/alerts/"' in client.get("/ur/").content.decode()


def test_double_opt_in(client, smtp):
    response = client.post(
        "/alerts/", {"email": "Reader@Example.com", "breaking": "on", "digest": "on"}
    )
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    reader = EmailSubscriber.objects.get()
    assert reader.email == "reader@example.com"
    assert reader.confirmed_at is None and reader.language == "en"

    [message] = smtp.to("reader@example.com")
    text, html = parts(message)
    assert "List-Unsubscribe" not in message
    [confirm_url] = links(text)
    assert f'href="{confirm_url}"' in html
    page = client.get(local(confirm_url))
    assert page.status_code == 200
    assert "Your e-mail alerts are on" in page.content.decode()
    reader.refresh_from_db()
    assert reader.confirmed_at is not None
    assert reader.wants_breaking and reader.wants_digest
    assert EmailSend.objects.get(kind="confirm").sent_count == 1


def test_same_answer_for_known_addresses_and_one_confirmation_per_ten_minutes(
    client, smtp
):
    subscriber("known@example.com")
    known = client.post("/alerts/", {"email": "known@example.com", "breaking": "on"})
    unknown = client.post("/alerts/", {"email": "new@example.com", "breaking": "on"})
    assert known.status_code == unknown.status_code == 200
    assert known.content.decode().replace("known", "new") == unknown.content.decode()
    assert len(smtp.messages) == 2

    again = client.post("/alerts/", {"email": "NEW@example.com", "breaking": "on"})
    assert again.status_code == 200
    assert len(smtp.to("new@example.com")) == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        client.post("/alerts/", {"email": "new@example.com", "breaking": "on"})
    assert len(smtp.to("new@example.com")) == 2


def test_changes_to_a_subscription_wait_for_the_confirmation(client, smtp):
    reader = subscriber("known@example.com")
    client.post("/ur/alerts/", {"email": "known@example.com", "digest": "on"})
    reader.refresh_from_db()
    assert (reader.language, reader.wants_breaking, reader.wants_digest) == (
        "en",
        True,
        False,
    )
    [confirm_url] = links(parts(smtp.to("known@example.com")[0])[0])
    assert client.get(local(confirm_url)).status_code == 200
    reader.refresh_from_db()
    assert (reader.language, reader.wants_breaking, reader.wants_digest) == (
        "ur",
        False,
        True,
    )


def test_a_bad_address_is_shown_on_the_form(client):
    response = client.post("/alerts/", {"email": "nope", "breaking": "on"})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()


def test_urdu_page_subscribes_in_urdu(client, smtp):
    page = client.get("/ur/alerts/").content.decode()
    assert "E-mail alerts" not in page
    client.post("/ur/alerts/", {"email": "urdu@example.com", "digest": "on"})
    assert EmailSubscriber.objects.get().language == "ur"
    text, _ = parts(smtp.to("urdu@example.com")[0])
    assert "/ur/alerts/confirm/" in text
    assert "کے ای میل الرٹ چاہتے ہیں" in text
    assert "Please confirm" not in text


@pytest.mark.parametrize(
    "data",
    [
        {"email": "not an address", "breaking": "on"},
        {"email": "", "breaking": "on"},
        {"email": "a@example.com"},  # neither alert chosen
        {"email": "a" * 300 + "@example.com", "breaking": "on"},
        {"email": "a\x00@example.com", "breaking": "on"},
    ],
)
def test_bad_input_is_a_400(client, smtp, data):
    response = client.post("/alerts/", data)
    assert response.status_code == 400
    assert not EmailSubscriber.objects.exists()
    assert smtp.messages == []


@pytest.mark.parametrize(
    "url",
    [
        "/alerts/confirm/nonsense/",
        "/alerts/confirm/eyJ0IjoieCJ9:1abc:def/",
        "/alerts/unsubscribe/nonsense/",
        "/ur/alerts/unsubscribe/nonsense/",
    ],
)
def test_bad_tokens_are_a_404(client, url):
    assert client.get(url).status_code == 404
    assert client.post(url).status_code in (404, 405)


def send_breaking(client, story):
    url = reverse("admin:alerts_breaking", args=[story.pk])
    return client.post(url, {"email": "on"}, follow=True)


def test_editor_sends_a_breaking_email(editor_client, editor, smtp):
    story = make_article(headline="Floods in Sindh & Punjab", is_breaking=True)
    subscriber("one@example.com")
    subscriber("two@example.com")
    subscriber("digest-only@example.com", wants_breaking=False, wants_digest=True)
    subscriber("unconfirmed@example.com", confirmed_at=None)
    subscriber("gone@example.com", unsubscribed_at=timezone.now())
    subscriber("urdu@example.com", language="ur")

    url = reverse("admin:alerts_breaking", args=[story.pk])
    confirm = editor_client.get(url).content.decode()
    assert "E-mail to 2 confirmed subscribers" in confirm
    assert smtp.messages == []
    page = send_breaking(editor_client, story).content.decode()
    assert "Sending the breaking alert to 2 subscribers by e-mail" in page

    assert sorted(message["To"] for message in smtp.messages) == [
        "one@example.com",
        "two@example.com",
    ]
    [message] = smtp.to("one@example.com")
    assert message["Subject"] == "Floods in Sindh & Punjab"
    token = EmailSubscriber.objects.get(email="one@example.com").token
    unsubscribe = f"{settings.SITE_URL}/alerts/unsubscribe/{token}/"
    assert message["List-Unsubscribe"].strip() == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    assert "Floods in Sindh & Punjab" in text
    assert "Floods in Sindh &amp; Punjab" in html
    story_url = settings.SITE_URL + story.get_absolute_url()
    assert story_url in links(text) and f'href="{story_url}"' in html
    assert editor_client.get(local(story_url)).status_code == 200

    send = EmailSend.objects.get(kind="breaking")
    assert (send.story, send.sent_by) == (story, editor)
    assert (send.sent_count, send.failed_count) == (2, 0)
    assert send.finished_at is not None


def test_breaking_emails_are_rate_limited(editor_client, smtp):
    first = make_article(is_breaking=True)
    second = make_article(is_breaking=True)
    subscriber("one@example.com")
    send_breaking(editor_client, first)
    page = send_breaking(editor_client, second).content.decode()
    assert "Not now: one went out at" in page
    assert "at most one every 15 minutes" in page
    assert "Choose how to send the alert." in page
    assert len(smtp.messages) == 1
    assert EmailSend.objects.filter(kind="breaking").count() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        send_breaking(editor_client, second)
    assert len(smtp.messages) == 2


def test_only_publishers_send_and_only_breaking_published_stories(
    client, writer, editor, smtp
):
    story = make_article(is_breaking=True)
    url = reverse("admin:alerts_breaking", args=[story.pk])
    client.force_login(writer)
    assert client.post(url).status_code == 403
    client.force_login(editor)
    calm = make_article()
    draft = make_article(is_breaking=True, status="draft")
    for other in (calm, draft):
        url = reverse("admin:alerts_breaking", args=[other.pk])
        assert client.get(url).status_code == 404
    assert not EmailSend.objects.exists()


def test_the_stories_action_leads_to_the_confirmation(editor_client):
    story = make_article(is_breaking=True)
    response = editor_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "send_breaking_alert", "_selected_action": [story.pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:alerts_breaking", args=[story.pk])


def test_languages_are_kept_apart(editor_client, smtp):
    subscriber("en@example.com")
    subscriber("ur@example.com", language="ur")
    story = make_article(language="ur", headline="سندھ میں سیلاب", is_breaking=True)
    send_breaking(editor_client, story)
    [message] = smtp.messages
    assert message["To"] == "ur@example.com"
    assert message["Subject"] == "سندھ میں سیلاب"
    assert "/ur/alerts/unsubscribe/" in message["List-Unsubscribe"]


def test_one_click_unsubscribe(smtp):
    reader = subscriber("one@example.com")
    client = Client(enforce_csrf_checks=True)
    url = f"/alerts/unsubscribe/{reader.token}/"
    page = client.get(url).content.decode()
    assert "Stop all e-mail alerts to one@example.com?" in page
    reader.refresh_from_db()
    assert reader.unsubscribed_at is None

    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    reader.refresh_from_db()
    assert reader.unsubscribed_at is not None
    assert not EmailSubscriber.objects.active().exists()


def test_a_refused_recipient_is_logged_and_the_others_get_it(editor_client, smtp):
    subscriber("one@example.com")
    subscriber(REFUSED)
    subscriber("two@example.com")
    send_breaking(editor_client, make_article(is_breaking=True))
    assert sorted(message["To"] for message in smtp.messages) == [
        "one@example.com",
        "two@example.com",
    ]
    send = EmailSend.objects.get(kind="breaking")
    assert (send.sent_count, send.failed_count) == (2, 1)
    assert REFUSED in send.last_error and "550" in send.last_error
    assert EmailSubscriber.objects.active().count() == 3


def test_an_smtp_outage_is_logged_and_retried(editor_client, smtp, settings, caplog):
    subscriber("one@example.com")
    subscriber("two@example.com")
    settings.EMAIL_PORT = free_port()  # nothing listens there
    send_breaking(editor_client, make_article(is_breaking=True))
    send = EmailSend.objects.get(kind="breaking")
    assert (send.sent_count, send.failed_count) == (0, 2)
    assert "SMTP server unavailable" in send.last_error
    attempts = [r for r in caplog.records if "SMTP server unavailable" in r.message]
    assert len(attempts) == settings.ALERT_EMAIL_RETRIES == 3
    assert EmailSubscriber.objects.active().count() == 2
    assert smtp.messages == []


def test_an_outage_in_the_middle_is_retried_where_it_stopped(
    editor_client, smtp, settings, monkeypatch
):
    for n in range(5):
        subscriber(f"reader{n}@example.com")
    settings.ALERT_EMAIL_BATCH_SIZE = 2
    real = sending.get_connection
    opened = []

    def flaky():
        opened.append(1)
        if len(opened) == 2:  # the second batch's first try
            raise ConnectionRefusedError("down")
        return real()

    monkeypatch.setattr(sending, "get_connection", flaky)
    send_breaking(editor_client, make_article(is_breaking=True))
    send = EmailSend.objects.get(kind="breaking")
    assert (send.sent_count, send.failed_count) == (5, 0)
    assert len({message["To"] for message in smtp.messages}) == 5
    assert len(smtp.messages) == 5
    assert "down" in send.last_error


def test_the_daily_digest_goes_out_once_a_day(smtp):
    make_article(headline="English top story")
    make_article(headline="Old story", published_at=timezone.now() - timedelta(days=2))
    make_article(headline="اردو کی بڑی خبر", language="ur")
    subscriber("en@example.com", wants_breaking=False, wants_digest=True)
    subscriber("ur@example.com", language="ur", wants_digest=True)
    subscriber("breaking-only@example.com")
    subscriber("unconfirmed@example.com", wants_digest=True, confirmed_at=None)

    call_command("send_digest")
    assert sorted(message["To"] for message in smtp.messages) == [
        "en@example.com",
        "ur@example.com",
    ]
    [english] = smtp.to("en@example.com")
    text, html = parts(english)
    assert english["Subject"] == "Today's top stories"
    assert "English top story" in text and "English top story" in html
    assert "Old story" not in text and "اردو" not in text
    assert english["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [urdu] = smtp.to("ur@example.com")
    assert "اردو کی بڑی خبر" in parts(urdu)[0]
    assert "English" not in parts(urdu)[0]

    call_command("send_digest")
    assert len(smtp.messages) == 2
    assert EmailSend.objects.filter(kind="digest").count() == 2
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        make_article(headline="Tomorrow's story")
        call_command("send_digest")
    assert len(smtp.to("en@example.com")) == 2


def test_sending_waits_for_the_commit(editor_client, smtp, monkeypatch):
    monkeypatch.undo()
    subscriber("one@example.com")
    story = make_article(is_breaking=True)
    started = []
    monkeypatch.setattr(sending.threading.Thread, "start", lambda t: started.append(t))
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        send_breaking(editor_client, story)
    assert len(callbacks) == 1 and len(started) == 1
    assert smtp.messages == []


def test_editors_see_the_sends_and_not_the_addresses(client, editor, writer):
    client.force_login(editor)
    sends = reverse("admin:alerts_emailsend_changelist")
    subscribers = reverse("admin:alerts_emailsubscriber_changelist")
    assert client.get(sends).status_code == 200
    assert client.get(subscribers).status_code == 403
    client.force_login(writer)
    assert client.get(sends).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_sending_runs_in_a_thread_after_the_response(client, smtp, monkeypatch):
    monkeypatch.undo()
    import threading

    client.post("/alerts/", {"email": "reader@example.com", "breaking": "on"})
    for thread in threading.enumerate():
        if thread.name == "alerts-send":
            thread.join(timeout=10)
    [message] = smtp.to("reader@example.com")
    assert "/alerts/confirm/" in parts(message)[0]
    assert EmailSend.objects.get(kind="confirm").finished_at is not None
