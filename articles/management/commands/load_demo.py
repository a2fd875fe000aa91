"""Load demo content from articles/demo/stories.toml: taxonomy, authors,
generated pictures and about 40 stories.

Running it again refreshes the same rows (keyed on slugs, names and alt
texts) and never draws a picture twice, so it is safe in `make run`. Rows are
saved through the models, so bodies are sanitised, pictures get renditions
and the signals purge the pages that change.
"""

import random
import re
import tomllib
from contextlib import contextmanager
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageColor, ImageDraw, ImageFont

from articles import purge
from articles.html import split_blocks
from articles.models import (
    Article,
    Author,
    Byline,
    GalleryImage,
    Image,
    ReadMoreLink,
    Region,
    Section,
    SeeAlsoLink,
    Source,
)
from live.models import LiveCoverage, LiveUpdate

DATA_FILE = Path(__file__).resolve().parents[2] / "demo" / "stories.toml"
PICTURE_SIZE = (1280, 720)

# "-2d 4h": a sign, then days, hours and minutes, each optional but not all.
OFFSET = re.compile(r"([+-]) *(?:(\d+)d)? *(?:(\d+)h)? *(?:(\d+)m)?")


def parse_offset(text: str) -> timedelta:
    """A time in the data file: "-3h" is three hours back, "+1d" a day ahead.
    The sign is required so that "3h", meant as three hours ago, cannot
    schedule the story instead."""
    match = OFFSET.fullmatch(text.strip())
    if match is None or not any(match.groups()[1:]):
        raise ValueError(f'{text!r} is not a time like "-3h", "-2d 4h" or "+1d"')
    sign, days, hours, minutes = (part or 0 for part in match.groups())
    delta = timedelta(days=int(days), hours=int(hours), minutes=int(minutes))
    return -delta if sign == "-" else delta


def pick(rows: dict, key: str, what: str):
    """rows[key], or an error a journalist editing the data file can act on."""
    try:
        return rows[key]
    except KeyError:
        raise ValueError(f"there is no {what} {key!r}") from None


@contextmanager
def reported(where: str):
    """Turn a mistake in the data file into a message saying where it is."""
    try:
        yield
    except KeyError as error:
        raise CommandError(f"{DATA_FILE.name}, {where}: missing {error}") from None
    except ValueError as error:
        raise CommandError(f"{DATA_FILE.name}, {where}: {error}") from None


