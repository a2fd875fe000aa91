"""Breaking news by web push as a reader meets it, in headless Chromium: the
alerts page's "Turn on notifications" (static/js/push.js) saves the
browser's subscription with the page's language and the ticked sections,
and turns it off again; the service worker (/sw.js) shows a pushed alert;
without scripts, or in a browser without push, the page offers the e-mail
form only. Screenshots land in /tmp/push-*.png for a person to look at.

Headless Chromium cannot make a real push subscription here. In a
Playwright context (an off-the-record profile, like an incognito window)
PushManager.subscribe() fails at once with "AbortError: Registration failed
- permission denied" (Chrome has no Push API in incognito); in a persistent
profile it waits for Google's push service, which this machine cannot
reach, and never answers. So the page's subscription is a stand-in (FAKE_PUSH
below) whose toJSON() is tests.push_service.Browser's: the site then
encrypts for that browser's keys and posts to the stand-in push service, and
the test reads the message as the browser would. The first test shows what
the reader sees with the real PushManager."""

import json

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from alerts import push, sending
from alerts.models import EmailSubscriber, PushSend, PushSubscription

from .factories import make_article, make_section
from .push_service import Browser, PushService
from .test_browser import (
    RECORD_CSP_VIOLATIONS,
    browser,  # noqa: F401 (fixture)
)
from .test_browser_desk_layout import LAPTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# PushManager as if the browser's push service had answered: the
# subscription is kept in localStorage, so a reload still finds it, and
# the key the page subscribed with is kept for the test to check.
FAKE_PUSH = """(() => {
  const info = %s;
  const KEPT = "test-push-subscription";
  const make = (key) => ({
    endpoint: info.endpoint,
    expirationTime: null,
    options: {userVisibleOnly: true, applicationServerKey: key},
    toJSON: () => info,
    unsubscribe: () => {
      localStorage.removeItem(KEPT);
      return Promise.resolve(true);
    },
  });
  PushManager.prototype.subscribe = function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    localStorage.setItem(KEPT, JSON.stringify(Array.from(key)));
    window.subscribedWith = {
      userVisibleOnly: options.userVisibleOnly,
      key: btoa(String.fromCharCode(...key))
        .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, ""),
    };
    return Promise.resolve(make(key.buffer));
  };
  PushManager.prototype.getSubscription = function () {
    const kept = localStorage.getItem(KEPT);
    return Promise.resolve(
      kept ? make(new Uint8Array(JSON.parse(kept)).buffer) : null
    );
  };
})();"""

SIDEWAYS = "document.documentElement.scrollWidth - window.innerWidth"

# The notifications the service worker shows, as plain data.
SHOWN = """async () => {
        const registration = await navigator.serviceWorker.ready;
        return (await registration.getNotifications()).map((n) => ({
            title: n.title, body: n.body, dir: n.dir, lang: n.lang,
            tag: n.tag, url: n.data.url,
        }));
    }"""

# A push service that never answers, as Chromium's own does here.
SILENT_PUSH = """PushManager.prototype.subscribe = () => new Promise(() => {});"""


def words(text: str, language: str) -> str:
    with translation.override(language):
        return gettext(text)


@pytest.fixture
def service(settings):
    with PushService() as service:
        settings.PUSH_SERVICE_ORIGINS = [service.origin]
        settings.ALERT_PUSH_RETRY_DELAY = 0.01
        yield service


def reader_page(browser, live_server, viewport, init_script=None, grant=True):  # noqa: F811
    context = browser.new_context(viewport=viewport)
    if grant:
        context.grant_permissions(["notifications"], origin=live_server.url)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    return page


def test_chromium_cannot_subscribe_here_and_the_reader_is_told_so(
    browser,  # noqa: F811
    live_server,
    service,
):
    make_section(name="World", slug="world")
    page = reader_page(browser, live_server, LAPTOP)
    page.goto(live_server.url + "/alerts/")
    turn_on = page.get_by_role("button", name="Turn on notifications")
    turn_on.click()
    status = page.locator("[data-push-status]")
    expect(status).to_have_text(
        words(
            "Sorry, notifications could not be turned on. Private (incognito) "
            "windows cannot take them; otherwise, please try again later.",
            "en",
        )
    )
    expect(turn_on).to_be_enabled()
    expect(page.get_by_role("button", name="Turn off notifications")).to_be_hidden()
    assert PushSubscription.objects.count() == 0
    assert page.errors == []


