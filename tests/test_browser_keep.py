"""Never losing typed text, in headless Chromium: typing kept in the browser
is offered back after a closed tab or an expired session, and an edit
conflict shows the other person's version beside the typed one.
Screenshots go to KEEP_SCREENSHOTS (a path prefix), if set, for people to
look at."""

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Article
from articles.roles import EDITOR

from .conftest import make_staff
from .factories import make_article
from .test_browser import browser  # noqa: F401 (fixture)
from .test_browser_workflow import DESKTOP, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("KEEP_SCREENSHOTS", "")

BODY = ".field-body .ProseMirror[contenteditable]"
# Puts the caret at the end of the body, as a selection rather than a click;
# Tiptap sets it at the next frame, so wait until it is there.
CARET_AT_END = f"document.querySelector('{BODY}').editor.commands.focus('end')"
CARET_IS_AT_END = f"""() => {{
    const editor = document.querySelector('{BODY}').editor;
    const selection = editor.state.selection;
    return editor.view.hasFocus() && selection.empty
        && selection.to === editor.state.doc.content.size - 1;
}}"""
KEPT = "key => localStorage.getItem(key) || ''"


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}-{name}.png", full_page=True)


def change_url(live_server, story: Article) -> str:
    return f"{live_server.url}/admin/articles/article/{story.pk}/change/"


def open_story(page, live_server, story: Article) -> None:
    page.goto(change_url(live_server, story))
    expect(page.locator(BODY)).to_be_visible()


def type_in_body(page, text: str) -> None:
    page.evaluate(CARET_AT_END)
    page.wait_for_function(CARET_IS_AT_END)
    page.keyboard.type(text)


def wait_until_kept(page, key: str, text: str) -> None:
    page.wait_for_function(
        f"([key, text]) => ({KEPT})(key).includes(text)", arg=[key, text]
    )


def newsroom_times() -> set[str]:
    """The banner's time, in the newsroom's zone (this minute or the last)."""
    now = timezone.localtime()
    return {(now - timedelta(minutes=m)).strftime("%H:%M") for m in (0, 1)}


def test_typing_in_a_closed_tab_is_offered_back_and_restored_into_the_editor(
    browser,  # noqa: F811
    live_server,
    editor,
):
    story = make_article(headline="Council meets", body="<p>The council met.</p>")
    key = f"story-draft.{editor.pk}.{story.pk}"
    # A laptop set to New York time: the banner says the newsroom's time.
    context = browser.new_context(viewport=DESKTOP, timezone_id="America/New_York")
    page = context.new_page()
    log_in(page, live_server, "editor")
    open_story(page, live_server, story)
    expect(page.locator(".draft-banner")).to_have_count(0)

    page.fill("#id_headline", "Council meets at night")
    type_in_body(page, " Then the mayor said that")
    wait_until_kept(page, key, "the mayor said that")
    page.close()  # mid-sentence, never saved

    page = context.new_page()
    open_story(page, live_server, story)
    banner = page.locator(".draft-banner")
    expect(banner).to_contain_text(
        re.compile(r"You have unsaved changes from (\d\d:\d\d) — Restore Discard")
    )
    shown = re.search(r"from (\d\d:\d\d)", banner.inner_text()).group(1)
    assert shown in newsroom_times()
    # Not restored until asked: the form shows the saved story.
    expect(page.locator("#id_headline")).to_have_value("Council meets")
    expect(page.locator(BODY)).to_have_text("The council met.")
    shot(page, "draft-banner-desktop")
    page.set_viewport_size(PHONE)
    shot(page, "draft-banner-phone")
    page.set_viewport_size(DESKTOP)

    banner.get_by_role("button", name="Restore").click()
    expect(banner).to_have_count(0)
    expect(page.locator("#id_headline")).to_have_value("Council meets at night")
    expect(page.locator(BODY)).to_have_text("The council met. Then the mayor said that")
    expect(page.locator(".field-body .counter--words")).to_contain_text("8 words")
    type_in_body(page, " the roads would be mended.")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    story.refresh_from_db()
    assert story.headline == "Council meets at night"
    assert "the mayor said that the roads would be mended." in story.body
    # Saved, so no longer kept, and nothing is offered on the next visit.
    assert page.evaluate(KEPT, key) == ""
    open_story(page, live_server, story)
    expect(page.locator("#id_headline")).to_have_value("Council meets at night")
    expect(page.locator(".draft-banner")).to_have_count(0)

    # Discarding forgets the kept typing.
    type_in_body(page, " A typo")
    wait_until_kept(page, key, "A typo")
    page.close()
    page = context.new_page()
    open_story(page, live_server, story)
    page.locator(".draft-banner").get_by_role("button", name="Discard").click()
    expect(page.locator(".draft-banner")).to_have_count(0)
    expect(page.locator(BODY)).not_to_contain_text("A typo")
    assert page.evaluate(KEPT, key) == ""
    context.close()


