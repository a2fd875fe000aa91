"""Uploads in the admin: pictures checked by content, limits, metadata
stripped; MP4 videos with a poster; several gallery photos at once."""

import os
import random
import re
import time
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage

from articles.kept import KEPT_MAX_AGE
from articles.models import Article, GalleryImage, Image
from articles.uploads import check_mp4_upload

from .factories import image_bytes, make_article, make_image, make_section
from .test_workflow import edit_form, publish_fields, writer_form

pytestmark = pytest.mark.django_db

IMAGE_ADD = reverse("admin:articles_image_add")
ARTICLE_ADD = reverse("admin:articles_article_add")


def stored_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def upload(name: str, content: bytes, content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def image_form(file, **overrides) -> dict:
    data = {
        "file": file,
        "alt_text": "Choir singing in the cathedral",
        "caption": "",
        "credit": "",
        "focal_x": "50",
        "focal_y": "50",
    }
    return data | overrides


def jpeg_with_gps() -> bytes:
    exif = PILImage.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (31.0, 33.0, 0.0), 3: "E", 4: (74.0, 20.0, 0.0)}
    buffer = BytesIO()
    PILImage.new("RGB", (900, 600), (200, 30, 30)).save(
        buffer, "JPEG", exif=exif.tobytes()
    )
    return buffer.getvalue()


def bomb(size: tuple[int, int]) -> bytes:
    """A small PNG that decodes to `size` pixels."""
    buffer = BytesIO()
    PILImage.new("1", size).save(buffer, "PNG")
    return buffer.getvalue()


def errors_of(response) -> str:
    return " ".join(response.context["adminform"].form.errors.get("file", []))


# Pictures


def test_upload_strips_gps_and_camera_metadata(editor_client):
    content = jpeg_with_gps()
    assert PILImage.open(BytesIO(content)).getexif().get_ifd(0x8825)  # has GPS
    response = editor_client.post(IMAGE_ADD, image_form(upload("holiday.jpg", content)))
    assert response.status_code == 302
    image = Image.objects.get()
    assert (image.width, image.height) == (900, 600)
    with default_storage.open(image.file.name) as stored:
        picture = PILImage.open(stored)
        assert picture.format == "JPEG"
        assert dict(picture.getexif()) == {}
    for entry in [*image.renditions, *image.crops["card"]]:
        with default_storage.open(entry["jpeg"]) as stored:
            assert dict(PILImage.open(stored).getexif()) == {}


def test_uploads_are_readable_by_the_web_server_under_a_strict_umask(editor_client):
    """nginx serves /media/ as another user: under the systemd unit's umask
    (0027) new folders would be closed to it and every new picture a 403."""
    old_umask = os.umask(0o027)
    try:
        response = editor_client.post(
            IMAGE_ADD, image_form(upload("choir.jpg", image_bytes((900, 600))))
        )
    finally:
        os.umask(old_umask)
    assert response.status_code == 302
    root = Path(settings.MEDIA_ROOT)
    paths = [p for p in root.rglob("*") if p != root]
    assert {p.suffix for p in paths if p.is_file()} >= {".jpg", ".webp"}
    modes = {oct(p.stat().st_mode & 0o777) for p in paths}
    assert modes <= {oct(0o644), oct(0o755)}, modes


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.jpg", b"Just some text, not a picture.\n" * 20, "is not a JPEG, PNG"),
        (
            "photo.jpg",
            image_bytes((64, 48), "BMP"),
            "is not a JPEG, PNG, WebP or GIF picture",
        ),
        ("cut.jpg", image_bytes((640, 480))[:600], "is not a JPEG, PNG"),
        (
            "bomb.png",
            bomb((20000, 20000)),
            "has more than 89.5 megapixels; the limit is 40 megapixels.",
        ),
        (
            "huge.png",
            bomb((8000, 6000)),
            "has 8000×6000 pixels, 48 megapixels; the limit is 40 megapixels.",
        ),
    ],
    ids=[
        "text-renamed-jpg",
        "bmp",
        "truncated",
        "decompression-bomb",
        "too-many-pixels",
    ],
)
def test_bad_picture_is_refused_and_nothing_is_stored(
    editor_client, name, content, message
):
    response = editor_client.post(IMAGE_ADD, image_form(upload(name, content)))
    assert response.status_code == 200
    assert message in errors_of(response)
    assert not Image.objects.exists()
    assert stored_files() == set()