def test_a_push_service_that_never_answers_does_not_leave_the_button_busy(
    browser,  # noqa: F811
    live_server,
    service,
):
    page = reader_page(browser, live_server, PHONE, SILENT_PUSH)
    page.goto(live_server.url + "/alerts/")
    # The page waits 30 seconds; one is enough to show the rule.
    page.locator("[data-push]").evaluate("part => part.dataset.waitSeconds = 1")
    turn_on = page.get_by_role("button", name="Turn on notifications")
    turn_on.click()
    expect(page.locator("[data-push-status]")).to_have_text(
        "Just a moment…", timeout=500
    )
    expect(turn_on).to_be_disabled()
    expect(page.locator("[data-push-status]")).to_contain_text(
        "could not be turned on", timeout=5000
    )
    expect(turn_on).to_be_enabled()
    assert PushSubscription.objects.count() == 0


@pytest.mark.parametrize(
    "language, prefix, viewport",
    [("en", "", LAPTOP), ("ur", "/ur", PHONE)],
    ids=["en-1366", "ur-390"],
)
def test_reader_turns_notifications_on_for_some_sections_and_off_again(
    browser,  # noqa: F811
    live_server,
    service,
    language,
    prefix,
    viewport,
):
    world = make_section(name="World", name_ur="دنیا", slug="world")
    sport = make_section(name="Sports", name_ur="کھیل", slug="sports")
    culture = make_section(name="Culture", name_ur="ثقافت", slug="culture")
    reader = Browser()
    info = reader.subscription(f"{service.origin}/push/reader-{language}")
    page = reader_page(browser, live_server, viewport, FAKE_PUSH % json.dumps(info))
    page.goto(f"{live_server.url}{prefix}/alerts/")
    width = viewport["width"]
    page.screenshot(path=f"/tmp/push-{language}-{width}-before.png", full_page=True)

    part = page.locator("[data-push]")
    expect(part.get_by_role("heading")).to_have_text(
        words("Notifications on this device", language)
    )
    boxes = part.get_by_role("checkbox")
    expect(boxes).to_have_count(3)
    for box in boxes.all():
        expect(box).to_be_checked()
    culture_box = part.get_by_role("checkbox", name=culture.name_ur)
    if language == "en":
        culture_box = part.get_by_role("checkbox", name="Culture")
    culture_box.uncheck()

    turn_on = part.get_by_role("button", name=words("Turn on notifications", language))
    turn_on.click()
    status = part.get_by_role("status")
    expect(status).to_have_text(
        words("Notifications are on for this device.", language)
    )
    turn_off = part.get_by_role(
        "button", name=words("Turn off notifications", language)
    )
    expect(turn_off).to_be_visible()
    expect(turn_off).to_be_focused()  # not lost with the button pressed
    expect(turn_on).to_be_hidden()
    page.screenshot(path=f"/tmp/push-{language}-{width}-on.png", full_page=True)
    assert page.evaluate(SIDEWAYS) <= 0
    assert page.evaluate("window.cspViolations") == []

    saved = PushSubscription.objects.get()
    assert saved.endpoint == info["endpoint"]
    assert (saved.p256dh, saved.auth) == (info["keys"]["p256dh"], info["keys"]["auth"])
    assert saved.language == language
    assert set(saved.sections.all()) == {world, sport}
    assert page.evaluate("window.subscribedWith") == {
        "userVisibleOnly": True,
        "key": push.public_key(),
    }

    # A breaking story of a ticked section reaches this browser, readable
    # with its keys; one of the unticked section does not.
    other = make_article(
        headline="Choir festival opens", section=culture, language=language
    )
    push.send_breaking(PushSend.objects.create(story=other, sent_by=None).pk)
    assert service.received == []
    story = make_article(
        headline="Floods reach Badin", section=sport, language=language
    )
    sent = push.send_breaking(PushSend.objects.create(story=story, sent_by=None).pk)
    assert sent.sent_count == 1
    [pushed] = service.to(f"reader-{language}")
    alert = json.loads(reader.read(pushed.body))
    assert alert["title"] == "Floods reach Badin"
    assert alert["url"].endswith(story.get_absolute_url())

    # Back on the page later: it shows the on state and the saved sections,
    # without asking anything.
    page.reload()
    expect(status).to_have_text(
        words("Notifications are on for this device.", language)
    )
    expect(culture_box).not_to_be_checked()
    culture_box.check()
    part.get_by_role("button", name=words("Save sections", language)).click()
    expect(status).to_have_text(words("Your sections are saved.", language))
    saved.refresh_from_db()
    assert list(saved.sections.all()) == []  # every section, new ones too
    assert saved.language == language

    turn_off.click()
    expect(status).to_have_text(
        words("Notifications are off for this device.", language)
    )
    expect(turn_on).to_be_visible()
    expect(turn_off).to_be_hidden()
    expect(turn_on).to_be_focused()
    assert PushSubscription.objects.count() == 0
    page.reload()
    expect(turn_on).to_be_visible()
    expect(status).to_have_text("")
    assert page.errors == []


