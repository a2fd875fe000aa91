"""The newsroom workflow in headless Chromium: a writer writes a story with
the rich-text editor and submits it, an editor previews and publishes it, a
reader finds it on the front page. Admin screenshots at desktop width land
in screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from articles.models import Article, Image, ReadMoreLink

from .factories import image_bytes, make_article, make_section
from .test_browser import SCREENSHOTS, browser  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}


def log_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}-1")
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("Log out")


def log_out(page) -> None:
    page.click("#logout-form button")
    expect(page.locator("h1")).to_contain_text("Logged out")


def pick_autocomplete(page, field: str, term: str, option: str) -> None:
    page.click(f".field-{field} .select2-selection")
    page.fill(".select2-container--open .select2-search__field", term)
    page.click(f".select2-results__option:has-text('{option}')")


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"admin-{name}-desktop.png", full_page=True)


def test_writer_submits_editor_previews_and_publishes_reader_sees_it(
    browser,  # noqa: F811
    live_server,
    writer,
    editor,
):
    make_section(name="World", slug="world")
    older = make_article(headline="Earlier budget story")
    page = browser.new_page(viewport=DESKTOP)

    # The writer writes with the rich-text editor and sends it for review.
    log_in(page, live_server, "writer")
    page.goto(live_server.url + "/admin/articles/article/add/")
    page.fill("#id_headline", "Lahore choir wins national prize")
    expect(page.locator(".field-headline .counter")).to_have_text(
        re.compile(r"^32 / 70 characters")
    )
    page.fill("#id_standfirst", "Forty voices from St Anthony's took the top award.")
    editor_area = page.locator(".field-body [contenteditable=true]")
    editor_area.click()
    page.keyboard.type("The choir sang ")
    page.keyboard.press("Control+b")
    page.keyboard.type("three hymns")
    page.keyboard.press("Control+b")
    page.keyboard.type(" in Urdu and English.")
    page.keyboard.press("Enter")
    page.keyboard.type("The judges stood to applaud.")
    expect(page.locator(".field-body .counter--words")).to_contain_text("14 words")
    pick_autocomplete(page, "section", "Wor", "World")
    page.select_option("#id_status", "review")
    shot(page, "writer-add-story")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    story = Article.objects.get(slug="lahore-choir-wins-national-prize")
    assert story.status == Article.Status.REVIEW
    assert story.created_by == writer
    assert "<strong>three hymns</strong>" in story.body
    log_out(page)

    # The editor finds it in review, previews it and publishes it.
    log_in(page, live_server, "editor")
    page.goto(live_server.url + "/admin/articles/article/?status__exact=review")
    expect(page.locator("#result_list")).to_contain_text("Lahore choir wins")
    shot(page, "editor-review-list")
    page.click("#result_list a:has-text('Lahore choir wins')")
    with page.expect_popup() as popup:
        page.click("a.previewlink")
    preview = popup.value
    preview.wait_for_load_state()
    expect(preview.locator(".preview-banner")).to_contain_text(
        "Preview — not published."
    )
    expect(preview.locator("h1")).to_have_text("Lahore choir wins national prize")
    expect(preview.locator(".story__body strong")).to_have_text("three hymns")
    assert preview.locator("meta[name=robots]").get_attribute("content") == "noindex"
    shot(preview, "preview")
    preview.close()

    page.select_option("#id_status", "published")
    page.click(".field-published_at .datetimeshortcuts a:has-text('Today')")
    page.click(".field-published_at .datetimeshortcuts a:has-text('Now')")
    shot(page, "editor-change-story")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    shot(page, "editor-story-list")

    # A reader sees it on the front page as the lead, the newest story.
    reader = browser.new_context().new_page()
    reader.goto(live_server.url + "/")
    lead = reader.locator(".lead .card__title a")
    expect(lead).to_have_text("Lahore choir wins national prize")
    lead.click()
    expect(reader.locator(".story__body strong")).to_have_text("three hymns")
    assert older.headline in reader.goto(live_server.url + "/").text()
    reader.close()
    page.close()


def test_history_diff_and_delete_warning_at_desktop_width(
    browser,  # noqa: F811
    live_server,
    editor,
):
    story = make_article(headline="Bridge opens", body="<p>The old text.</p>")
    linking = make_article(headline="Traffic eases")
    ReadMoreLink.objects.create(article=linking, target=story)
    page = browser.new_page(viewport=DESKTOP)
    log_in(page, live_server, "editor")

    change = f"{live_server.url}/admin/articles/article/{story.pk}/change/"
    page.goto(change)
    page.click("input[name=_continue]")  # the first kept version
    page.fill("#id_headline", "Bridge opens early")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.click(".object-tools a.historylink")
    shot(page, "history")
    page.locator("#change-history a:has-text('What changed')").first.click()
    expect(page.locator(".story-changes__diff ins")).to_have_text(" early")
    shot(page, "changes")

    # A second editor's stale form is refused with a link to the change.
    stale = browser.new_page(viewport=DESKTOP)
    stale.context.add_cookies(page.context.cookies())
    stale.goto(change)
    page.goto(change)
    page.fill("#id_standfirst", "Saved first.")
    page.click("input[name=_continue]")
    stale.fill("#id_standfirst", "Saved second, from an old form.")
    stale.click("input[name=_continue]")
    expect(stale.locator(".errornote, .errorlist").first).to_be_visible()
    expect(stale.locator("body")).to_contain_text("your changes were not saved")
    shot(stale, "edit-conflict")
    stale.close()

    page.goto(f"{live_server.url}/admin/articles/article/{story.pk}/delete/")
    expect(page.locator(".link-warning")).to_contain_text(
        "1 other story links to this one."
    )
    shot(page, "delete-warning")

    page.goto(f"{live_server.url}/admin/articles/image/add/")
    page.set_input_files(
        "#id_file",
        files=[{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"text"}],
    )
    page.fill("#id_alt_text", "A picture that is not one")
    page.click("input[name=_save]")
    expect(page.locator(".field-file .errorlist")).to_contain_text(
        "is not a JPEG, PNG, WebP or GIF picture"
    )
    shot(page, "image-refused")

    # A good picture: the focal point is set by clicking the preview.
    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "choir.jpg",
                "mimeType": "image/jpeg",
                "buffer": image_bytes((1200, 800), color=(90, 120, 60)),
            }
        ],
    )
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    picture = page.locator(".focal-picker img")
    box = picture.bounding_box()
    picture.click(position={"x": box["width"] * 0.2, "y": box["height"] * 0.3})
    expect(page.locator("#id_focal_x")).to_have_value("20")
    expect(page.locator("#id_focal_y")).to_have_value("30")
    page.click("input[name=_continue]")
    expect(page.locator(".crop-previews figure")).to_have_count(3)
    image = Image.objects.get()
    assert (image.focal_x, image.focal_y) == (20, 30)
    assert image.crops["focal"] == [20, 30]
    shot(page, "image-focal-point")

    page.goto(f"{live_server.url}/admin/articles/article/")
    expect(page.locator("#result_list input[name$=front_page_rank]")).to_have_count(2)
    shot(page, "editor-story-list-all")
    page.close()
