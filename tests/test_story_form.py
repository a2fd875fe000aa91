"""The story form laid out for writing, and a lead picture uploaded from it:
the picture becomes an Image with its alt text, caption, credit and focal
point and the story's lead in the same save; a bad or undescribed picture
is refused beside its field with the typed text kept."""

import re

import pytest
from django.urls import reverse

from articles.models import Article, Image

from .factories import image_bytes, make_article, make_image, make_section
from .test_uploads import ARTICLE_ADD, mp4_bytes, stored_files, upload
from .test_workflow import edit_form, writer_form

pytestmark = pytest.mark.django_db


def picture(name: str = "choir.jpg", size=(1200, 800)):
    return upload(name, image_bytes(size, color=(90, 120, 60)))


def with_new_picture(data: dict, file=None, **fields) -> dict:
    """The story form's lead picture box, filled in."""
    box = {
        "new_lead_alt_text": "The choir on the cathedral steps",
        "new_lead_caption": "St Anthony's choir after the final",
        "new_lead_credit": "Sara Khan / PCTV",
        "new_lead_focal_x": "20",
        "new_lead_focal_y": "30",
    }
    if file is not None:
        box["new_lead_picture"] = file
    return data | box | fields


def kept_token(page: str) -> str:
    """The token of the kept picture ("" when none is kept)."""
    field = re.search(r'<input type="hidden" name="kept_lead_picture"[^>]*>', page)[0]
    value = re.search(r'value="([^"]*)"', field)
    return value[1] if value else ""


def field_errors(page: str, field: str) -> str:
    """The error list shown in the row of `field` ("" when there is none)."""
    row = re.search(
        rf'<div class="form-row[^"]*field-{field}[^"]*">(.*?)</div>', page, re.S
    )
    return row[1] if row and "errorlist" in row[1] else ""


def test_writer_uploads_a_lead_picture_and_sends_the_story_for_review(
    writer_client, writer
):
    data = with_new_picture(
        writer_form(make_section(), status="review"), file=picture()
    )
    response = writer_client.post(ARTICLE_ADD, data)
    assert response.status_code == 302
    story = Article.objects.get(slug="choir-tours-lahore")
    assert story.status == Article.Status.REVIEW
    image = story.lead_image
    assert (image.alt_text, image.caption, image.credit) == (
        "The choir on the cathedral steps",
        "St Anthony's choir after the final",
        "Sara Khan / PCTV",
    )
    assert (image.focal_x, image.focal_y, image.width, image.height) == (
        20,
        30,
        1200,
        800,
    )
    # Renditions and crops were made around the focal point, as for a
    # picture added under Images.
    assert image.renditions
    assert image.crops["focal"] == [20, 30]
    assert not any(name.startswith("tmp-uploads/") for name in stored_files())
    preview = writer_client.get(reverse("articles:article-preview", args=[story.pk]))
    assert "The choir on the cathedral steps" in preview.content.decode()


def test_the_focal_point_defaults_to_the_middle(editor_client):
    data = with_new_picture(
        writer_form(make_section()),
        file=picture(),
        new_lead_focal_x="",
        new_lead_focal_y="",
    )
    assert editor_client.post(ARTICLE_ADD, data).status_code == 302
    image = Image.objects.get()
    assert (image.focal_x, image.focal_y) == (50, 50)


def test_a_new_picture_without_alt_text_is_refused_and_kept_with_the_text(
    writer_client,
):
    data = with_new_picture(
        writer_form(make_section(), headline="Choir wins in Lahore"),
        file=picture(),
        new_lead_alt_text="",
    )
    response = writer_client.post(ARTICLE_ADD, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Describe the new picture for readers who cannot see it." in field_errors(
        page, "new_lead_alt_text"
    )
    assert "Please correct the error below: Alt text of the new picture." in page
    assert 'value="Choir wins in Lahore"' in page
    assert 'value="Sara Khan / PCTV"' in page
    assert "choir.jpg is kept; you need not choose it again." in page
    # The kept picture is shown again, to set its focal point on.
    assert re.search(r'data-kept-url="/media/tmp-uploads/[^"]+/choir\.jpg"', page)
    assert not Article.objects.exists()
    assert not Image.objects.exists()

    # With the alt text, the kept picture is used without choosing it again.
    data = with_new_picture(
        writer_form(make_section(), headline="Choir wins in Lahore"),
        kept_lead_picture=kept_token(page),
    )
    assert writer_client.post(ARTICLE_ADD, data).status_code == 302
    image = Article.objects.get().lead_image
    assert image.alt_text == "The choir on the cathedral steps"
    assert (image.width, image.height) == (1200, 800)
    assert not any(name.startswith("tmp-uploads/") for name in stored_files())


