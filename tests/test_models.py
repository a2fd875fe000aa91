from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from articles.html import sanitize, split_blocks
from articles.models import Article, Byline, SeeAlsoLink, video_embed_url

from .factories import (
    image_bytes,
    make_article,
    make_author,
    make_image,
    make_section,
)

pytestmark = pytest.mark.django_db


def test_published_means_published_status_and_time_has_come():
    live = make_article()
    make_article(status=Article.Status.DRAFT)
    make_article(status=Article.Status.REVIEW)
    make_article(status=Article.Status.WITHDRAWN)
    make_article(published_at=timezone.now() + timedelta(seconds=30))
    assert list(Article.objects.published()) == [live]


def test_database_refuses_published_story_without_publication_time():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_article(published_at=None)


def test_model_validation_explains_missing_publication_time():
    article = make_article(status=Article.Status.DRAFT, published_at=None)
    article.status = Article.Status.PUBLISHED
    with pytest.raises(ValidationError) as error:
        article.full_clean()
    assert "needs a publication time" in str(error.value)


def test_slug_is_unique_in_the_database():
    make_article(slug="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_article(slug="same")


def test_see_also_link_needs_exactly_one_of_story_or_address():
    article = make_article()
    other = make_article()
    with pytest.raises(IntegrityError), transaction.atomic():
        SeeAlsoLink.objects.create(article=article)
    with pytest.raises(IntegrityError), transaction.atomic():
        SeeAlsoLink.objects.create(
            article=article, target=other, url="https://example.org", title="x"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        SeeAlsoLink.objects.create(article=article, target=article)
    SeeAlsoLink.objects.create(article=article, target=other)
    SeeAlsoLink.objects.create(article=article, url="https://example.org", title="x")
    assert article.see_also_links.count() == 2


def test_same_author_cannot_be_in_a_byline_twice():
    article = make_article()
    author = make_author()
    Byline.objects.create(article=article, author=author)
    with pytest.raises(IntegrityError), transaction.atomic():
        Byline.objects.create(article=article, author=author, position=2)


def test_deleting_a_story_removes_links_to_it_but_keeps_the_linking_story():
    target = make_article()
    article = make_article()
    SeeAlsoLink.objects.create(article=article, target=target)
    target.delete()
    article.refresh_from_db()
    assert article.see_also_links.count() == 0


def test_section_and_image_in_use_cannot_be_deleted():
    section = make_section()
    image = make_image()
    make_article(section=section, lead_image=image)
    with pytest.raises(ProtectedError):
        section.delete()
    with pytest.raises(ProtectedError):
        image.delete()


def test_body_is_sanitised_on_save():
    article = make_article(
        body='<p style="x" onmouseover="x()">Safe <b>bold</b></p><script>bad()</script>'
        '<iframe src="https://evil.example"></iframe><a href="javascript:x()">l</a>'
    )
    article.refresh_from_db()
    assert article.body == ('<p>Safe <b>bold</b></p><a rel="noopener noreferrer">l</a>')


def test_sanitize_keeps_links_and_adds_rel():
    assert sanitize('<p><a href="https://example.org">x</a></p>') == (
        '<p><a href="https://example.org" rel="noopener noreferrer">x</a></p>'
    )


def test_split_blocks_keeps_nested_blocks_together():
    html = (
        "<p>One</p>\n<blockquote><p>Two</p><p>Three</p></blockquote><ul><li>a</li></ul>"
    )
    blocks = split_blocks(html)
    assert blocks == [
        "<p>One</p>",
        "\n<blockquote><p>Two</p><p>Three</p></blockquote>",
        "<ul><li>a</li></ul>",
    ]
    assert "".join(blocks) == html


def test_split_blocks_of_plain_text_is_one_block():
    assert split_blocks("Just text") == ["Just text"]
    assert split_blocks("") == []


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        (
            "https://youtu.be/dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://evil.example/watch?v=dQw4w9WgXcQ", ""),
        ("javascript:alert(1)//youtube.com", ""),
        ("https://www.youtube.com/watch?v=<script>", ""),
    ],
)
def test_video_embed_url_allows_only_known_providers(url, embed):
    assert video_embed_url(url) == embed


def test_video_story_validation_refuses_other_providers():
    article = make_article(status=Article.Status.DRAFT)
    article.kind = Article.Kind.VIDEO
    article.video_url = "https://evil.example/video"
    with pytest.raises(ValidationError) as error:
        article.full_clean()
    assert "Only YouTube and Vimeo" in str(error.value)


def test_image_renditions_are_made_at_each_width_up_to_the_original(settings):
    image = make_image(size=(1000, 500))
    widths = [r["width"] for r in image.renditions]
    assert widths == [320, 640, 960, 1000]
    assert image.width == 1000 and image.height == 500
    for rendition in image.renditions:
        for name in (rendition["webp"], rendition["jpeg"]):
            assert (Path(settings.MEDIA_ROOT) / name).exists()
    assert image.renditions[0]["height"] == 160


def test_image_renditions_follow_a_new_upload():
    image = make_image(size=(400, 300))
    first = image.renditions
    image.file = ContentFile(image_bytes((700, 300)), name="replacement.jpg")
    image.save()
    assert [r["width"] for r in image.renditions] == [320, 640, 700]
    assert image.renditions != first