def test_unticking_every_section_asks_for_one_and_saves_nothing(
    browser,  # noqa: F811
    live_server,
    service,
):
    make_section(name="World", slug="world")
    info = Browser().subscription(f"{service.origin}/push/none")
    page = reader_page(browser, live_server, PHONE, FAKE_PUSH % json.dumps(info))
    page.goto(live_server.url + "/alerts/")
    page.get_by_role("checkbox", name="World").uncheck()
    page.get_by_role("button", name="Turn on notifications").click()
    expect(page.get_by_role("status")).to_have_text("Tick at least one section.")
    assert PushSubscription.objects.count() == 0
    page.get_by_role("checkbox", name="World").check()
    page.get_by_role("button", name="Turn on notifications").click()
    expect(page.get_by_role("status")).to_have_text(
        "Notifications are on for this device."
    )
    assert PushSubscription.objects.count() == 1


def test_the_other_languages_page_offers_to_switch_the_alerts_language(
    browser,  # noqa: F811
    live_server,
    service,
):
    """One browser, one subscription, one language: turned on from an English
    page, the Urdu page does not claim it is on for Urdu news."""
    make_section(name="World", name_ur="دنیا", slug="world")
    info = Browser().subscription(f"{service.origin}/push/both")
    page = reader_page(browser, live_server, PHONE, FAKE_PUSH % json.dumps(info))
    page.goto(live_server.url + "/alerts/")
    page.get_by_role("button", name="Turn on notifications").click()
    status = page.get_by_role("status")
    expect(status).to_have_text("Notifications are on for this device.")
    assert PushSubscription.objects.get().language == "en"

    page.goto(live_server.url + "/ur/alerts/")
    expect(status).to_have_text(
        words(
            "Notifications on this device bring news in another language. Turn "
            "them on here to get news in this page's language instead.",
            "ur",
        )
    )
    turn_on = page.get_by_role("button", name=words("Turn on notifications", "ur"))
    expect(turn_on).to_be_visible()
    turn_on.click()
    expect(status).to_have_text(words("Notifications are on for this device.", "ur"))
    assert PushSubscription.objects.get().language == "ur"
    # And the Urdu page, reloaded, now says it is on.
    page.reload()
    expect(status).to_have_text(words("Notifications are on for this device.", "ur"))


def test_a_refused_permission_says_how_to_allow_it(
    browser,  # noqa: F811
    live_server,
    service,
):
    info = Browser().subscription(f"{service.origin}/push/refused")
    page = reader_page(
        browser, live_server, LAPTOP, FAKE_PUSH % json.dumps(info), grant=False
    )
    page.goto(live_server.url + "/alerts/")
    turn_on = page.get_by_role("button", name="Turn on notifications")
    turn_on.click()
    # Headless Chromium answers the question itself: "denied".
    expect(page.get_by_role("status")).to_contain_text(
        "This browser blocks notifications from this site. To allow them"
    )
    expect(turn_on).to_be_enabled()
    assert PushSubscription.objects.count() == 0


def test_a_site_that_refuses_the_subscription_leaves_it_off(
    browser,  # noqa: F811
    live_server,
    service,
    settings,
):
    settings.PUSH_SERVICE_ORIGINS = ["https://fcm.googleapis.com"]
    info = Browser().subscription(f"{service.origin}/push/not-a-push-service")
    page = reader_page(browser, live_server, LAPTOP, FAKE_PUSH % json.dumps(info))
    page.goto(live_server.url + "/alerts/")
    turn_on = page.get_by_role("button", name="Turn on notifications")
    turn_on.click()
    expect(page.get_by_role("status")).to_contain_text("could not be turned on")
    expect(turn_on).to_be_visible()
    expect(turn_on).to_be_enabled()
    assert PushSubscription.objects.count() == 0
    # The browser let go of it too: a reload does not claim it is on.
    page.reload()
    expect(turn_on).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("")