def test_thirty_megabyte_upload_is_refused_by_size(editor_client):
    content = b"\xff\xd8\xff" + bytes(30 * 1024 * 1024)
    response = editor_client.post(IMAGE_ADD, image_form(upload("big.jpg", content)))
    assert response.status_code == 200
    assert "The file is 30.0\xa0MB; the limit is 20.0\xa0MB." in errors_of(response)
    assert not Image.objects.exists()
    assert stored_files() == set()


def test_alt_text_is_required(editor_client):
    response = editor_client.post(
        IMAGE_ADD, image_form(upload("ok.jpg", image_bytes()), alt_text="")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["alt_text"]
    assert not Image.objects.exists()
    # The picture is only kept for the next try, not stored as an Image.
    assert all(name.startswith("tmp-uploads/") for name in stored_files())


def kept_token(response) -> str:
    match = re.search(r'name="kept" value="([^"]+)"', response.content.decode())
    assert match, "no kept file in the form"
    return match[1]


def test_a_refused_save_keeps_the_chosen_picture_for_the_next(editor_client):
    picture = image_bytes((640, 480), color=(200, 30, 30))
    response = editor_client.post(
        IMAGE_ADD, image_form(upload("photo.jpg", picture), alt_text="")
    )
    assert response.status_code == 200
    assert "photo.jpg is kept; you need not choose it again." in (
        response.content.decode()
    )
    messages = [str(message) for message in response.context["messages"]]
    assert messages == ["Please correct the error below: Alt text."]
    [kept] = stored_files()
    assert kept.startswith("tmp-uploads/") and kept.endswith("/photo.jpg")

    # Corrected without choosing the file again: the kept one is used.
    response = editor_client.post(
        IMAGE_ADD, image_form("", kept=kept_token(response)) | {"file": ""}
    )
    assert response.status_code == 302
    image = Image.objects.get()
    assert (image.width, image.height) == (640, 480)
    assert not any(name.startswith("tmp-uploads/") for name in stored_files())


def test_a_kept_picture_stays_kept_through_a_second_refusal_and_gives_way(
    editor_client,
):
    first = editor_client.post(
        IMAGE_ADD, image_form(upload("first.jpg", image_bytes()), alt_text="")
    )
    token = kept_token(first)
    again = editor_client.post(IMAGE_ADD, image_form("", alt_text="", kept=token))
    assert "first.jpg is kept" in again.content.decode()
    assert kept_token(again) == token

    # Choosing another picture replaces the kept one.
    other = image_bytes((300, 200))
    response = editor_client.post(
        IMAGE_ADD, image_form(upload("second.jpg", other), kept=token)
    )
    assert response.status_code == 302
    assert (Image.objects.get().width, Image.objects.get().height) == (300, 200)
    assert not any(name.startswith("tmp-uploads/") for name in stored_files())


def test_a_forged_or_foreign_kept_token_is_no_file(editor_client):
    make_image()  # a stored picture a forged token might try to name
    stored = next(name for name in stored_files() if name.startswith("images/"))
    foreign = signing.dumps([[stored, "x.jpg"]], salt="articles.kept-upload")
    for token in ("forged:token", foreign):
        response = editor_client.post(IMAGE_ADD, image_form("", kept=token))
        assert response.status_code == 200
        assert "This field is required." in errors_of(response)
    assert Image.objects.count() == 1


@pytest.mark.parametrize(
    ("pil_format", "extension"), [("PNG", "png"), ("WEBP", "webp"), ("GIF", "gif")]
)
def test_png_webp_and_gif_are_accepted_and_named_by_content(
    editor_client, pil_format, extension
):
    content = image_bytes((300, 200), pil_format)
    # The name claims JPEG; the stored file is named after what it is.
    response = editor_client.post(IMAGE_ADD, image_form(upload("wrong.jpg", content)))
    assert response.status_code == 302
    image = Image.objects.get()
    assert image.file.name.endswith(f".{extension}")
    assert image.renditions and image.crops["thumbnail"]


def test_animated_gif_keeps_its_frames():
    from articles.uploads import clean_image_upload

    frames = [PILImage.new("RGB", (40, 30), c) for c in ("red", "green", "blue")]
    buffer = BytesIO()
    frames[0].save(
        buffer, "GIF", save_all=True, append_images=frames[1:], comment=b"secret"
    )
    cleaned = clean_image_upload(upload("anim.gif", buffer.getvalue(), "image/gif"))
    picture = PILImage.open(BytesIO(cleaned.read()))
    assert picture.n_frames == 3
    assert "comment" not in picture.info


# Bounds on the work an upload makes


def picture_bytes(size, mode="RGB", pil_format="PNG", frames=1) -> bytes:
    buffer = BytesIO()
    pictures = [PILImage.new(mode, size, index * 40) for index in range(frames)]
    pictures[0].save(
        buffer, pil_format, save_all=frames > 1, append_images=pictures[1:]
    )
    return buffer.getvalue()


def cleaned(content: bytes, name: str = "picture.png") -> PILImage.Image:
    from articles.uploads import clean_image_upload

    stored = clean_image_upload(upload(name, content))
    return PILImage.open(BytesIO(stored.read()))


def refusal(content: bytes, name: str = "picture.png") -> str:
    from articles.uploads import clean_image_upload

    with pytest.raises(ValidationError) as refused:
        clean_image_upload(upload(name, content))
    return refused.value.messages[0]


def test_pixel_limit_counts_the_pixels_and_says_how_many(settings):
    settings.IMAGE_UPLOAD_MAX_PIXELS = 10_000
    assert cleaned(picture_bytes((100, 100))).size == (100, 100)
    assert refusal(picture_bytes((101, 100))) == (
        "“picture.png” has 101×100 pixels, 10,100 pixels; the limit is 10,000 "
        "pixels. Resize it before uploading."
    )


def test_pixel_limit_counts_every_frame_of_an_animation(settings):
    settings.IMAGE_UPLOAD_MAX_PIXELS = 10_000
    assert cleaned(picture_bytes((70, 70), "L", "GIF", frames=2)).n_frames == 2
    assert refusal(picture_bytes((60, 60), "L", "GIF", frames=3), "a.gif") == (
        "“a.gif” has 3 frames of 60×60 pixels, 10,800 pixels in all; the limit "
        "is 10,000 pixels. Resize it before uploading."
    )


def test_sixty_frames_of_a_megapixel_are_refused_in_megapixels():
    from articles.uploads import _pixels

    assert _pixels(60 * 1000 * 1000) == "60 megapixels"
    assert _pixels(6300 * 6300) == "39.7 megapixels"


def test_decoded_size_limit_counts_bytes_per_pixel_and_says_how_many(settings):
    settings.IMAGE_UPLOAD_MAX_DECODED_BYTES = 40_000
    # Colour takes four bytes a pixel in memory, grey one.
    assert cleaned(picture_bytes((100, 100))).size == (100, 100)
    assert cleaned(picture_bytes((200, 200), "L")).size == (200, 200)
    assert refusal(picture_bytes((101, 100), "RGBA")) == (
        "“picture.png” decodes to 39.5\xa0KB of pixels (101×100 RGBA); the "
        "limit is 39.1\xa0KB. Resize it before uploading."
    )
    assert "decodes to 39.3\xa0KB of pixels (201×200 L)" in refusal(
        picture_bytes((201, 200), "L")
    )


def test_decoded_size_limit_counts_the_frames_of_an_animation(settings):
    settings.IMAGE_UPLOAD_MAX_DECODED_BYTES = 40_000
    assert cleaned(picture_bytes((50, 50), "L", "GIF", frames=4)).n_frames == 4
    assert refusal(picture_bytes((50, 50), "L", "GIF", frames=5), "a.gif") == (
        "“a.gif” decodes to 48.8\xa0KB of pixels (5 frames of 50×50 P); the "
        "limit is 39.1\xa0KB. Resize it before uploading."
    )


def test_a_big_jpeg_is_decoded_small_enough_for_the_longest_side(settings):
    settings.IMAGE_UPLOAD_MAX_DECODED_BYTES = 40_000
    settings.IMAGE_UPLOAD_MAX_EDGE = 100
    # 400×400 is 640 KB decoded in full; a JPEG decodes at a quarter scale.
    jpeg = cleaned(image_bytes((400, 400)), "photo.jpg")
    assert (jpeg.format, jpeg.size) == ("JPEG", (100, 100))
    assert "decodes to 625.0\xa0KB of pixels (400×400 RGB)" in refusal(
        picture_bytes((400, 400))
    )


def test_a_still_picture_is_stored_no_longer_than_the_longest_side(
    settings, editor_client
):
    settings.IMAGE_UPLOAD_MAX_EDGE = 200
    assert cleaned(picture_bytes((600, 300))).size == (200, 100)
    assert cleaned(picture_bytes((150, 300), "P")).size == (100, 200)
    assert cleaned(picture_bytes((200, 120))).size == (200, 120)
    # Animations keep their size: every frame would need it.
    assert cleaned(picture_bytes((300, 100), "L", "GIF", frames=2)).size == (300, 100)
    content = picture_bytes((800, 400), "RGBA")
    response = editor_client.post(IMAGE_ADD, image_form(upload("wide.png", content)))
    assert response.status_code == 302
    image = Image.objects.get()
    assert (image.width, image.height) == (200, 100)
    assert [entry["width"] for entry in image.renditions] == [200]


def test_the_admin_says_what_is_too_big(settings, editor_client):
    settings.IMAGE_UPLOAD_MAX_PIXELS = 10_000
    content = picture_bytes((60, 60), "L", "GIF", frames=3)
    response = editor_client.post(IMAGE_ADD, image_form(upload("a.gif", content)))
    assert response.status_code == 200
    assert "has 3 frames of 60×60 pixels, 10,800 pixels in all" in errors_of(response)
    assert stored_files() == set()


# Renditions and the focal point


def two_colour_picture() -> bytes:
    """1600×400: red on the left half, blue on the right."""
    picture = PILImage.new("RGB", (1600, 400), (220, 0, 0))
    picture.paste((0, 0, 220), (800, 0, 1600, 400))
    buffer = BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def centre_colour(name: str) -> tuple[int, int, int]:
    with default_storage.open(name) as stored:
        picture = PILImage.open(stored).convert("RGB")
        return picture.getpixel((picture.width // 2, picture.height // 2))


def test_crops_follow_the_focal_point_and_are_remade_when_it_moves(editor_client):
    editor_client.post(
        IMAGE_ADD,
        image_form(upload("two.png", two_colour_picture()), focal_x="5"),
    )
    image = Image.objects.get()
    thumbnail = image.crops["thumbnail"][-1]
    assert (thumbnail["width"], thumbnail["height"]) == (320, 320)
    assert centre_colour(thumbnail["jpeg"])[0] > 150  # red: the left part
    assert image.crops["card"][-1]["height"] == round(
        image.crops["card"][-1]["width"] * 9 / 16
    )

    url = reverse("admin:articles_image_change", args=[image.pk])
    response = editor_client.post(url, image_form("", focal_x="95"))
    assert response.status_code == 302
    image.refresh_from_db()
    moved = image.crops["thumbnail"][-1]
    assert moved["jpeg"] != thumbnail["jpeg"]
    assert centre_colour(moved["jpeg"])[2] > 150  # blue: the right part


def test_cards_use_the_card_crop_and_the_lead_the_lead_crop(client):
    image = make_image(size=(1200, 800))
    make_article(lead_image=image, front_page_rank=1)
    make_article(lead_image=image)
    body = client.get("/").content.decode()
    assert "/lead-50-50-" in body
    assert "/card-50-50-" in body


def test_crop_box_stays_inside_the_picture():
    from articles.images import crop_box

    assert crop_box((1600, 400), 1.0, 0, 50) == (0, 0, 400, 400)
    assert crop_box((1600, 400), 1.0, 100, 50) == (1200, 0, 1600, 400)
    assert crop_box((1600, 900), 16 / 9, 50, 50) == (0, 0, 1600, 900)
    assert crop_box((400, 1600), 16 / 9, 50, 0) == (0, 0, 400, 225)


# Video


# Recorded in Chromium (MediaRecorder, a canvas and an oscillator): a
# 64x48 H.264 clip of 0.7 s, fragmented as browsers write MP4, and an
# audio-only MP4 of 0.4 s.
FILES = Path(__file__).parent / "files"
REAL_MP4 = (FILES / "chromium-h264.mp4").read_bytes()
AUDIO_ONLY_MP4 = (FILES / "chromium-audio-only.mp4").read_bytes()


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def mp4_bytes(brand: bytes = b"mp42", handler: bytes = b"vide", mdat=True) -> bytes:
    """The smallest file with an MP4's boxes: ftyp, a moov with one track
    whose handler is `handler`, and an mdat."""
    ftyp = box(b"ftyp", brand + bytes(4) + brand + b"isom")
    hdlr = box(b"hdlr", bytes(8) + handler + bytes(12) + b"Track\x00")
    mdia = box(b"mdia", box(b"mdhd", bytes(24)) + hdlr + box(b"minf"))
    moov = box(b"moov", box(b"mvhd", bytes(100)) + box(b"trak", mdia))
    return ftyp + moov + (box(b"mdat", bytes(16)) if mdat else b"")


def video_form(section, **overrides) -> dict:
    data = writer_form(
        section, kind="video", status="draft", headline="Video story", slug="video"
    )
    return data | overrides


def test_mp4_upload_with_a_poster_is_accepted(editor_client):
    poster = make_image()
    data = video_form(make_section(), lead_image=poster.pk)
    data["video_file"] = upload("clip.mp4", mp4_bytes(), "video/mp4")
    response = editor_client.post(ARTICLE_ADD, data)
    assert response.status_code == 302
    story = Article.objects.get(slug="video")
    assert story.video_file.name.endswith(".mp4")
    preview = editor_client.get(reverse("articles:article-preview", args=[story.pk]))
    assert f'src="{story.video_file.url}"' in preview.content.decode()
    assert "poster=" in preview.content.decode()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("clip.mp4", b"not a video at all" * 10, "is not an MP4 video"),
        ("clip.mp4", mp4_bytes(b"qt  ").replace(b"isom", b"qt  "), "is not an MP4"),
        ("clip.avi", mp4_bytes(), "File extension “avi” is not allowed"),
    ],
    ids=["text-renamed-mp4", "quicktime", "avi-name"],
)
def test_bad_video_file_is_refused(editor_client, name, content, message):
    data = video_form(make_section(), lead_image=make_image().pk)
    data["video_file"] = upload(name, content, "video/mp4")
    response = editor_client.post(ARTICLE_ADD, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Article.objects.exists()
    assert not [name for name in stored_files() if name.startswith("video/")]


def test_uploaded_video_needs_a_poster(editor_client):
    data = video_form(make_section())
    data["video_file"] = upload("clip.mp4", mp4_bytes(), "video/mp4")
    response = editor_client.post(ARTICLE_ADD, data)
    assert "An uploaded video needs a lead image" in response.content.decode()
    assert not Article.objects.exists()


def test_video_address_and_file_together_are_refused(editor_client):
    data = video_form(
        make_section(),
        lead_image=make_image().pk,
        video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    )
    data["video_file"] = upload("clip.mp4", mp4_bytes(), "video/mp4")
    response = editor_client.post(ARTICLE_ADD, data)
    assert "Give a video address or an MP4 file, not both." in response.content.decode()
    assert not Article.objects.exists()


def test_vimeo_address_is_embedded_without_tracking(editor_client):
    data = video_form(make_section(), video_url="https://vimeo.com/76979871")
    assert editor_client.post(ARTICLE_ADD, data).status_code == 302
    story = Article.objects.get(slug="video")
    page = editor_client.get(reverse("articles:article-preview", args=[story.pk]))
    assert (
        'src="https://player.vimeo.com/video/76979871?dnt=1"' in page.content.decode()
    )


# Galleries


def test_several_gallery_photos_upload_at_once_after_the_existing_ones(editor_client):
    story = make_article(kind=Article.Kind.GALLERY)
    GalleryImage.objects.create(article=story, image=make_image(), position=1)
    data = edit_form(story) | publish_fields(story.published_at)
    data |= {
        "gallery_items-TOTAL_FORMS": "1",
        "gallery_items-INITIAL_FORMS": "1",
        "gallery_items-0-id": story.gallery_items.get().pk,
        "gallery_items-0-article": story.pk,
        "gallery_items-0-image": story.gallery_items.get().image_id,
        "gallery_items-0-position": "1",
        "gallery_alt_text": "Easter procession in Karachi",
        "gallery_photos": [
            upload(f"p{n}.jpg", image_bytes((400, 300), color=(n * 60, 0, 0)))
            for n in (1, 2, 3)
        ],
    }
    response = editor_client.post(
        reverse("admin:articles_article_change", args=[story.pk]), data, follow=True
    )
    assert "3 photos added to the gallery." in response.content.decode()
    items = list(story.gallery_items.select_related("image"))
    assert [item.position for item in items] == [1, 2, 3, 4]
    assert items[3].image.alt_text == "Easter procession in Karachi, photo 4"
    page = editor_client.get(story.get_absolute_url()).content.decode()
    assert "4 / 4" in page


def test_gallery_upload_with_one_bad_file_stores_nothing(editor_client):
    story = make_article(kind=Article.Kind.GALLERY)
    before = stored_files()
    data = edit_form(story) | publish_fields(story.published_at)
    data |= {
        "gallery_alt_text": "Procession",
        "gallery_photos": [
            upload("good.jpg", image_bytes()),
            upload("notes.jpg", b"plain text pretending"),
        ],
    }
    response = editor_client.post(
        reverse("admin:articles_article_change", args=[story.pk]), data
    )
    assert response.status_code == 200
    assert "“notes.jpg” is not a JPEG, PNG, WebP or GIF picture" in (
        response.content.decode()
    )
    assert not story.gallery_items.exists()
    assert Image.objects.count() == 0
    assert stored_files() == before


def test_gallery_upload_needs_alt_text(editor_client):
    story = make_article(kind=Article.Kind.GALLERY)
    data = edit_form(story) | publish_fields(story.published_at)
    data["gallery_photos"] = [upload("good.jpg", image_bytes())]
    response = editor_client.post(
        reverse("admin:articles_article_change", args=[story.pk]), data
    )
    assert "Describe the new photos" in response.content.decode()
    assert not story.gallery_items.exists()


def test_gallery_photos_of_a_refused_story_save_are_kept(editor_client):
    story = make_article(kind=Article.Kind.GALLERY)
    url = reverse("admin:articles_article_change", args=[story.pk])
    data = edit_form(story) | publish_fields(story.published_at)
    photos = [upload(f"p{n}.jpg", image_bytes((400, 300))) for n in (1, 2)]
    response = editor_client.post(url, data | {"gallery_photos": photos})
    page = response.content.decode()
    assert "p1.jpg, p2.jpg are kept; you need not choose them again." in page
    assert not story.gallery_items.exists()
    token = re.search(r'name="kept_gallery_photos" value="([^"]+)"', page)[1]

    # The editor adds the alt text and saves without choosing them again.
    data = edit_form(story) | publish_fields(story.published_at)
    data |= {"gallery_alt_text": "Choir at Easter", "kept_gallery_photos": token}
    response = editor_client.post(url, data, follow=True)
    assert "2 photos added to the gallery." in response.content.decode()
    assert story.gallery_items.count() == 2
    assert not any(name.startswith("tmp-uploads/") for name in stored_files())


def test_replacing_the_file_makes_new_renditions_and_crops(editor_client):
    editor_client.post(
        IMAGE_ADD, image_form(upload("first.jpg", image_bytes(color=(200, 0, 0))))
    )
    image = Image.objects.get()
    old = {image.renditions[0]["jpeg"], image.crops["card"][0]["jpeg"]}
    url = reverse("admin:articles_image_change", args=[image.pk])
    replacement = upload("second.jpg", image_bytes(color=(0, 0, 200)))
    assert editor_client.post(url, image_form(replacement)).status_code == 302
    image.refresh_from_db()
    new = {image.renditions[0]["jpeg"], image.crops["card"][0]["jpeg"]}
    assert not old & new
    assert centre_colour(image.crops["card"][0]["jpeg"])[2] > 150


def check(content: bytes, name: str = "clip.mp4") -> None:
    check_mp4_upload(upload(name, content, "video/mp4"))


def test_a_real_mp4_recorded_by_a_browser_is_a_video():
    check(REAL_MP4)


def test_mp4_boxes_with_a_video_track_are_a_video():
    check(mp4_bytes())
    # A 64-bit size and a last box running to the end of the file are valid.
    mdat = (1).to_bytes(4, "big") + b"mdat" + (16 + 8).to_bytes(8, "big") + bytes(8)
    check(mp4_bytes(mdat=False) + mdat)
    check(mp4_bytes(mdat=False) + bytes(4) + b"mdat" + bytes(100))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            box(b"ftyp", b"isom" + bytes(4) + b"isom") + b"<html><script>x</script>",
            "a box at byte 20 claims 1013478509 bytes, more than the 24 left",
        ),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "it does not start with an MP4 “ftyp” box"),
        (random.Random(16).randbytes(4096), "it does not start with an MP4 “ftyp” box"),
        (
            box(b"ftyp", b"isom" + bytes(4) + b"isom") + box(b"\x00\x01\x02\x03"),
            "byte 20 does not start an MP4 box",
        ),
        (REAL_MP4[:-10], "claims 76 bytes, more than the 66 left"),
        (mp4_bytes() + b"\x00\x00", "it is cut short at byte 258"),
        (mp4_bytes(mdat=False), "it has no “mdat” box (the video data)"),
        (
            box(b"ftyp", b"mp42" + bytes(4) + b"mp42") + box(b"mdat", bytes(8)),
            "it has no “moov” box",
        ),
        (mp4_bytes(handler=b"soun"), "it has no video track (an audio-only file?)"),
        (AUDIO_ONLY_MP4, "it has no video track (an audio-only file?)"),
        (
            box(b"ftyp", b"qt  " + bytes(4) + b"qt  ") + box(b"moov") + box(b"mdat"),
            "its “ftyp” box names no MP4 brand",
        ),
    ],
    ids=[
        "ftyp-then-html",
        "png",
        "random",
        "unprintable-type",
        "truncated",
        "trailing-bytes",
        "no-mdat",
        "no-moov",
        "sound-track-only",
        "real-audio-only",
        "quicktime",
    ],
)
def test_what_is_not_an_mp4_video_is_refused_saying_why(content, reason):
    with pytest.raises(ValidationError) as refused:
        check(content)
    message = refused.value.messages[0]
    assert message.startswith("“clip.mp4” is not an MP4 video: ")
    assert reason in message


