"""Breaking alerts by web push, against a stand-in push service on
127.0.0.1 (tests/push_service.py): what is sent is decrypted with the
browser's keys and its VAPID signature checked with the site's public key,
as a real push service and browser would."""

import base64
import json
import time
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts import push, sending
from alerts.models import EmailSend, EmailSubscriber, PushSend, PushSubscription

from .factories import make_article, make_section
from .push_service import Browser, PushService

pytestmark = pytest.mark.django_db

SIGNED = ec.ECDSA(hashes.SHA256())


@pytest.fixture
def service(settings):
    with PushService() as service:
        settings.PUSH_SERVICE_ORIGINS = [service.origin]
        settings.ALERT_PUSH_RETRY_DELAY = 0.01
        settings.ALERT_PUSH_TIMEOUT = 0.5
        yield service


def subscribe(endpoint: str, language: str = "en", sections=()) -> Browser:
    browser = Browser()
    info = browser.subscription(endpoint)
    subscription = PushSubscription.objects.create(
        endpoint=endpoint,
        p256dh=info["keys"]["p256dh"],
        auth=info["keys"]["auth"],
        language=language,
    )
    subscription.sections.set(sections)
    return browser


def send(story, user=None) -> PushSend:
    row = PushSend.objects.create(story=story, sent_by=user)
    return push.send_breaking(row.pk)


def test_the_browser_decrypts_the_story_headline_and_address(service):
    story = make_article(headline="Court frees Asia Noreen", is_breaking=True)
    browser = subscribe(service.origin + "/send/one")
    row = send(story)
    [pushed] = service.to("one")
    alert = json.loads(browser.read(pushed.body))
    assert alert["title"] == "Court frees Asia Noreen"
    assert alert["url"].endswith(story.get_absolute_url())
    assert (row.sent_count, row.failed_count, row.removed_count) == (1, 0, 0)


def jwt_part(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_the_alert_is_signed_with_the_sites_vapid_key(service):
    story = make_article(is_breaking=True)
    subscribe(service.origin + "/send/one")
    before = time.time()
    send(story)
    [pushed] = service.to("one")
    headers = {key.lower(): value for key, value in pushed.headers.items()}
    scheme, params = headers["authorization"].split(" ", 1)
    assert scheme == "vapid"
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    # The key in the header is the one the alerts page gives browsers.
    assert values["k"] == push.public_key()
    header, claims, signature = values["t"].split(".")
    assert json.loads(jwt_part(header)) == {"typ": "JWT", "alg": "ES256"}
    claims = json.loads(jwt_part(claims))
    assert claims["aud"] == service.origin
    assert claims["sub"].startswith("mailto:")
    assert before < claims["exp"] <= before + 24 * 3600
    raw = jwt_part(signature)
    key = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), jwt_part(values["k"])
    )
    der = encode_dss_signature(
        int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    )
    key.verify(der, f"{header}.{values['t'].split('.')[1]}".encode(), SIGNED)
    # A signature by another key is refused: the check above can fail.
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(InvalidSignature):
        other.verify(der, f"{header}.{values['t'].split('.')[1]}".encode(), SIGNED)
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["urgency"] == "high"
    assert headers["topic"] == f"story-{story.pk}"
    assert int(headers["ttl"]) == 6 * 3600


def test_another_browsers_keys_cannot_read_the_alert(service):
    subscribe(service.origin + "/send/one")
    send(make_article(is_breaking=True))
    [pushed] = service.to("one")
    with pytest.raises(Exception):  # noqa: B017 (http_ece raises several kinds)
        Browser().read(pushed.body)


def test_expired_subscriptions_are_removed_and_the_rest_kept(service):
    story = make_article(is_breaking=True)
    for name in ("one", "two", "gone", "missing"):
        subscribe(f"{service.origin}/send/{name}")
    row = send(story)
    assert (row.sent_count, row.failed_count, row.removed_count) == (2, 0, 2)
    assert sorted(
        endpoint.rsplit("/", 1)[1]
        for endpoint in PushSubscription.objects.values_list("endpoint", flat=True)
    ) == ["one", "two"]
    assert row.finished_at is not None


def test_a_busy_push_service_is_asked_again(service):
    subscribe(service.origin + "/send/busy")
    row = send(make_article(is_breaking=True))
    # 429 with Retry-After: 0, then 201.
    assert len(service.to("busy")) == 2
    assert (row.sent_count, row.failed_count) == (1, 0)