@pytest.mark.parametrize("language", ["en", "ur"])
def test_the_service_worker_shows_a_pushed_alert(
    browser,  # noqa: F811
    live_server,
    settings,
    language,
):
    """DevTools' ServiceWorker.deliverPushMessage fires the worker's push
    event directly: it needs a registered, active worker and the
    notifications permission, but no push subscription (it works in a
    Playwright context, where the Push API itself does not)."""
    settings.SITE_URL = live_server.url
    headline = {
        "en": "Court frees Asia Noreen",
        "ur": "عدالت نے آسیہ نورین کو رہا کر دیا",
    }
    story = make_article(headline=headline[language], language=language)
    page = reader_page(browser, live_server, PHONE)
    page.goto(live_server.url + "/alerts/")
    cdp = page.context.new_cdp_session(page)
    registrations = []
    cdp.on(
        "ServiceWorker.workerVersionUpdated",
        lambda event: registrations.extend(
            version["registrationId"]
            for version in event["versions"]
            if version["status"] == "activated"
        ),
    )
    cdp.send("ServiceWorker.enable")
    page.evaluate(
        """async () => {
        await navigator.serviceWorker.register("/sw.js", {scope: "/"});
        await navigator.serviceWorker.ready;
    }"""
    )
    for _ in range(100):
        if registrations:
            break
        page.wait_for_timeout(100)
    assert registrations, "the worker was never activated"
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server.url,
            "registrationId": registrations[0],
            "data": push.payload(story).decode(),
        },
    )
    # The worker shows it in its own time: ask until it is there.
    for _ in range(100):
        shown = page.evaluate(SHOWN)
        if shown:
            break
        page.wait_for_timeout(100)
    assert shown == [
        {
            "title": headline[language],
            "body": story.standfirst,
            "dir": "rtl" if language == "ur" else "ltr",
            "lang": language,
            "tag": f"story-{story.pk}",
            "url": live_server.url + story.get_absolute_url(),
        }
    ]

    # A push with nothing to show (no title) shows nothing more.
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": live_server.url, "registrationId": registrations[0], "data": "{}"},
    )
    page.wait_for_timeout(300)
    count = page.evaluate(
        """async () => (await (await navigator.serviceWorker.ready)
            .getNotifications()).length"""
    )
    assert count == 1


def test_without_scripts_only_the_e_mail_form_shows_and_works(
    browser,  # noqa: F811
    live_server,
    monkeypatch,
    mailoutbox,
):
    monkeypatch.setattr(
        sending, "in_background", lambda function, *args: function(*args)
    )
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/alerts/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Breaking news alerts")
    expect(page.get_by_text("Notifications on this device")).to_be_hidden()
    expect(page.get_by_role("button", name="Turn on notifications")).to_be_hidden()
    expect(page.get_by_text("This browser cannot show notifications")).to_be_hidden()
    expect(page.get_by_role("heading", name="E-mail alerts")).to_be_visible()
    page.screenshot(path="/tmp/push-no-script-390.png", full_page=True)
    page.get_by_label("Your e-mail address").fill("reader@example.com")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    assert EmailSubscriber.objects.get().email == "reader@example.com"
    assert [message.to for message in mail.outbox] == [["reader@example.com"]]


@pytest.mark.parametrize("missing", ["PushManager", "key"])
def test_a_browser_or_site_without_push_gets_one_line_and_no_button(
    browser,  # noqa: F811
    live_server,
    monkeypatch,
    missing,
):
    script = "delete window.PushManager;"
    if missing == "key":
        monkeypatch.setattr(push, "public_key", lambda: "")  # push not set up
        script = None
    page = reader_page(browser, live_server, PHONE, script)
    page.goto(live_server.url + "/alerts/")
    expect(page.get_by_text("This browser cannot show notifications")).to_be_visible()
    expect(page.get_by_role("button", name="Turn on notifications")).to_be_hidden()
    expect(page.get_by_role("heading", name="E-mail alerts")).to_be_visible()
    assert page.errors == []