def draw_picture(picture: dict, seed: str) -> bytes:
    """A JPEG with a two-colour gradient, soft circles and a large “DEMO” caption."""
    size = tuple(picture.get("size", PICTURE_SIZE))
    width, height = size
    start_colour, end_colour = picture["colours"]
    start = PILImage.new("RGB", size, ImageColor.getrgb(start_colour))
    end = PILImage.new("RGB", size, ImageColor.getrgb(end_colour))
    vertical = PILImage.linear_gradient("L")
    mask = PILImage.blend(vertical, vertical.rotate(90), 0.5).resize(size)
    canvas = PILImage.composite(end, start, mask).convert("RGBA")

    shapes = PILImage.new("RGBA", size)
    draw = ImageDraw.Draw(shapes)
    rng = random.Random(seed)
    for _ in range(6):
        radius = rng.randint(height // 8, height // 2)
        x, y = rng.randint(0, width), rng.randint(0, height)
        opacity = rng.randint(25, 70)
        draw.ellipse(
            (x - radius, y - radius, x + radius, y + radius),
            fill=(255, 255, 255, opacity),
        )
    canvas = PILImage.alpha_composite(canvas, shapes).convert("RGB")

    draw = ImageDraw.Draw(canvas)
    margin = width // 20
    big = ImageFont.load_default(size=height // 4)
    small = ImageFont.load_default(size=height // 12)
    outline = {"stroke_width": 3, "stroke_fill": (0, 0, 0)}
    draw.text(
        (margin, height // 2), "DEMO", font=big, fill="white", anchor="ls", **outline
    )
    draw.text(
        (margin, height // 2 + height // 8),
        picture["label"],
        font=small,
        fill="white",
        anchor="ls",
        **outline,
    )
    draw.text(
        (margin, height - margin),
        "Pakistan Christian TV · demo picture",
        font=ImageFont.load_default(size=height // 28),
        fill="white",
        anchor="ls",
    )
    buffer = BytesIO()
    canvas.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def load_pictures(data: dict) -> tuple[dict[str, Image], int]:
    """Find or create an Image for each picture; returns them by key and how
    many were drawn. Drawing also writes renditions to storage."""
    images = {}
    drawn = 0
    for key, picture in data["picture"].items():
        image = Image.objects.filter(alt_text=picture["alt"]).first()
        if image is None:
            image = Image(
                file=ContentFile(draw_picture(picture, key), name=f"demo-{key}.jpg"),
                alt_text=picture["alt"],
            )
            drawn += 1
        image.caption = picture["caption"]
        image.credit = picture.get("credit", data["picture_credit"])
        image.save()
        images[key] = image
    return images, drawn


def story_body(story: dict, data: dict) -> str:
    """The body as written, without the line breaks between its paragraphs
    that are there for whoever edits the file, and with the demo note."""
    body = "".join(block.strip() for block in split_blocks(story["body"].strip()))
    if story.get("demo_note", True):
        # In the story's language when the file has a note in it.
        language = story.get("language", settings.LANGUAGE_CODE)
        body += data.get(f"demo_note_{language}", data["demo_note"])
    return body


def load_story(
    story: dict, data: dict, now: datetime, rows: dict
) -> tuple[Article, bool]:
    """Create or refresh one story with its bylines, regions, tags and gallery."""
    status = story.get("status", Article.Status.PUBLISHED)
    if status not in (Article.Status.DRAFT, Article.Status.PUBLISHED):
        raise ValueError(f'status is "draft" or left out, not {status!r}')
    kind = story.get("kind", Article.Kind.STORY)
    if kind not in Article.Kind.values:
        raise ValueError(
            f"kind is one of {', '.join(Article.Kind.values)}, not {kind!r}"
        )
    language = story.get("language", settings.LANGUAGE_CODE)
    if language not in dict(settings.LANGUAGES):
        languages = ", ".join(dict(settings.LANGUAGES))
        raise ValueError(f"language is one of {languages}, not {language!r}")
    published_at = updated_at = None
    if status == Article.Status.PUBLISHED:
        published_at = now + parse_offset(story["published"])
        if "updated" in story:
            updated_at = published_at + parse_offset(story["updated"])
    if status == Article.Status.PUBLISHED and story.get("rank"):
        # One published story per rank on each language's front page: the
        # demo story takes its rank from whichever story an editor has pinned
        # there since.
        Article.objects.filter(
            status=Article.Status.PUBLISHED,
            language=language,
            front_page_rank=story["rank"],
        ).exclude(slug=story["slug"]).update(front_page_rank=None)
    article, created = Article.objects.update_or_create(
        slug=story["slug"],
        defaults={
            "headline": story["headline"],
            "language": language,
            "standfirst": story["standfirst"],
            "body": story_body(story, data),
            "kind": kind,
            "status": status,
            "section": pick(rows["section"], story["section"], "section"),
            "source": pick(rows["source"], story["source"], "source"),
            "lead_image": pick(rows["picture"], story["picture"], "picture"),
            "lead_image_caption": story.get("caption", ""),
            "video_url": story.get("video_url", ""),
            "published_at": published_at,
            "updated_at": updated_at,
            "is_breaking": story.get("breaking", False),
            "breaking_until": None,
            "front_page_rank": story.get("rank"),
        },
    )
    article.regions.set(
        [pick(rows["region"], slug, "region") for slug in story["regions"]]
    )
    article.tags.set(story["tags"])
    article.bylines.all().delete()
    Byline.objects.bulk_create(
        Byline(article=article, author=pick(rows["author"], slug, "author"), position=n)
        for n, slug in enumerate(story["authors"], start=1)
    )
    article.gallery_items.all().delete()
    GalleryImage.objects.bulk_create(
        GalleryImage(
            article=article,
            image=pick(rows["picture"], key, "picture"),
            position=n,
            caption=data["picture"][key]["caption"],
        )
        for n, key in enumerate(story.get("gallery", []), start=1)
    )
    return article, created


def load_live(story: dict, article: Article, now: datetime, rows: dict) -> None:
    """The live coverage of a demo story and its updates, made afresh."""
    live = story.get("live")
    if live is None:
        return
    LiveCoverage.objects.update_or_create(
        article=article,
        defaults={
            "started_at": now + parse_offset(live["started"]),
            "ended_at": now + parse_offset(live["ended"]) if "ended" in live else None,
        },
    )
    article.live_updates.all().delete()
    for update in story.get("update", []):
        picture = update.get("picture")
        LiveUpdate.objects.create(
            article=article,
            text=update["text"].strip(),
            is_key_point=update.get("key_point", False),
            image=pick(rows["picture"], picture, "picture") if picture else None,
            embed_url=update.get("embed_url", ""),
            status=LiveUpdate.Status.PUBLISHED,
            published_at=now + parse_offset(update["published"]),
        )


def load_links(story: dict, articles: dict[str, Article]) -> None:
    """Add the “read more” and “See also” links of one demo story."""
    article = articles[story["slug"]]
    ReadMoreLink.objects.bulk_create(
        ReadMoreLink(
            article=article,
            target=pick(articles, link["story"], "story"),
            after_paragraph=link["after_paragraph"],
        )
        for link in story.get("read_more", [])
    )
    SeeAlsoLink.objects.bulk_create(
        SeeAlsoLink(article=article, position=n, target=pick(articles, link, "story"))
        if isinstance(link, str)
        else SeeAlsoLink(
            article=article, position=n, url=link["url"], title=link["title"]
        )
        for n, link in enumerate(story.get("see_also", []), start=1)
    )


def load_translation(story: dict, articles: dict[str, Article]) -> None:
    """Link a demo story to its version in the other language (`translation`,
    by slug); saving links both ways. Nothing is saved when they are linked."""
    if "translation" not in story:
        return
    article = articles[story["slug"]]
    other = pick(articles, story["translation"], "story")
    if other.language == article.language:
        raise ValueError(
            f"its translation {other.slug!r} is in the same language "
            f"({article.language!r})"
        )
    if article.translation_id != other.pk:
        article.translation = other
        article.save(update_fields=["translation", "modified_at"])
        other.refresh_from_db(fields=["translation"])


class Command(BaseCommand):
    help = "Load demo sections, regions, authors, pictures and about 40 stories."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        try:
            with DATA_FILE.open("rb") as file:
                data = tomllib.load(file)
        except tomllib.TOMLDecodeError as error:
            raise CommandError(f"{DATA_FILE}: {error}") from None
        now = timezone.now()
        rows = {"section": {}, "region": {}, "source": {}, "author": {}}
        for position, section in enumerate(data["section"], start=1):
            rows["section"][section["slug"]], _ = Section.objects.update_or_create(
                slug=section["slug"],
                defaults={
                    "name": section["name"],
                    "name_ur": section.get("name_ur", ""),
                    "description": section["description"],
                    "position": position,
                },
            )
        for position, region in enumerate(data["region"], start=1):
            rows["region"][region["slug"]], _ = Region.objects.update_or_create(
                slug=region["slug"],
                defaults={
                    "name": region["name"],
                    "name_ur": region.get("name_ur", ""),
                    "position": position,
                },
            )
        for source in data["source"]:
            rows["source"][source["name"]], _ = Source.objects.update_or_create(
                name=source["name"], defaults={"url": source.get("website", "")}
            )

        rows["picture"], drawn = load_pictures(data)

        for author in data["author"]:
            photo = author.get("photo")
            with reported(f"author {author.get('slug')}"):
                rows["author"][author["slug"]], _ = Author.objects.update_or_create(
                    slug=author["slug"],
                    defaults={
                        "name": author["name"],
                        "bio": author["bio"],
                        "photo": pick(rows["picture"], photo, "picture")
                        if photo
                        else None,
                    },
                )

        articles = {}
        created = 0
        for story in data["story"]:
            with reported(f"story {story.get('slug')}"):
                articles[story["slug"]], new = load_story(story, data, now, rows)
                load_live(story, articles[story["slug"]], now, rows)
                created += new
        # Links may point at any story, so they go in once all are there.
        ReadMoreLink.objects.filter(article__in=articles.values()).delete()
        SeeAlsoLink.objects.filter(article__in=articles.values()).delete()
        for story in data["story"]:
            with reported(f"story {story.get('slug')}"):
                load_links(story, articles)
        for story in data["story"]:
            with reported(f"story {story.get('slug')}"):
                load_translation(story, articles)
        # The links went in with bulk_create, which sends no signals.
        purge.record(["site"])

        hidden = sum(
            article.published_at is None or article.published_at > now
            for article in articles.values()
        )
        if created:
            summary = f"Loaded demo content: {created} new stories"
        else:
            summary = "Demo content already loaded; refreshed it: 0 new stories"
        self.stdout.write(
            f"{summary}, {len(articles)} in all ({len(articles) - hidden} published, "
            f"{hidden} hidden), {len(rows['picture'])} images ({drawn} new), "
            f"{len(rows['section'])} sections, {len(rows['region'])} regions, "
            f"{len(rows['source'])} sources, {len(rows['author'])} authors."
        )