def test_a_push_service_that_stays_busy_or_broken_counts_failed_and_keeps_them(
    service,
):
    service.busy_times = 99
    subscribe(service.origin + "/send/busy")
    subscribe(service.origin + "/send/broken")
    subscribe(service.origin + "/send/one")
    row = send(make_article(is_breaking=True))
    retries = settings.ALERT_PUSH_RETRIES
    assert len(service.to("busy")) == len(service.to("broken")) == retries + 1
    assert (row.sent_count, row.failed_count, row.removed_count) == (1, 2, 0)
    assert PushSubscription.objects.count() == 3
    assert " 429 " in row.last_error or " 500 " in row.last_error


def test_a_timeout_counts_failed_and_keeps_the_subscription(service, settings):
    settings.ALERT_PUSH_RETRIES = 0
    settings.ALERT_PUSH_TIMEOUT = 0.2
    subscribe(service.origin + "/send/slow")
    subscribe(service.origin + "/send/one")
    row = send(make_article(is_breaking=True))
    assert (row.sent_count, row.failed_count) == (1, 1)
    assert "Timeout" in row.last_error
    assert PushSubscription.objects.count() == 2


def test_an_unreachable_push_service_counts_failed(settings):
    settings.ALERT_PUSH_RETRY_DELAY = 0.01
    with PushService() as gone:
        endpoint = gone.origin + "/send/one"
    subscribe(endpoint)
    row = send(make_article(is_breaking=True))
    assert (row.sent_count, row.failed_count) == (0, 1)
    assert "ConnectionError" in row.last_error
    assert PushSubscription.objects.count() == 1


def test_sections_and_languages_choose_who_is_told(service):
    sport, courts = make_section(), make_section()
    everything = subscribe(service.origin + "/send/everything")
    subscribe(service.origin + "/send/sport", sections=[sport])
    subscribe(service.origin + "/send/courts", sections=[courts, sport])
    subscribe(service.origin + "/send/urdu", language="ur")
    story = make_article(section=courts, is_breaking=True)
    send(story)
    assert [len(service.to(name)) for name in ("everything", "sport", "courts")] == [
        1,
        0,
        1,
    ]
    assert service.to("urdu") == []
    alert = json.loads(everything.read(service.to("everything")[0].body))
    assert alert["dir"] == "ltr"

    urdu = make_article(language="ur", headline="سندھ میں سیلاب", is_breaking=True)
    send(urdu)
    assert len(service.to("urdu")) == 1
    assert len(service.to("everything")) == 1


def test_an_urdu_alert_reads_right_to_left(service):
    reader = subscribe(service.origin + "/send/urdu", language="ur")
    story = make_article(language="ur", headline="سندھ میں سیلاب", is_breaking=True)
    send(story)
    alert = json.loads(reader.read(service.to("urdu")[0].body))
    assert alert["title"] == "سندھ میں سیلاب"
    assert (alert["lang"], alert["dir"]) == ("ur", "rtl")
    assert "/ur/" in alert["url"]


# The editor's side: one confirmation page for push and e-mail.


@pytest.fixture
def deferred(monkeypatch):
    """What the admin hands to the background, kept to run when asked:
    nothing is sent while the editor's request is answered."""
    calls = []
    monkeypatch.setattr(
        sending, "in_background", lambda function, *args: calls.append((function, args))
    )

    def run():
        while calls:
            function, args = calls.pop(0)
            function(*args)

    return run


def alert_url(story) -> str:
    return reverse("admin:alerts_breaking", args=[story.pk])


def test_editor_sends_a_push_alert_after_confirming(
    editor_client, editor, service, deferred
):
    story = make_article(headline="Church attacked in Jaranwala", is_breaking=True)
    reader = subscribe(service.origin + "/send/one")
    subscribe(service.origin + "/send/two")
    subscribe(service.origin + "/send/urdu", language="ur")

    page = editor_client.get(alert_url(story)).content.decode()
    assert "Web push to 2 devices" in page
    assert "E-mail to 0 confirmed subscribers" in page
    assert service.received == []

    response = editor_client.post(alert_url(story), {"push": "on"}, follow=True)
    assert "Sending the breaking alert to 2 devices by push" in (
        response.content.decode()
    )
    # The editor has the answer before anything is sent.
    assert service.received == []
    deferred()
    alert = json.loads(reader.read(service.to("one")[0].body))
    assert alert["title"] == "Church attacked in Jaranwala"
    row = PushSend.objects.get()
    assert (row.story, row.sent_by, row.sent_count, row.failed_count) == (
        story,
        editor,
        2,
        0,
    )
    log = editor_client.get(reverse("admin:alerts_pushsend_changelist"))
    assert "Church attacked in Jaranwala" in log.content.decode()