def test_a_file_of_countless_tiny_boxes_is_refused_without_walking_them_all(
    monkeypatch,
):
    monkeypatch.setattr("articles.uploads.MP4_MAX_BOXES", 50)
    # ftyp, moov and mdat, and the free boxes.
    check(mp4_bytes() + box(b"free") * 47)
    with pytest.raises(ValidationError, match="it has more than 50 boxes"):
        check(mp4_bytes() + box(b"free") * 48)


def test_a_large_video_is_checked_without_reading_it_all(tmp_path):
    path = tmp_path / "big.mp4"
    with path.open("wb") as out:
        out.write(mp4_bytes(mdat=False))
        out.write((50 * 2**20 + 8).to_bytes(4, "big") + b"mdat")
        out.truncate(out.tell() + 50 * 2**20)
    reads = []

    class Counting(File):
        def read(self, size=-1):
            reads.append(size)
            return super().read(size)

    with path.open("rb") as handle:
        check_mp4_upload(Counting(handle, name="big.mp4"))
    assert all(0 < size <= 256 for size in reads)


def test_kept_pictures_older_than_their_tokens_are_swept(editor_client):
    editor_client.post(
        IMAGE_ADD, image_form(upload("old.jpg", image_bytes()), alt_text="")
    )
    [old] = stored_files()
    day_ago = time.time() - KEPT_MAX_AGE - 60
    os.utime(Path(settings.MEDIA_ROOT) / old, (day_ago, day_ago))
    editor_client.post(
        IMAGE_ADD, image_form(upload("new.jpg", image_bytes()), alt_text="")
    )
    [new] = stored_files()
    assert new.endswith("/new.jpg")
