"""The pages as a reader sees them, in headless Chromium at phone and desktop
widths. Screenshots land in screenshots/ for people to look at."""

import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections
from django.utils import translation
from playwright.sync_api import sync_playwright

from articles import mostread
from articles.models import Article, StoryViews

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
WIDTHS = {"phone": (390, 844), "desktop": (1366, 900)}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PAGE_FACTS = """() => ({
    h1: document.querySelectorAll("h1").length,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    missingAlt: [...document.images].filter(i => !i.hasAttribute("alt")).length,
    brokenImages: [...document.images].filter(
        i => !i.complete || i.naturalWidth === 0
    ).map(i => i.currentSrc),
    lang: document.documentElement.lang,
    title: document.title,
})"""


# Records what the page's Content-Security-Policy blocked.
RECORD_CSP_VIOLATIONS = """window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) =>
    window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`));"""


def scroll_through(page) -> None:
    """Scroll down a screen at a time so lazy images load for the screenshot."""
    height = page.evaluate("document.documentElement.scrollHeight")
    for top in range(0, height, 700):
        page.evaluate(f"window.scrollTo(0, {top})")
        page.wait_for_timeout(50)
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")


@pytest.fixture
def browser(monkeypatch):
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is needed: apt-get install chromium"
    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # made by the test itself are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
        # The test's queries made while Playwright runs happen in its context,
        # on a connection of their own: close it, or the test database cannot
        # be dropped at the end of the run.
        connections.close_all()


@pytest.fixture
def demo_urls(live_server, demo_media):
    call_command("load_demo", verbosity=0)
    lead = Article.objects.published().get(language="en", front_page_rank=1)
    gallery = Article.objects.published().filter(kind="gallery").first()
    video = Article.objects.published().filter(kind="video").first()
    return {
        "front": "/",
        "section": lead.section.get_absolute_url(),
        "article": lead.get_absolute_url(),
        "gallery": gallery.get_absolute_url(),
        "video": video.get_absolute_url(),
        "region": "/region/europe/",
        "search": "/search/?q=pakistan",
    }


@pytest.fixture
def urdu_demo_urls(demo_urls):
    """The same kinds of page on the Urdu side (/ur/), from the demo's
    Urdu stories."""
    lead = Article.objects.published().get(language="ur", front_page_rank=1)
    with translation.override("ur"):
        section = lead.section.get_absolute_url()
    return {
        "front": "/ur/",
        "section": section,
        "article": lead.get_absolute_url(),
        "search": "/ur/search/?q=" + quote("پاکستان"),
    }


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["en", "ur"])
def test_pages_fit_the_screen_with_one_heading_and_loaded_images(
    browser, live_server, request, width, language
):
    """Each kind of page, in English and in Urdu, at phone and desktop width."""
    urls = request.getfixturevalue(
        "demo_urls" if language == "en" else "urdu_demo_urls"
    )
    site_name = {"en": "Pakistan Christian TV", "ur": "پاکستان کرسچن ٹی وی"}[language]
    SCREENSHOTS.mkdir(exist_ok=True)
    viewport_width, viewport_height = WIDTHS[width]
    page = browser.new_page(
        viewport={"width": viewport_width, "height": viewport_height}
    )
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    for name, url in urls.items():
        response = page.goto(live_server.url + url)
        assert response.status == 200, url
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        scroll_through(page)
        facts = page.evaluate(PAGE_FACTS)
        assert facts["h1"] == 1, url
        assert facts["overflow"] <= 0, f"{url} scrolls sideways at {width}"
        assert facts["missingAlt"] == 0, url
        assert facts["brokenImages"] == [], url
        assert facts["lang"] == language
        assert site_name in facts["title"], url
        assert page.evaluate("window.cspViolations") == [], url
        shot = f"{name}-{width}.png" if language == "en" else f"ur-{name}-{width}.png"
        page.screenshot(path=SCREENSHOTS / shot, full_page=True)
    page.close()


def test_sample_story_reads_as_specified(browser, live_server, demo_urls):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(live_server.url + "/")
    lead = page.locator(".lead .card__title a")
    assert lead.inner_text().startswith("Biden administration: We are ready")
    lead.click()
    assert page.locator("h1").inner_text().startswith("Biden administration")
    assert page.locator("figure figcaption").inner_text() == (
        "White House. Reuters / Jim Borg"
    )
    read_more = page.locator(".story__body .read-more a")
    assert read_more.inner_text().startswith("Putin: The West brought its missiles")
    assert page.locator(".story__source").inner_text() == "Source: agencies"
    page.locator(".see-also a").click()
    assert "(photos)" in page.locator("h1").inner_text()
    assert page.locator(".gallery figure").count() >= 3
    page.close()


def test_skip_link_appears_on_keyboard_focus(browser, live_server, demo_urls):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(live_server.url + "/")
    skip = page.locator(".skip-link")
    assert skip.bounding_box()["y"] < 0
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert skip.bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    page.close()


def test_story_views_are_counted_by_the_beacon(browser, live_server, demo_urls):
    cache.clear()
    mostread.reset_counter()
    lead = Article.objects.published().get(language="en", front_page_rank=1)
    reader = browser.new_page(
        viewport={"width": 1366, "height": 900},
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0",
    )
    with reader.expect_request("**/stats/view/") as beacon:
        reader.goto(live_server.url + demo_urls["article"])
    assert beacon.value.method == "POST"
    assert beacon.value.post_data == f"story={lead.pk}"
    reader.wait_for_load_state("networkidle")
    # The first beacon also wrote the count to the table.
    assert StoryViews.objects.get(article=lead).views == 1

    # A reload by the same reader and a headless (bot) browser do not count.
    reader.reload()
    reader.wait_for_load_state("networkidle")
    robot = browser.new_page()
    robot.goto(live_server.url + demo_urls["article"])
    robot.wait_for_load_state("networkidle")
    mostread.flush()
    assert StoryViews.objects.get(article=lead).views == 1

    # The story page fetched "Most read" (/most-read/) before the count was
    # written, and that page is kept up to five minutes (a minute in this
    # browser): as if they had passed, for another reader.
    cache.clear()
    visitor = browser.new_page(viewport={"width": 1366, "height": 900})
    visitor.goto(live_server.url + "/")
    most_read = visitor.locator(".most-read__list").first
    assert most_read.locator("a").first.inner_text() == lead.headline
    visitor.screenshot(path=SCREENSHOTS / "front-most-read-desktop.png", full_page=True)
    for page in (reader, robot, visitor):
        page.close()