def test_push_and_email_go_together(editor_client, service, deferred):
    story = make_article(is_breaking=True)
    subscribe(service.origin + "/send/one")
    EmailSubscriber.objects.create(email="one@example.com", confirmed_at=timezone.now())
    response = editor_client.post(
        alert_url(story), {"push": "on", "email": "on"}, follow=True
    )
    assert "1 device by push and 1 subscriber by e-mail" in response.content.decode()
    assert PushSend.objects.count() == EmailSend.objects.count() == 1


def test_nothing_chosen_sends_nothing(editor_client, service):
    story = make_article(is_breaking=True)
    subscribe(service.origin + "/send/one")
    page = editor_client.post(alert_url(story), {}).content.decode()
    assert "Choose how to send the alert." in page
    assert not PushSend.objects.exists()


def test_push_alerts_are_rate_limited_apart_from_email(
    editor_client, service, deferred
):
    first, second = make_article(is_breaking=True), make_article(is_breaking=True)
    subscribe(service.origin + "/send/one")
    editor_client.post(alert_url(first), {"push": "on"})
    page = editor_client.get(alert_url(second)).content.decode()
    assert "Not now: one went out at" in page
    assert 'name="push" disabled' in page
    assert 'name="email" disabled' not in page
    # A forged POST cannot get round the disabled box.
    editor_client.post(alert_url(second), {"push": "on"})
    assert PushSend.objects.count() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        editor_client.post(alert_url(second), {"push": "on"})
    assert PushSend.objects.count() == 2


def test_without_a_vapid_key_push_is_off(editor_client, settings, client):
    settings.DEV = False
    settings.VAPID_PRIVATE_KEY = ""
    story = make_article(is_breaking=True)
    page = editor_client.get(alert_url(story)).content.decode()
    assert "Web push is not set up (VAPID_PRIVATE_KEY)." in page
    assert 'name="push" disabled' in page
    response = client.post(
        "/alerts/push/",
        json.dumps(Browser().subscription("https://fcm.googleapis.com/fcm/send/x")),
        content_type="application/json",
    )
    assert response.status_code == 503
    assert not PushSubscription.objects.exists()


def test_a_configured_vapid_key_is_the_one_used(settings):
    out = StringIO()
    call_command("vapid_key", stdout=out)
    name, value = out.getvalue().strip().split("=", 1)
    assert name == "VAPID_PRIVATE_KEY"
    development = push.public_key()
    settings.VAPID_PRIVATE_KEY = value
    configured = push.public_key()
    assert configured != development
    assert len(jwt_part(configured)) == 65


def test_the_story_form_links_to_the_alert_for_editors_only(editor_client, writer):
    breaking = make_article(is_breaking=True, created_by=writer)
    calm = make_article(created_by=writer)
    url = reverse("admin:articles_article_change", args=[breaking.pk])
    link = f'href="{alert_url(breaking)}"'
    assert link in editor_client.get(url).content.decode()
    calm_page = editor_client.get(
        reverse("admin:articles_article_change", args=[calm.pk])
    ).content.decode()
    assert "Send breaking alert" not in calm_page
    writer_client = Client()
    writer_client.force_login(writer)
    page = writer_client.get(url)
    assert page.status_code == 200
    assert link not in page.content.decode()


# Readers' browsers subscribing (the page's script: tests/test_browser_push.py).

FCM = "https://fcm.googleapis.com/fcm/send/abc123"


def post_json(client, url: str, data) -> object:
    body = data if isinstance(data, str) else json.dumps(data)
    return client.post(url, body, content_type="application/json")


