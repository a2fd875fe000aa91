"""The Content-Security-Policy and Permissions-Policy in headless Chromium:
the admin works under its policy (prose editor, uploads, revisions) and
blocks inline script without the nonce; readers' pages work with no inline
style allowed; the players may go full screen, nothing may use the camera."""

import re

import pytest
from playwright.sync_api import expect

from articles.models import Article, Image

from .factories import image_bytes, make_article, make_image, make_section
from .test_browser import RECORD_CSP_VIOLATIONS, browser  # noqa: F401 (fixture)
from .test_browser_workflow import DESKTOP, log_in, pick_autocomplete

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def watched_page(browser, viewport):  # noqa: F811
    """A page recording CSP violations (window.cspViolations) and the console
    lines about either policy (page.policy_messages)."""
    page = browser.new_page(viewport=viewport)
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    page.policy_messages = []

    def heard(message):
        text = message.text
        if "Content Security Policy" in text or "Permissions-Policy" in text:
            page.policy_messages.append(text)

    page.on("console", heard)
    return page


def assert_clean(page, where: str) -> None:
    assert page.evaluate("window.cspViolations") == [], where
    assert page.policy_messages == [], where


def test_editor_writes_uploads_and_compares_under_the_admins_policy(
    browser,  # noqa: F811
    live_server,
    editor,
):
    make_section(name="Culture", slug="culture")
    page = watched_page(browser, DESKTOP)
    log_in(page, live_server, "editor")
    assert_clean(page, "login")

    response = page.goto(live_server.url + "/admin/articles/article/add/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy
    page.fill("#id_headline", "Choir tours Sindh")
    page.fill("#id_standfirst", "Twelve towns in twelve days.")
    body = page.locator(".field-body [contenteditable=true]")
    body.click()
    page.keyboard.type("The choir sang ")
    page.keyboard.press("Control+b")
    page.keyboard.type("old hymns")
    page.keyboard.press("Control+b")
    page.keyboard.type(" in Hyderabad. Read the programme.")
    # A link on "programme", through the editor's link dialog.
    page.keyboard.press("ArrowLeft")
    for _ in "programme":
        page.keyboard.press("Shift+ArrowLeft")
    page.click(".prose-menubar__button[data-name=link]")
    dialog = page.locator("dialog.prose-editor-dialog[open]")
    dialog.locator("input[name=href]").fill("https://example.org/programme")
    dialog.locator("button[type=submit]").click()
    expect(body.locator("a")).to_have_text("programme")
    pick_autocomplete(page, "section", "Cul", "Culture")
    page.select_option("#id_status", "draft")
    page.click("summary:has-text('Video and gallery')")  # a collapsed part
    page.set_input_files(
        "#id_gallery_photos",
        files=[
            {
                "name": "choir.jpg",
                "mimeType": "image/jpeg",
                "buffer": image_bytes((1200, 800), color=(90, 120, 60)),
            }
        ],
    )
    page.fill("#id_gallery_alt_text", "The choir on the steps")
    assert_clean(page, "story form")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator(".messagelist")).to_contain_text("1 photos added")
    story = Article.objects.get(slug="choir-tours-sindh")
    assert "<strong>old hymns</strong>" in story.body
    link = r'<a href="https://example.org/programme"[^>]*>programme</a>\.'
    assert re.search(link, story.body)
    photo = Image.objects.get()
    assert photo.file.storage.exists(photo.file.name)
    assert photo.renditions
    assert_clean(page, "saved story")

    # A second version, then its history and what changed.
    body = page.locator(".field-body [contenteditable=true]")
    body.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" Tickets are free.")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.click(".object-tools a.historylink")
    page.locator("#change-history a:has-text('What changed')").first.click()
    expect(page.locator(".story-changes__diff ins").first).to_contain_text(
        "Tickets are free."
    )
    assert_clean(page, "history")

    # The picture's own form: focal-point picker and crop previews.
    response = page.goto(f"{live_server.url}/admin/articles/image/{photo.pk}/change/")
    expect(page.locator(".crop-previews figure")).to_have_count(3)
    assert_clean(page, "picture form")

    # A script slipped in without the nonce does not run; one with the
    # page's nonce does (the test would pass vacuously otherwise).
    nonce = re.search(r"'nonce-([^']+)'", response.headers["content-security-policy"])[
        1
    ]
    ran = page.evaluate(
        """(nonce) => new Promise((resolve) => {
            for (const [name, withNonce] of [["bad", false], ["good", true]]) {
                const script = document.createElement("script");
                if (withNonce) script.nonce = nonce;
                script.textContent = `window.ran_${name} = true;`;
                document.body.appendChild(script);
            }
            setTimeout(() => resolve([!!window.ran_bad, !!window.ran_good]), 100);
        })""",
        nonce,
    )
    assert ran == [False, True]
    assert page.evaluate("window.cspViolations") == ["script-src-elem inline"]
    page.close()


def test_readers_pages_show_pictures_without_inline_styles(
    browser,  # noqa: F811
    live_server,
):
    picture = make_image(size=(1600, 900), focal_x=83, focal_y=12)
    lead = make_article(headline="Harbour at dawn", lead_image=picture)
    video = make_article(
        headline="Choir in Quetta",
        kind="video",
        video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        lead_image=make_image(),
    )
    page = watched_page(browser, PHONE)
    for path in ("/", lead.get_absolute_url(), video.get_absolute_url()):
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert "style-src 'self';" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        assert_clean(page, path)

    # The lead picture keeps its subject in view: the focal point, rounded
    # to 5 %, reaches the image as object-position.
    page.goto(live_server.url + lead.get_absolute_url())
    position = page.evaluate(
        "getComputedStyle(document.querySelector('.story__media img, figure img'))"
        ".objectPosition"
    )
    assert position == "85% 10%"

    # The player may go full screen and picture-in-picture; the page itself
    # and the player get no camera, microphone or location.
    page.goto(live_server.url + video.get_absolute_url())
    facts = page.evaluate(
        """() => {
            const player = document.querySelector(".story__video iframe").featurePolicy;
            const origin = "https://www.youtube-nocookie.com";
            return {
                fullscreen: player.allowsFeature("fullscreen", origin),
                pip: player.allowsFeature("picture-in-picture", origin),
                playerCamera: player.allowsFeature("camera", origin),
                camera: document.featurePolicy.allowsFeature("camera"),
                geolocation: document.featurePolicy.allowsFeature("geolocation"),
                passkeys: document.featurePolicy.allowsFeature(
                    "publickey-credentials-get"),
            };
        }"""
    )
    assert facts == {
        "fullscreen": True,
        "pip": True,
        "playerCamera": False,
        "camera": False,
        "geolocation": False,
        "passkeys": False,
    }
    page.close()


def test_the_admin_may_use_passkeys(browser, live_server):  # noqa: F811
    page = watched_page(browser, DESKTOP)
    page.goto(live_server.url + "/admin/login/")
    allowed = page.evaluate(
        """() => ["publickey-credentials-get", "publickey-credentials-create",
                  "camera"].map((f) => document.featurePolicy.allowsFeature(f))"""
    )
    assert allowed == [True, True, False]
    assert_clean(page, "login")
    page.close()
