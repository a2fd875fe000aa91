"""The alerts page's notifications part as served (the browser side is in
test_browser_push.py): the VAPID key and addresses static/js/push.js needs,
its words in the page's language, and the service worker at /sw.js."""

import re
from html.parser import HTMLParser

import pytest

from alerts import push

from .factories import make_section
from .test_translations import english_left_in, get, visible_text

pytestmark = pytest.mark.django_db


class PushPart(HTMLParser):
    """The data- attributes of the page's [data-push] element."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-push" in attrs:
            self.data = {k[5:]: v for k, v in attrs.items() if k.startswith("data-")}


def push_part(html: str) -> dict[str, str]:
    parser = PushPart()
    parser.feed(html)
    assert parser.data is not None, "no notifications part on the page"
    return parser.data


def test_the_alerts_page_gives_the_script_the_vapid_key_and_addresses(client):
    make_section(name="World", slug="world")
    html = get(client, "/alerts/", "en")
    data = push_part(html)
    assert len(push.public_key()) == 87  # a P-256 point, base64url
    assert data["key"] == push.public_key()
    assert data["subscribe-url"] == "/alerts/push/"
    assert data["unsubscribe-url"] == "/alerts/push/off/"
    assert data["on"] == "Notifications are on for this device."
    assert '<script src="/static/js/push.js" defer></script>' in html
    assert 'value="world" data-push-section checked' in html
    # Hidden until the script has checked the browser can take them.
    assert re.search(r"<section class=\"push\"[^>]* hidden", html)
    assert "<h1>Breaking news alerts</h1>" in html


def test_the_urdu_alerts_page_speaks_urdu_in_its_script_words_too(client):
    make_section(name="World", name_ur="دنیا", slug="world")
    html = get(client, "/ur/alerts/", "ur")
    data = push_part(html)
    assert data["subscribe-url"] == "/ur/alerts/push/"
    messages = {
        name: text
        for name, text in data.items()
        if name not in ("push", "key", "subscribe-url", "unsubscribe-url")
    }
    assert len(messages) == 11
    for name, text in messages.items():
        assert re.search(r"[\u0600-\u06ff]", text), name
        assert not re.search(r"[A-Za-z]", text), name
    text = visible_text(html)
    assert "اس ڈیوائس پر اطلاعات" in text and "دنیا" in text
    assert english_left_in(text) == []
    assert set(re.findall(r"[A-Za-z]+", text)) <= {"PCTV", "English"}


def test_the_footer_names_both_kinds_of_alert(client):
    html = get(client, "/alerts/", "en")
    assert (
        '<a href="/alerts/">Breaking news alerts: notifications and e-mail</a>' in html
    )


def test_the_service_worker_is_served_at_the_root_as_javascript(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert b'addEventListener("push"' in response.content
