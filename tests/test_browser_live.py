"""Live coverage in headless Chromium: a reader's open story page offers an
editor's new update within seconds, without moving what the reader is
reading, and shows it on a click; a deleted update goes the same way.
Screenshots land in /tmp/live-*.png for a person to look at."""

import pytest
from playwright.sync_api import expect

from live.models import LiveCoverage, LiveUpdate

from .factories import make_article
from .test_browser import browser  # noqa: F401 (fixture)
from .test_browser_story_form import LAPTOP
from .test_browser_workflow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The fragment may be kept by the browser for up to LIVE_UPDATES_MAX_AGE
# (10 s) after its last fetch; then the next poll sees the change.
WITHIN = 20_000


def test_editor_posts_an_update_and_an_open_page_offers_it(
    browser,  # noqa: F811
    live_server,
    editor,
    settings,
):
    settings.LIVE_POLL_SECONDS = 1
    story = make_article(headline="Floods in Sindh")
    LiveCoverage.objects.create(article=story)
    first = LiveUpdate.objects.create(
        article=story,
        text="Boats reach Badin, first marker",
        status=LiveUpdate.Status.PUBLISHED,
    )

    reader = browser.new_context(viewport=LAPTOP).new_page()
    reader.goto(live_server.url + story.get_absolute_url())
    old = reader.locator(f"#update-{first.pk}")
    expect(old).to_contain_text("first marker")
    notice = reader.locator("[data-live-notice]")
    expect(notice).to_be_hidden()
    reader.locator("#live").scroll_into_view_if_needed()
    before = old.bounding_box()

    desk = browser.new_context(viewport=LAPTOP).new_page()
    log_in(desk, live_server, "editor")
    desk.goto(f"{live_server.url}/admin/live/liveupdate/?story={story.pk}")
    desk.fill("#id_text", "Rain expected overnight, second marker")
    desk.click("input[name=_publish]")
    expect(desk.locator(".messagelist")).to_contain_text("The update is published.")
    desk.screenshot(path="/tmp/live-desk.png", full_page=True)

    expect(notice).to_have_text("1 new update", timeout=WITHIN)
    # Offered, not inserted: nothing moved under the reader's eyes.
    assert "second marker" not in reader.locator("#live").inner_text()
    assert old.bounding_box() == before
    reader.screenshot(path="/tmp/live-notice.png")
    notice.click()
    expect(notice).to_be_hidden()
    updates = reader.locator(".live-update")
    expect(updates.first).to_contain_text("second marker")
    expect(updates.nth(1)).to_contain_text("first marker")

    # The editor deletes the first update; the open page offers the change.
    desk.goto(
        f"{live_server.url}/admin/live/liveupdate/{first.pk}/delete/"
        f"?_changelist_filters=story%3D{story.pk}"
    )
    desk.click("input[type=submit]")
    expect(desk.locator(".messagelist")).to_contain_text("deleted")
    expect(notice).to_be_visible(timeout=WITHIN)
    notice.click()
    expect(reader.locator(f"#update-{first.pk}")).to_have_count(0)
    expect(updates).to_have_count(1)
    reader.screenshot(path="/tmp/live-reader.png", full_page=True)