def test_a_file_that_is_not_a_picture_is_refused_beside_its_field(writer_client):
    before = stored_files()
    notes = upload("notes.jpg", b"plain text pretending to be a picture")
    data = with_new_picture(
        writer_form(make_section(), headline="Choir wins in Lahore"), file=notes
    )
    response = writer_client.post(ARTICLE_ADD, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "“notes.jpg” is not a JPEG, PNG, WebP or GIF picture" in field_errors(
        page, "new_lead_picture"
    )
    assert 'value="Choir wins in Lahore"' in page
    assert 'value="The choir on the cathedral steps"' in page
    # Nothing is kept or stored for a refused file.
    assert kept_token(page) == ""
    assert not Image.objects.exists()
    assert not Article.objects.exists()
    assert stored_files() == before


def test_a_picture_over_the_size_limit_is_refused(writer_client, settings):
    settings.IMAGE_UPLOAD_MAX_BYTES = 1000
    data = with_new_picture(writer_form(make_section()), file=picture())
    response = writer_client.post(ARTICLE_ADD, data)
    assert response.status_code == 200
    errors = field_errors(response.content.decode(), "new_lead_picture")
    assert "the limit is 1000" in errors
    assert not Image.objects.exists()


def test_the_picture_is_kept_when_another_field_is_refused(editor_client):
    section = make_section()
    data = with_new_picture(writer_form(section, headline=""), file=picture())
    response = editor_client.post(ARTICLE_ADD, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please correct the error below: Headline." in page
    assert "choir.jpg is kept; you need not choose it again." in page
    assert not Image.objects.exists()

    data = with_new_picture(writer_form(section), kept_lead_picture=kept_token(page))
    assert editor_client.post(ARTICLE_ADD, data).status_code == 302
    story = Article.objects.get()
    assert story.lead_image.caption == "St Anthony's choir after the final"
    assert Image.objects.count() == 1


def test_choosing_a_picture_from_the_library_still_works(editor_client):
    existing = make_image()
    data = writer_form(make_section(), lead_image=existing.pk)
    assert editor_client.post(ARTICLE_ADD, data).status_code == 302
    assert Article.objects.get().lead_image == existing
    assert Image.objects.count() == 1


def test_a_library_picture_and_an_upload_together_are_refused(editor_client):
    section = make_section()
    existing = make_image()
    data = with_new_picture(
        writer_form(section, lead_image=existing.pk), file=picture()
    )
    response = editor_client.post(ARTICLE_ADD, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose a picture from the library or upload a new one, not both." in (
        field_errors(page, "new_lead_picture")
    )
    # The upload is dropped, so saving again uses the library's picture.
    assert kept_token(page) == ""
    assert "is kept" not in page
    assert Image.objects.count() == 1
    data = writer_form(section, lead_image=existing.pk, kept_lead_picture="")
    assert editor_client.post(ARTICLE_ADD, data).status_code == 302
    assert Article.objects.get().lead_image == existing


def test_an_upload_replaces_the_stories_lead_picture(editor_client):
    old = make_image()
    story = make_article(lead_image=old, status=Article.Status.DRAFT)
    url = reverse("admin:articles_article_change", args=[story.pk])
    data = with_new_picture(edit_form(story, lead_image=old.pk), file=picture())
    assert editor_client.post(url, data).status_code == 302
    story.refresh_from_db()
    assert story.lead_image != old
    assert story.lead_image.alt_text == "The choir on the cathedral steps"
    # The old picture stays in the library.
    assert Image.objects.filter(pk=old.pk).exists()


def test_an_uploaded_lead_picture_is_the_poster_of_an_uploaded_video(editor_client):
    data = with_new_picture(writer_form(make_section(), kind="video"), file=picture())
    data["video_file"] = upload("clip.mp4", mp4_bytes(), "video/mp4")
    assert editor_client.post(ARTICLE_ADD, data).status_code == 302
    story = Article.objects.get()
    assert story.video_file and story.lead_image.alt_text.startswith("The choir")


def test_a_writer_cannot_publish_or_pin_through_the_picture_upload(
    writer_client, writer
):
    story = make_article(status=Article.Status.DRAFT, created_by=writer)
    url = reverse("admin:articles_article_change", args=[story.pk])
    data = with_new_picture(edit_form(story), file=picture())
    data |= {"is_breaking": "on", "front_page_rank": "1", "status": "published"}
    response = writer_client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Only editors can publish, schedule, withdraw or curate stories" in page
    story.refresh_from_db()
    assert story.status == Article.Status.DRAFT
    assert (story.is_breaking, story.front_page_rank, story.lead_image) == (
        False,
        None,
        None,
    )
    assert not Image.objects.exists()


def test_the_form_puts_writing_first_and_publishing_beside_it(editor_client):
    story = make_article(status=Article.Status.REVIEW, published_at=None)
    page = editor_client.get(
        reverse("admin:articles_article_change", args=[story.pk])
    ).content.decode()
    writing = page.index('class="story-desk__writing"')
    panel = page.index('class="story-desk__publishing"')
    rest = page.index('class="story-desk__rest"')
    assert writing < page.index('id="id_headline"') < page.index('id="id_body"')
    assert page.index('id="id_new_lead_picture"') < panel
    # The panel holds the publishing fields, the Save buttons and Preview.
    for marker in ('id="id_status"', 'name="_save"', 'class="previewlink"'):
        assert panel < page.index(marker) < rest
    assert rest < page.index('id="id_section"')
    # The rest is collapsible; the gallery upload is inside a closed box.
    video = page.index(">Video and gallery<")
    assert page.rindex("<details>", 0, video) > rest
    assert 'enctype="multipart/form-data"' in page
    assert "/static/js/focal-point.js" in page


def test_a_writer_sees_the_publishing_fields_as_text_in_the_panel(
    writer_client, writer
):
    story = make_article(status=Article.Status.DRAFT, created_by=writer)
    page = writer_client.get(
        reverse("admin:articles_article_change", args=[story.pk])
    ).content.decode()
    panel = page[page.index('class="story-desk__publishing"') :]
    panel = panel[: panel.index('class="story-desk__rest"')]
    assert 'id="id_status"' in panel
    assert 'name="is_breaking"' not in page
    assert 'name="front_page_rank"' not in page
    assert "Front page rank" in panel
