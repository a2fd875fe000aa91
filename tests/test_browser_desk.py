"""The editors' desk in headless Chromium, on a laptop set to New York time:
no "hours behind server time" under each box but one note on the zone, the
action bar's calendar and clock, no delete links beside related records,
and no 404 for the icon."""

import os
import re

import pytest
from playwright.sync_api import expect

from articles.models import Article

from .factories import make_article
from .test_browser import browser  # noqa: F401 (fixture)
from .test_browser_workflow import DESKTOP, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots for a person to look at; not checked by the tests.
SHOTS = os.environ.get("DESK_SCREENSHOTS", "")


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}-{name}.png", full_page=True)


def test_editor_in_another_time_zone_sees_one_note_and_the_same_date_boxes(
    browser,  # noqa: F811
    live_server,
    editor,
):
    story = make_article(headline="Budget passes", front_page_rank=1)
    context = browser.new_context(viewport=DESKTOP, timezone_id="America/New_York")
    page = context.new_page()
    missing = []
    page.on(
        "response",
        lambda response: missing.append(response.url) if response.status == 404 else 0,
    )
    log_in(page, live_server, "editor")
    expect(page.locator("#content")).to_contain_text("Stories")
    expect(page.locator("#content")).to_contain_text("Tags")
    shot(page, "dashboard")

    page.goto(f"{live_server.url}/admin/articles/article/{story.pk}/change/")
    # DateTimeShortcuts adds its warning (the browser's zone differs); the
    # stylesheet hides it, and the Publishing panel names the zone once.
    expect(page.locator(".timezonewarning").first).to_be_attached()
    expect(page.locator(".timezonewarning").first).to_be_hidden()
    expect(page.get_by_text("Times are Pakistan time (PKT)")).to_be_visible()
    expect(page.locator(".field-section .add-related")).to_be_visible()
    assert page.locator(".delete-related").count() == 0
    shot(page, "story-form")

    page.goto(f"{live_server.url}/admin/articles/article/")
    actions = page.locator(".actions")
    expect(actions.locator("input[name=when_0].vDateField")).to_be_visible()
    expect(actions.locator(".datetimeshortcuts").first).to_be_visible()
    expect(actions.locator(".timezonewarning").first).to_be_hidden()
    # "Today" and "Now" fill the boxes in the newsroom's format.
    actions.locator(".datetimeshortcuts a:has-text('Today')").first.click()
    expect(actions.locator("input[name=when_0]")).to_have_value(
        re.compile(r"^\d{4}-\d{2}-\d{2}$")
    )
    shot(page, "story-list")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "story-list-phone")
    page.goto(f"{live_server.url}/admin/articles/article/{story.pk}/change/")
    shot(page, "story-form-phone")
    assert not missing, missing
    context.close()
    assert Article.objects.get(pk=story.pk).front_page_rank == 1
