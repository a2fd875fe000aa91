"""Breaking alerts by web push, against a stand-in push service on
127.0.0.1 (tests/push_service.py): what is sent is decrypted with the
browser's keys and its VAPID signature checked with the site's public key,
as a real push service and browser would."""

import json

import pytest

from alerts import push
from alerts.models import PushSend, PushSubscription

from .factories import make_article
from .push_service import Browser, PushService

pytestmark = pytest.mark.django_db


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
