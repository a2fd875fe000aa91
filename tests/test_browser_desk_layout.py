"""The story form and the story list fit a laptop (1366 px) and a phone
(390 px) without the page scrolling sideways, with inlines that have rows.
Screenshots land in /tmp/layout-*.png for a person to look at."""

import pytest
from playwright.sync_api import expect

from articles.models import Article, ArticleNote, Image, ReadMoreLink, SeeAlsoLink

from .factories import image_bytes, make_article, make_author, make_section
from .test_browser import browser  # noqa: F401 (fixture)
from .test_browser_workflow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def sideways_overflow(page) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


# The elements that reach past the window's right edge, to say what to fix.
OFFENDERS = """() => [...document.querySelectorAll("body *")]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(-8)
  .map(el => `${el.tagName.toLowerCase()}.${el.className} `
    + `${Math.round(el.getBoundingClientRect().right)}`)"""


def story_with_inlines() -> Article:
    section = make_section(name="World", slug="world")
    story = make_article(
        headline="Flood waters reach the old bridge at Ravi by evening",
        section=section,
    )
    story.bylines.create(author=make_author(name="Sara Khan"), position=1)
    other = make_article(headline="Rescue boats sent from Lahore to the river towns")
    ReadMoreLink.objects.create(article=story, target=other, after_paragraph=1)
    SeeAlsoLink.objects.create(article=story, target=other, position=1)
    SeeAlsoLink.objects.create(
        article=story,
        url="https://example.org/a/very/long/address/for/the/flood/appeal/page",
        title="The provincial flood appeal, with the numbers to call for help",
        position=2,
    )
    ArticleNote.objects.create(
        article=story,
        kind=ArticleNote.Kind.CORRECTION,
        text="An earlier version of this story gave the river's level as 18 feet; "
        "it was 16 feet, as the irrigation department's reading at noon shows. " * 3,
    )
    return story


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "390"])
def test_story_form_and_list_have_no_sideways_scroll(
    browser,  # noqa: F811
    live_server,
    editor,
    viewport,
):
    story = story_with_inlines()
    make_article(
        headline="A scheduled story",
        status=Article.Status.DRAFT,
    )
    page = browser.new_page(viewport=viewport)
    log_in(page, live_server, "editor")
    width = viewport["width"]

    pages = {
        "add": "/admin/articles/article/add/",
        "change": f"/admin/articles/article/{story.pk}/change/",
        "list": "/admin/articles/article/",
    }
    for name, url in pages.items():
        page.goto(live_server.url + url)
        page.screenshot(path=f"/tmp/layout-{name}-{width}.png", full_page=True)
        assert sideways_overflow(page) <= 0, (name, page.evaluate(OFFENDERS))

    # Nor does the story table scroll inside its box: every column shows.
    results = page.locator("#changelist .results")
    assert results.evaluate("el => el.scrollWidth - el.clientWidth") <= 0, (
        page.evaluate(OFFENDERS)
    )

    if width == 390:
        # On a phone each story row still says its state and time.
        rows = page.locator("#result_list tbody tr")
        expect(rows).to_have_count(3)
        for row in rows.all():
            for column in ("field-headline", "field-state", "field-when"):
                cell = row.locator(f".{column}")
                expect(cell).to_be_visible()
                box = cell.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, column
        expect(page.locator("#result_list")).to_contain_text("Draft")

        # "Today" sits beside the date box, inside the window.
        date_box = page.locator(".actions input[name=when_0]").bounding_box()
        today = page.locator(".actions .datetimeshortcuts").first.bounding_box()
        assert today["x"] >= date_box["x"] + date_box["width"]
        assert today["y"] < date_box["y"] + date_box["height"]
        assert today["x"] + today["width"] <= width

        # The list's actions work on a phone: tick a story, choose, Go.
        draft = rows.filter(has_text="A scheduled story")
        draft.locator("input.action-select").check()
        expect(page.locator(".action-counter")).to_contain_text("1 of 3 selected")
        page.select_option(".actions select[name=action]", "publish_stories")
        go = page.locator(".actions button[name=index]")
        box = go.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        go.click()
        expect(page.locator(".messagelist")).to_contain_text("1 story published.")
        expect(draft.locator(".field-state")).to_have_text("Published")
        assert sideways_overflow(page) <= 0, page.evaluate(OFFENDERS)
    page.close()


def test_refused_save_names_the_fields_at_the_top(
    browser,  # noqa: F811
    live_server,
    editor,
):
    story = story_with_inlines()
    page = browser.new_page(viewport=PHONE)
    log_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/admin/articles/article/{story.pk}/change/")
    page.fill("#id_headline", "")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .error")).to_have_text(
        "Please correct the error below: Headline."
    )
    # The message replaces Django's note that names nothing; the field's
    # own error stays beside it.
    expect(page.locator("p.errornote")).to_be_hidden()
    expect(page.locator(".field-headline .errorlist")).to_be_visible()
    page.screenshot(path="/tmp/layout-refused-390.png")
    assert sideways_overflow(page) <= 0
    page.close()


def test_a_refused_picture_form_keeps_the_chosen_file(
    browser,  # noqa: F811
    live_server,
    editor,
):
    page = browser.new_page(viewport=PHONE)
    log_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/admin/articles/image/add/")
    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "photo.jpg",
                "mimeType": "image/jpeg",
                "buffer": image_bytes((900, 600), color=(30, 90, 150)),
            }
        ],
    )
    page.click("input[name=_save]")  # no alt text: refused
    expect(page.locator(".field-alt_text .errorlist")).to_be_visible()
    expect(page.locator(".messagelist .error")).to_have_text(
        "Please correct the error below: Alt text."
    )
    expect(page.locator(".field-file .help")).to_contain_text(
        "photo.jpg is kept; you need not choose it again."
    )
    page.screenshot(path="/tmp/layout-image-kept-390.png", full_page=True)
    page.fill("#id_alt_text", "A river at dusk")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    image = Image.objects.get()
    assert (image.width, image.height, image.alt_text) == (900, 600, "A river at dusk")
    page.close()