def test_typing_survives_an_expired_session_and_signing_in_again(
    browser,  # noqa: F811
    live_server,
    editor,
):
    story = make_article(headline="Market opens", body="<p>Stalls are set up.</p>")
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    log_in(page, live_server, "editor")
    open_story(page, live_server, story)
    type_in_body(page, " Traders arrive before dawn")
    # The session ends while the editor types (idle timeout, signed out
    # elsewhere); the save goes to the sign-in page, which drops the form.
    context.clear_cookies(name="sessionid")
    page.click("input[name=_continue]")
    expect(page.locator("#id_username")).to_be_visible()
    assert "Traders" not in Article.objects.get(pk=story.pk).body

    page.fill("#id_username", "editor")
    page.fill("#id_password", "pw-editor-1")
    page.click("input[type=submit]")
    # Back on the story, as it was saved, with the typing offered back.
    expect(page.locator(BODY)).to_have_text("Stalls are set up.")
    page.locator(".draft-banner").get_by_role("button", name="Restore").click()
    expect(page.locator(BODY)).to_have_text(
        "Stalls are set up. Traders arrive before dawn"
    )
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert "Traders arrive before dawn" in Article.objects.get(pk=story.pk).body
    context.close()


def test_an_edit_conflict_shows_their_version_beside_mine(
    browser,  # noqa: F811
    live_server,
    editor,
):
    make_staff("second_editor", EDITOR)
    story = make_article(
        headline="Bridge closes", standfirst="For repairs.", body="<p>From Monday.</p>"
    )
    theirs = browser.new_context(viewport=DESKTOP).new_page()
    mine = browser.new_context(viewport=DESKTOP).new_page()
    log_in(theirs, live_server, "editor")
    log_in(mine, live_server, "second_editor")
    open_story(theirs, live_server, story)
    open_story(mine, live_server, story)

    theirs.fill("#id_headline", "Bridge closes for a week")
    theirs.click("input[name=_continue]")
    expect(theirs.locator(".messagelist")).to_contain_text("was changed successfully")

    mine.fill("#id_headline", "Bridge closes on Monday")
    type_in_body(mine, " Buses take the ring road.")
    mine.click("input[name=_continue]")
    conflict = mine.locator(".edit-conflict")
    expect(conflict).to_contain_text("your changes were not saved")
    table = conflict.locator(".edit-conflict__table")
    headline = table.locator("tr", has_text="Headline")
    expect(headline.locator(".edit-conflict__theirs")).to_have_text(
        "Bridge closes for a week"
    )
    expect(headline.locator(".edit-conflict__yours del")).to_have_text(
        ["for", "a week"]
    )
    expect(headline.locator(".edit-conflict__yours ins")).to_have_text(["on", "Monday"])
    body = table.locator("tr", has_text="Body")
    expect(body.locator(".edit-conflict__theirs")).to_have_text("From Monday.")
    expect(body.locator(".edit-conflict__yours ins")).to_have_text(
        " Buses take the ring road."
    )
    # Side by side: their version's column left of mine, on one line.
    their_box = headline.locator(".edit-conflict__theirs").bounding_box()
    my_box = headline.locator(".edit-conflict__yours").bounding_box()
    assert their_box["x"] + their_box["width"] <= my_box["x"]
    assert abs(their_box["y"] - my_box["y"]) < 2
    # What I typed is still in the form.
    expect(mine.locator("#id_headline")).to_have_value("Bridge closes on Monday")
    expect(mine.locator(BODY)).to_have_text("From Monday. Buses take the ring road.")
    shot(mine, "edit-conflict-desktop")
    mine.set_viewport_size(PHONE)
    shot(mine, "edit-conflict-phone")
    mine.set_viewport_size(DESKTOP)

    # Merging their headline into mine and saving again without the box is
    # refused again; with it, mine is saved.
    mine.fill("#id_headline", "Bridge closes on Monday for a week")
    mine.click("input[name=_continue]")
    expect(mine.locator(".edit-conflict")).to_be_visible()
    assert Article.objects.get(pk=story.pk).headline == "Bridge closes for a week"
    mine.get_by_label("Save mine over theirs").check()
    mine.click("input[name=_continue]")
    expect(mine.locator(".messagelist")).to_contain_text("was changed successfully")
    saved = Article.objects.get(pk=story.pk)
    assert saved.headline == "Bridge closes on Monday for a week"
    assert "Buses take the ring road." in saved.body
    theirs.context.close()
    mine.context.close()


def test_signing_out_removes_the_kept_typing_from_the_browser(
    browser,  # noqa: F811
    live_server,
    editor,
):
    story = make_article(headline="Synod meets", body="<p>Bishops gather.</p>")
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    log_in(page, live_server, "editor")
    open_story(page, live_server, story)
    key = f"story-draft.{editor.pk}.{story.pk}"
    type_in_body(page, " A sensitive unsaved line")
    wait_until_kept(page, key, "sensitive unsaved line")
    # Kept while signed in, as the tests above rely on.
    page.goto(f"{live_server.url}/admin/")
    assert "sensitive" in page.evaluate(KEPT, key)
    page.evaluate("localStorage.setItem('unrelated', 'stays')")

    page.click("#logout-form button")
    expect(page.locator("#content")).to_contain_text(
        "Unsaved typing kept in this browser for your stories has been removed"
    )
    page.wait_for_function(f"() => !localStorage.getItem('{key}')")
    assert page.evaluate("localStorage.getItem('unrelated')") == "stays"
    context.close()
