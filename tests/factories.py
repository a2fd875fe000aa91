"""Plain helpers that make rows with unique defaults; pass overrides as kwargs."""

import itertools
from datetime import timedelta
from io import BytesIO

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image as PILImage

from articles.models import Article, Author, Byline, Image, Region, Section, Source

_numbers = itertools.count(1)


def make_section(**overrides) -> Section:
    n = next(_numbers)
    fields = {"name": f"Section {n}", "slug": f"section-{n}", "position": n}
    return Section.objects.create(**(fields | overrides))


def make_region(**overrides) -> Region:
    n = next(_numbers)
    fields = {"name": f"Region {n}", "slug": f"region-{n}", "position": n}
    return Region.objects.create(**(fields | overrides))


def make_source(**overrides) -> Source:
    n = next(_numbers)
    return Source.objects.create(**({"name": f"Agency {n}"} | overrides))


def make_author(**overrides) -> Author:
    n = next(_numbers)
    fields = {"name": f"Author {n}", "slug": f"author-{n}", "bio": "Reports."}
    return Author.objects.create(**(fields | overrides))


def image_bytes(size=(800, 450), image_format="JPEG", color=(40, 90, 160)) -> bytes:
    buffer = BytesIO()
    PILImage.new("RGB", size, color).save(buffer, image_format)
    return buffer.getvalue()


def make_image(size=(800, 450), **overrides) -> Image:
    n = next(_numbers)
    fields = {
        "file": ContentFile(image_bytes(size), name=f"photo-{n}.jpg"),
        "alt_text": f"Alt text {n}",
        "caption": f"Caption {n}",
        "credit": f"Agency {n} / Photographer",
    }
    image = Image(**(fields | overrides))
    image.save()
    return image


def make_article(**overrides) -> Article:
    """A published story, an hour old, in a new section unless one is given."""
    n = next(_numbers)
    authors = overrides.pop("authors", [])
    regions = overrides.pop("regions", [])
    tags = overrides.pop("tags", [])
    fields = {
        "headline": f"Headline number {n}",
        "slug": f"headline-number-{n}",
        "standfirst": f"Standfirst number {n}.",
        "body": f"<p>Body paragraph number {n}.</p>",
        "status": Article.Status.PUBLISHED,
        "published_at": timezone.now() - timedelta(hours=1),
    }
    fields |= overrides
    if "section" not in fields:
        fields["section"] = make_section()
    article = Article.objects.create(**fields)
    for position, author in enumerate(authors):
        Byline.objects.create(article=article, author=author, position=position)
    if regions:
        article.regions.set(regions)
    if tags:
        article.tags.set(tags)
    return article
