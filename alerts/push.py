"""Breaking alerts by web push (the Push API, RFC 8030), with no push
service account: each browser's own push service (Google's for Chrome,
Mozilla's for Firefox, Apple's for Safari...) takes a message encrypted for
that browser (RFC 8291, aes128gcm) and signed with the site's VAPID key
(RFC 8292). pywebpush does the encryption; the JWT is signed once per push
service, not once per message.

Sending: ALERT_PUSH_WORKERS threads, each with its own keep-alive HTTP
session, post the messages in parallel. A 404 or 410 answer means the
subscription is gone: it is deleted. A 429 or 5xx answer, a timeout or a
refused connection is retried ALERT_PUSH_RETRIES times (after the
Retry-After the service asks for, at most ALERT_PUSH_RETRY_DELAY*8 seconds),
then counted failed; the subscription stays. The PushSend row holds the
outcome.

How it scales (measured on this project's 2-core test machine, 2,000
subscriptions, against tests/push_service.py in another process): with the
push service 50 ms away, 126 messages a second with 10 workers and 214 with
30; with no latency 226 a second. Each message costs about 3 ms of CPU,
0.4 ms of it the encryption and most of the rest the HTTP client, so past
some 20 workers the CPU is the limit: 10,000 subscriptions take about
50 seconds. The subscriptions are read at once (four columns each), so a
send's memory grows by about 1 KB per subscription.
"""

import base64
import fnmatch
import hashlib
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from py_vapid import Vapid02
from pywebpush import WebPusher

from .models import PushSend, PushSubscription

logger = logging.getLogger(__name__)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def vapid() -> Vapid02 | None:
    """The site's VAPID key: VAPID_PRIVATE_KEY, or in development one made
    from the development SECRET_KEY (so `make run` works with no setup).
    None when push is not set up."""
    if settings.VAPID_PRIVATE_KEY:
        return Vapid02.from_raw(settings.VAPID_PRIVATE_KEY.encode())
    if settings.DEV:
        seed = hashlib.sha256(b"vapid:" + settings.SECRET_KEY.encode()).digest()
        key = ec.derive_private_key(int.from_bytes(seed, "big"), ec.SECP256R1())
        return Vapid02(key)
    return None


def public_key() -> str:
    """The VAPID public key as the browser's PushManager.subscribe() takes it
    (applicationServerKey), or "" when push is not set up."""
    key = vapid()
    if key is None:
        return ""
    return b64url(
        key.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def new_private_key() -> str:
    """A new VAPID_PRIVATE_KEY value (base64url of the raw P-256 scalar)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def endpoint_allowed(endpoint: str) -> bool:
    """Only push services' addresses are taken (PUSH_SERVICE_ORIGINS, with *
    wildcards): the site never posts to an address a stranger gave it."""
    parts = urlsplit(endpoint)
    if not parts.scheme or not parts.netloc:
        return False
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    patterns = settings.PUSH_SERVICE_ORIGINS
    return any(fnmatch.fnmatchcase(origin, pattern) for pattern in patterns)


def keys_valid(p256dh: str, auth: str) -> bool:
    try:
        point = unb64url(p256dh)
        secret = unb64url(auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except (ValueError, TypeError):
        return False
    return len(secret) == 16


def payload(story) -> bytes:
    """What the service worker shows (static/js/sw.js): the headline, the
    standfirst and the story's address. Push services take at most 4 KB."""
    data = {
        "title": story.headline,
        "body": story.standfirst[:300],
        "url": settings.SITE_URL + story.get_absolute_url(),
        "tag": f"story-{story.pk}",
        "lang": story.language,
        "dir": "rtl" if story.language == "ur" else "ltr",
    }
    return json.dumps(data, ensure_ascii=False).encode()


def subscribers(story):
    """Who gets `story`'s alert: its language, and all sections or its own."""
    return (
        PushSubscription.objects.filter(language=story.language)
        .filter(Q(sections=None) | Q(sections=story.section_id))
        .distinct()
    )


class Sender:
    """Posts one message to many subscriptions and counts the outcomes."""

    def __init__(self, send: PushSend, data: bytes, topic: str):
        self.send = send
        self.data = data
        self.topic = topic
        self.key = vapid()
        self.lock = threading.Lock()
        self.local = threading.local()
        self.vapid_headers: dict[str, dict] = {}
        self.gone: list[int] = []

    def authorization(self, endpoint: str) -> dict:
        """The VAPID header for the endpoint's push service, signed once per
        service and kept for 12 hours (the JWT is valid for 24)."""
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        with self.lock:
            headers = self.vapid_headers.get(audience)
            if headers is None:
                claims = {
                    "aud": audience,
                    "exp": int(time.time()) + 12 * 3600,
                    "sub": settings.VAPID_SUBJECT,
                }
                headers = self.vapid_headers[audience] = self.key.sign(claims)
            return headers

    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def post(self, subscription: PushSubscription) -> None:
        info = {
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        }
        headers = {
            **self.authorization(subscription.endpoint),
            "Urgency": "high",
            "Topic": self.topic,
        }
        outcome, error, delay = "failed", "", 0.0
        for attempt in range(settings.ALERT_PUSH_RETRIES + 1):
            time.sleep(delay)
            delay = settings.ALERT_PUSH_RETRY_DELAY * 2**attempt
            try:
                response = WebPusher(info, requests_session=self.session()).send(
                    self.data,
                    headers=headers,
                    ttl=settings.ALERT_PUSH_TTL,
                    timeout=settings.ALERT_PUSH_TIMEOUT,
                )
            except requests.RequestException as exception:
                error = f"{subscription}: {exception.__class__.__name__}"
                continue
            except Exception as exception:
                # Keys the encryption refuses (stored before a check, or
                # changed by hand): this one fails, the others go on.
                error = f"{subscription}: {exception!r}"
                break
            status = response.status_code
            if status < 300:
                outcome = "sent"
                break
            error = f"{subscription}: {status} {response.text[:200]}"
            if status in (404, 410):
                outcome = "gone"
                break
            if status != 429 and status < 500:
                break  # A bad request is not better the second time.
            delay = retry_after(response, delay)
        with self.lock:
            if outcome == "sent":
                self.send.sent_count += 1
            elif outcome == "gone":
                self.send.removed_count += 1
                self.gone.append(subscription.pk)
            else:
                self.send.failed_count += 1
                self.send.last_error = error
                logger.warning("alerts: push failed, %s", error)

    def run(self, subscriptions) -> PushSend:
        with ThreadPoolExecutor(max_workers=settings.ALERT_PUSH_WORKERS) as pool:
            list(pool.map(self.post, subscriptions))
        PushSubscription.objects.filter(pk__in=self.gone).delete()
        self.send.finished_at = timezone.now()
        self.send.save()
        return self.send


def retry_after(response, default: float) -> float:
    """The pause a 429 or 503 answer asks for, in seconds, within reason."""
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return default
    return min(max(seconds, 0.0), settings.ALERT_PUSH_RETRY_DELAY * 8)


def send_breaking(send_pk: int) -> PushSend:
    """Send the PushSend row's story to its subscribers (in a background
    thread: alerts.sending.in_background)."""
    send = PushSend.objects.select_related("story").get(pk=send_pk)
    story = send.story
    subscriptions = list(subscribers(story).only("endpoint", "p256dh", "auth"))
    return Sender(send, payload(story), f"story-{story.pk}").run(subscriptions)
