"""The story form in headless Chromium: a writer writes a story, uploads its
lead picture from the form (chosen, or dropped on the box), sets the focal
point on the preview and sends the story for review; the publishing panel
stays in view at 1366 px; nothing scrolls sideways at 390 or 1366 px; and
the form saves a picture with scripts off. Screenshots land in
/tmp/story-form-*.png for a person to look at."""

import base64
import re

import pytest
from playwright.sync_api import expect

from articles.models import Article

from .factories import image_bytes, make_article, make_section
from .test_browser import browser  # noqa: F401 (fixture)
from .test_browser_desk_layout import (
    LAPTOP,
    OFFENDERS,
    PHONE,
    sideways_overflow,
    story_with_inlines,
)
from .test_browser_workflow import log_in, pick_autocomplete

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def picture_file(name: str = "choir.jpg", size=(1600, 1000)) -> dict:
    return {
        "name": name,
        "mimeType": "image/jpeg",
        "buffer": image_bytes(size, color=(90, 120, 60)),
    }


def open_everything(page) -> None:
    """Open the collapsed parts, so their rows count in the layout."""
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")


def test_writer_writes_a_story_with_an_uploaded_lead_picture_and_submits_it(
    browser,  # noqa: F811
    live_server,
    writer,
):
    make_section(name="Culture", slug="culture")
    page = browser.new_page(viewport=LAPTOP)
    log_in(page, live_server, "writer")
    page.goto(live_server.url + "/admin/articles/article/add/")
    page.fill("#id_headline", "Choir sings at the Lahore festival")
    page.fill("#id_standfirst", "Forty voices from St Anthony's opened the night.")
    page.locator(".field-body [contenteditable=true]").click()
    page.keyboard.type("The choir sang three hymns in Urdu.")

    # The picture: chosen and previewed; saved without its alt text it is
    # refused, kept and shown again, and its focal point set with a click.
    page.set_input_files("#id_new_lead_picture", files=[picture_file()])
    preview = page.locator(".picture-drop .focal-picker img")
    expect(preview).to_be_visible()
    pick_autocomplete(page, "section", "Cul", "Culture")
    page.select_option("#id_status", "review")
    page.click(".story-desk__publishing input[name=_save]")
    expect(page.locator(".messagelist .error")).to_have_text(
        "Please correct the error below: Alt text of the new picture."
    )
    expect(page.locator(".field-new_lead_picture .help")).to_contain_text(
        "choir.jpg is kept"
    )
    expect(page.locator("#id_headline")).to_have_value(
        "Choir sings at the Lahore festival"
    )
    expect(preview).to_have_attribute("src", re.compile(r"/tmp-uploads/.+choir\.jpg$"))
    expect(preview).to_be_visible()
    box = preview.bounding_box()
    preview.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.75})
    expect(page.locator("#id_new_lead_focal_x")).to_have_value("25")
    expect(page.locator("#id_new_lead_focal_y")).to_have_value("75")
    page.fill("#id_new_lead_alt_text", "The choir on the festival stage")
    page.fill("#id_new_lead_caption", "St Anthony's choir in Lahore")
    page.fill("#id_new_lead_credit", "Sara Khan / PCTV")
    page.screenshot(path="/tmp/story-form-writer-1366.png", full_page=True)
    page.click(".story-desk__publishing input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    story = Article.objects.select_related("lead_image").get()
    assert story.status == Article.Status.REVIEW
    assert story.created_by == writer
    image = story.lead_image
    assert (image.alt_text, image.caption, image.credit) == (
        "The choir on the festival stage",
        "St Anthony's choir in Lahore",
        "Sara Khan / PCTV",
    )
    assert (image.focal_x, image.focal_y, image.width) == (25, 75, 1600)
    assert image.crops["focal"] == [25, 75]
    page.close()


def test_a_picture_dropped_on_the_box_is_chosen_and_previewed(
    browser,  # noqa: F811
    live_server,
    writer,
):
    page = browser.new_page(viewport=PHONE)
    log_in(page, live_server, "writer")
    page.goto(live_server.url + "/admin/articles/article/add/")
    drop = page.locator(".picture-drop")
    expect(drop).to_contain_text("or drop a picture here")
    content = base64.b64encode(image_bytes((800, 600))).decode()
    # What a browser does when a file is dropped from the desktop.
    transfer = page.evaluate_handle(
        """(content) => {
            const bytes = Uint8Array.from(atob(content), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dropped.jpg", {type: "image/jpeg"}));
            return transfer;
        }""",
        content,
    )
    drop.dispatch_event("dragover", {"dataTransfer": transfer})
    expect(drop).to_have_class(re.compile("picture-drop--over"))
    drop.dispatch_event("drop", {"dataTransfer": transfer})
    expect(drop).not_to_have_class(re.compile("picture-drop--over"))
    expect(page.locator(".picture-drop .focal-picker img")).to_be_visible()
    assert page.eval_on_selector(
        "#id_new_lead_picture", "input => input.files[0].name"
    ) == ("dropped.jpg")
    assert sideways_overflow(page) <= 0, page.evaluate(OFFENDERS)
    page.screenshot(path="/tmp/story-form-dropped-390.png", full_page=True)
    page.close()


def test_the_publishing_panel_stays_in_view_while_scrolling(
    browser,  # noqa: F811
    live_server,
    editor,
):
    story = story_with_inlines()
    page = browser.new_page(viewport=LAPTOP)
    log_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/admin/articles/article/{story.pk}/change/")
    open_everything(page)
    panel = page.locator(".story-desk__publishing")
    save = panel.locator("input[name=_save]")
    at_top = panel.bounding_box()
    # A column on the right, beside the writing.
    writing = page.locator(".story-desk__writing").bounding_box()
    assert at_top["x"] >= writing["x"] + writing["width"]
    assert at_top["x"] + at_top["width"] <= LAPTOP["width"]
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height > 3 * LAPTOP["height"]  # long enough to scroll far

    for fraction in (0.5, 1):
        page.evaluate(f"window.scrollTo(0, {height * fraction})")
        page.wait_for_function(f"window.scrollY >= {height * fraction} - 900")
        box = panel.bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= LAPTOP["height"] + 1
        assert box["x"] == at_top["x"]
        expect(save).to_be_in_viewport()
        expect(panel.locator("#id_status")).to_be_in_viewport()
    page.screenshot(path="/tmp/story-form-scrolled-1366.png")
    # The panel's Save button saves the story.
    save.click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.close()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "390"])
