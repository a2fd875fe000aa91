"""The story form of an Urdu story in headless Chromium: choosing Urdu turns
the headline, standfirst, slug and body editor right to left, the headline
counter counts what a reader sees as characters (graphemes, not UTF-16 code
units), the translation picker then offers English stories, and the story
saves linked to its English version. A screenshot lands in
/tmp/story-form-urdu-1366.png for a person to look at."""

import pytest
from playwright.sync_api import expect

from articles.models import Article

from .factories import make_article, make_section
from .test_browser import browser  # noqa: F401 (fixture)
from .test_browser_desk_layout import LAPTOP
from .test_browser_workflow import log_in, pick_autocomplete

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 16 UTF-16 code units, 14 characters: each zer (ِ) joins its letter.
HEADLINE = "پاکِستان کی جِیت"


def test_choosing_urdu_writes_the_story_right_to_left(
    browser,  # noqa: F811
    live_server,
    editor,
):
    section = make_section(name="Sports", slug="sports")
    english = make_article(headline="Pakistan wins", slug="pakistan-wins")
    make_article(
        language="ur", headline="لاہور میں بارش", slug="lahore-barish", section=section
    )
    page = browser.new_page(viewport=LAPTOP)
    log_in(page, live_server, "editor")
    page.goto(live_server.url + "/admin/articles/article/add/")
    headline = page.locator("#id_headline")
    body = page.locator(".field-body [contenteditable=true]")
    expect(body).to_be_visible()
    expect(headline).to_have_attribute("dir", "ltr")

    page.select_option("#id_language", "ur")
    for field in (headline, page.locator("#id_standfirst"), page.locator("#id_slug")):
        expect(field).to_have_attribute("dir", "rtl")
        expect(field).to_have_attribute("lang", "ur")
    expect(body).to_have_attribute("dir", "rtl")
    expect(body).to_have_attribute("lang", "ur")

    headline.fill(HEADLINE)
    expect(page.locator(".field-headline .counter")).to_contain_text("14 / 70")
    body.click()
    page.keyboard.type("قومی ٹیم نے میچ جیت لیا۔")
    direction = body.evaluate("element => getComputedStyle(element).direction")
    assert direction == "rtl"
    page.fill("#id_standfirst", "کھلاڑیوں نے جشن منایا۔")
    page.fill("#id_slug", "pakistan-ki-jeet")
    pick_autocomplete(page, "section", "Spo", "Sports")

    # Only English stories are offered as the Urdu story's translation.
    page.click(".field-translation .select2-selection")
    page.fill(".select2-container--open .select2-search__field", "a")
    options = page.locator(".select2-results__option")
    expect(options).to_have_text(["English: Pakistan wins"])
    options.first.click()
    page.screenshot(path="/tmp/story-form-urdu-1366.png", full_page=True)
    page.click(".story-desk__publishing input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    story = Article.objects.get(slug="pakistan-ki-jeet")
    assert (story.language, story.headline) == ("ur", HEADLINE)
    assert story.translation == english
    english.refresh_from_db()
    assert english.translation == story
    page.close()