def test_a_browser_subscribes_for_its_pages_language_and_sections(client):
    sport, courts = make_section(), make_section()
    info = Browser().subscription(FCM)
    response = post_json(client, "/ur/alerts/push/", info | {"sections": [sport.slug]})
    assert response.status_code == 201
    assert response.json() == {"sections": [sport.slug]}
    subscription = PushSubscription.objects.get()
    assert subscription.language == "ur"
    assert list(subscription.sections.all()) == [sport]

    # The same browser again (new sections, new keys): one row, updated.
    again = Browser().subscription(FCM)
    response = post_json(client, "/alerts/push/", again | {"sections": []})
    assert response.status_code == 200
    subscription = PushSubscription.objects.get()
    assert subscription.language == "en"
    assert subscription.p256dh == again["keys"]["p256dh"]
    assert list(subscription.sections.all()) == []
    assert courts  # a section nobody chose

    response = post_json(client, "/alerts/push/off/", {"endpoint": FCM})
    assert response.json() == {"deleted": True}
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        json.dumps({"endpoint": FCM}),
        json.dumps({"endpoint": FCM, "keys": {"p256dh": 5, "auth": "x"}}),
        # Not a push service: the site never posts to an address a stranger gave.
        json.dumps(Browser().subscription("http://127.0.0.1:6379/")),
        json.dumps(Browser().subscription("https://fcm.googleapis.com.evil.test/x")),
        json.dumps(Browser().subscription("https://example.com/push")),
        json.dumps(Browser().subscription(FCM + "x" * 1000)),
        # Keys that are not a P-256 point and a 16-byte secret.
        json.dumps(
            {"endpoint": FCM, "keys": {"p256dh": "AAAA", "auth": "c2VjcmV0c2VjcmV0MTY"}}
        ),
        json.dumps(Browser().subscription(FCM) | {"sections": [7]}),
        json.dumps(Browser().subscription(FCM) | {"sections": "sport"}),
    ],
)
def test_a_bad_subscription_is_a_400_and_saves_nothing(client, body):
    response = client.post("/alerts/push/", body, content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()
    assert not PushSubscription.objects.exists()


def test_subscribing_needs_the_pages_csrf_token():
    client = Client(enforce_csrf_checks=True)
    page = client.get("/alerts/")
    token = page.cookies[settings.CSRF_COOKIE_NAME].value
    info = json.dumps(Browser().subscription(FCM))
    refused = client.post("/alerts/push/", info, content_type="application/json")
    assert refused.status_code == 403
    assert not PushSubscription.objects.exists()
    taken = client.post(
        "/alerts/push/", info, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert taken.status_code == 201


def test_a_renewed_subscription_keeps_its_language_and_sections(client):
    sport = make_section()
    old = Browser().subscription(FCM)
    post_json(client, "/ur/alerts/push/", old | {"sections": [sport.slug]})
    new = Browser().subscription(FCM + "-renewed")
    # From the service worker: no page, no CSRF token.
    worker = Client(enforce_csrf_checks=True)
    response = post_json(
        worker, "/alerts/push/renew/", {"old_endpoint": FCM, "subscription": new}
    )
    assert response.status_code == 200
    subscription = PushSubscription.objects.get()
    assert subscription.endpoint == FCM + "-renewed"
    assert subscription.p256dh == new["keys"]["p256dh"]
    assert (subscription.language, list(subscription.sections.all())) == (
        "ur",
        [sport],
    )


@pytest.mark.parametrize(
    "body",
    [
        {"old_endpoint": FCM + "-unknown", "subscription": Browser().subscription(FCM)},
        {
            "old_endpoint": FCM,
            "subscription": Browser().subscription("https://x.test/"),
        },
        {"old_endpoint": FCM},
        {"subscription": Browser().subscription(FCM)},
        [],
        "nonsense",
    ],
)
def test_a_renewal_without_the_old_endpoint_or_a_good_one_changes_nothing(client, body):
    original = Browser().subscription(FCM)
    post_json(client, "/alerts/push/", original)
    response = post_json(client, "/alerts/push/renew/", body)
    assert response.status_code in (400, 404)
    subscription = PushSubscription.objects.get()
    assert subscription.endpoint == FCM
    assert subscription.p256dh == original["keys"]["p256dh"]


def test_a_subscription_with_broken_keys_fails_alone(service):
    subscribe(service.origin + "/send/one")
    PushSubscription.objects.create(
        endpoint=service.origin + "/send/broken-keys", p256dh="AAAA", auth="AAAA"
    )
    row = send(make_article(is_breaking=True))
    assert (row.sent_count, row.failed_count) == (1, 1)
    assert "broken-keys" not in [p.path.rsplit("/", 1)[1] for p in service.received]
    assert row.finished_at is not None
    assert PushSubscription.objects.count() == 2
