"""The desk in headless Chromium: an editor publishes a writer's story from
the review queue, and the desk and the story list fit a laptop (1366 px)
and a phone (390 px) without scrolling sideways. DESK_SCREENSHOTS=/tmp/x
saves screenshots for a person to look at."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Article, ArticleNote

from .factories import make_article, make_section
from .test_browser import browser  # noqa: F401 (fixture)
from .test_browser_desk import shot
from .test_browser_desk_layout import LAPTOP, OFFENDERS, PHONE, sideways_overflow
from .test_browser_workflow import log_in, log_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_publishes_a_writers_story_from_the_review_queue(
    browser,  # noqa: F811
    live_server,
    writer,
    editor,
):
    story = make_article(
        headline="Lahore choir wins the national prize",
        status=Article.Status.REVIEW,
        published_at=None,
        created_by=writer,
        section=make_section(name="Culture"),
    )
    make_article(headline="Yesterday's lead story")
    page = browser.new_page(viewport=LAPTOP)
    log_in(page, live_server, "editor")

    # Signing in opens the desk, with the story waiting for review.
    review = page.locator("#desk-review")
    expect(review.locator("h2")).to_have_text("Waiting for review")
    expect(review).to_contain_text("Writer, Culture; last saved")
    expect(page.locator("#desk-front-page")).not_to_contain_text("Lahore choir")
    review.get_by_role("link", name="Lahore choir wins the national prize").click()
    expect(page.locator("#id_headline")).to_have_value(
        "Lahore choir wins the national prize"
    )

    page.select_option("#id_status", "published")
    when = timezone.localtime() - timedelta(minutes=1)
    page.fill("#id_published_at_0", when.strftime("%Y-%m-%d"))
    page.fill("#id_published_at_1", when.strftime("%H:%M:%S"))
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    # Back on the desk: nothing waits, and the story leads the front page.
    page.click("#site-name a")
    expect(page.locator("#desk-review")).to_contain_text("Nothing waiting for review.")
    expect(page.locator("#desk-review")).not_to_contain_text("Lahore choir")
    front = page.locator("#desk-front-page li").first
    expect(front).to_contain_text("Lahore choir wins the national prize")
    expect(front).to_contain_text("Lead, newest")
    story.refresh_from_db()
    assert story.status == Article.Status.PUBLISHED
    page.close()


def a_busy_desk(writer) -> None:
    """Something in every panel, with headlines long enough to wrap."""
    culture = make_section(name="Culture and the arts in the provinces")
    soon = timezone.now() + timedelta(days=1)
    make_article(
        headline="Cathedral choir from Karachi returns after its month-long tour "
        "of churches in the north",
        status=Article.Status.REVIEW,
        published_at=None,
        created_by=writer,
        section=culture,
    )
    make_article(
        headline="Flood waters reach the old bridge at Ravi by evening",
        is_breaking=True,
        breaking_until=soon,
        front_page_rank=1,
    )
    make_article(headline="Budget speech on Friday", published_at=soon, section=culture)
    make_article(
        headline="A draft about the synod's decisions",
        status=Article.Status.DRAFT,
        published_at=None,
        created_by=writer,
    )
    corrected = make_article(headline="Turnout in the by-election")
    ArticleNote.objects.create(
        article=corrected,
        kind=ArticleNote.Kind.CORRECTION,
        text="An earlier version of this story gave the turnout as 48 per cent; "
        "it was 44 per cent, as the election commission's figures show.",
    )


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "390"])
def test_desk_and_story_list_fit_the_window(
    browser,  # noqa: F811
    live_server,
    writer,
    editor,
    viewport,
):
    a_busy_desk(writer)
    width = viewport["width"]
    page = browser.new_page(viewport=viewport)

    log_in(page, live_server, "editor")
    for name in ["review", "breaking", "scheduled", "front-page", "corrections"]:
        panel = page.locator(f"#desk-{name}")
        expect(panel.locator("h2")).to_be_visible()
        expect(panel.locator("li").first).to_be_visible()
        box = panel.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, name
    expect(page.locator("#desk-breaking")).to_contain_text("Breaking until")
    expect(page.locator("#content-main")).to_contain_text("Stories")
    shot(page, f"editor-{width}")
    assert sideways_overflow(page) <= 0, page.evaluate(OFFENDERS)

    page.click("#desk-breaking .desk-panel__more a")
    expect(page.locator("#result_list .field-state")).to_contain_text(
        ["Published, breaking until"]
    )
    shot(page, f"breaking-list-{width}")
    assert sideways_overflow(page) <= 0, page.evaluate(OFFENDERS)
    page.goto(f"{live_server.url}/admin/articles/article/")
    expect(page.locator("#result_list")).to_contain_text("Scheduled for")
    shot(page, f"story-list-{width}")
    assert sideways_overflow(page) <= 0, page.evaluate(OFFENDERS)
    # Nor does the table scroll in its box, long section name and all.
    results = page.locator("#changelist .results")
    assert results.evaluate("el => el.scrollWidth - el.clientWidth") <= 0
    log_out(page)

    log_in(page, live_server, "writer")
    expect(page.locator("#desk-drafts")).to_contain_text("A draft about the synod")
    expect(page.locator("#desk-review")).to_have_count(0)
    shot(page, f"writer-{width}")
    assert sideways_overflow(page) <= 0, page.evaluate(OFFENDERS)
    page.close()