def test_the_story_form_has_no_sideways_scroll(
    browser,  # noqa: F811
    live_server,
    editor,
    viewport,
):
    story = story_with_inlines()
    page = browser.new_page(viewport=viewport)
    log_in(page, live_server, "editor")
    width = viewport["width"]
    for name, url in {
        "add": "/admin/articles/article/add/",
        "change": f"/admin/articles/article/{story.pk}/change/",
    }.items():
        page.goto(live_server.url + url)
        open_everything(page)
        # A wide picture chosen for the lead shows within the window too.
        page.set_input_files("#id_new_lead_picture", files=[picture_file()])
        expect(page.locator(".picture-drop .focal-picker img")).to_be_visible()
        expect(page.locator("#bylines-group tr.has_original")).to_have_count(
            1 if name == "change" else 0
        )
        page.screenshot(path=f"/tmp/story-form-{name}-{width}.png", full_page=True)
        assert sideways_overflow(page) <= 0, (name, page.evaluate(OFFENDERS))

    if width == PHONE["width"]:
        # On a phone the panel follows the writing, before the rest.
        picture = page.locator("fieldset:has(#id_new_lead_picture)").bounding_box()
        panel = page.locator(".story-desk__publishing").bounding_box()
        rest = page.locator(".story-desk__rest").bounding_box()
        assert picture["y"] + picture["height"] <= panel["y"]
        assert panel["y"] + panel["height"] <= rest["y"]
        assert panel["width"] <= width
    page.close()


def test_the_form_saves_a_lead_picture_with_scripts_off(
    browser,  # noqa: F811
    live_server,
    writer,
):
    story = make_article(
        headline="Choir rehearses for Easter",
        status=Article.Status.DRAFT,
        created_by=writer,
    )
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server, "writer")
    page.goto(f"{live_server.url}/admin/articles/article/{story.pk}/change/")
    # No drop box or preview without the script: the plain file input and
    # number boxes do the job.
    expect(page.locator(".picture-drop")).to_have_count(0)
    page.set_input_files("#id_new_lead_picture", files=[picture_file()])
    page.fill("#id_new_lead_alt_text", "The choir in rehearsal")
    page.fill("#id_new_lead_focal_x", "10")
    page.fill("#id_new_lead_focal_y", "90")
    page.select_option("#id_status", "review")
    page.screenshot(path="/tmp/story-form-nojs-390.png", full_page=True)
    page.click(".story-desk__publishing input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    story.refresh_from_db()
    assert story.status == Article.Status.REVIEW
    assert (story.lead_image.focal_x, story.lead_image.focal_y) == (10, 90)
    assert story.lead_image.alt_text == "The choir in rehearsal"
    context.close()
