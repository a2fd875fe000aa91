"""RSS 2.0 and Atom feeds of the newest stories: the whole site, and each
section, region, tag and author. Built on django.contrib.syndication; one
feed class serves both formats, the format coming from the URL (urls.py)."""

import copy

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from taggit.models import Tag

from .images import rendition_for
from .models import Article, Author, Region, Section
from .pagecache import shows

FEED_SIZE = 30
# Width of the lead-image rendition offered as enclosure and media:content.
FEED_IMAGE_WIDTH = 1280


class MediaRssFeed(Rss201rev2Feed):
    """RSS 2.0 with a Media RSS <media:content> for each item's picture, which
    feed readers and aggregators show as its thumbnail."""

    def rss_attributes(self) -> dict:
        return super().rss_attributes() | {
            "xmlns:media": "http://search.yahoo.com/mrss/"
        }

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, item)
        media = item.get("media")
        if media:
            handler.startElement("media:content", media["attrs"])
            handler.addQuickElement("media:description", media["description"])
            if media["credit"]:
                handler.addQuickElement("media:credit", media["credit"])
            handler.endElement("media:content")


# The formats a feed is offered in, by the name its address uses.
FORMATS = {"rss": MediaRssFeed, "atom": Atom1Feed}


class StoryFeed(Feed):
    """The newest published stories of `self.stories(obj)`, with absolute
    links, permanent guids, bylines, categories and the lead picture."""

    # No `language`: the feed's is the page's (Django's get_language()).
    author_name = settings.SITE_NAME

    def __call__(
        self, request: HttpRequest, *args, format: str = "rss", **kwargs
    ) -> HttpResponse:
        # Feed instances are shared between threads; the copy keeps this
        # request, for the item methods that build absolute addresses, and
        # the format it asked for.
        feed = copy.copy(self)
        feed.request = request
        feed.feed_type = FORMATS[format]
        return Feed.__call__(feed, request, *args, **kwargs)

    def stories(self, obj):
        return Article.objects.in_page_language()

    def list_key(self, obj) -> str:
        """The key of the list this feed shows (see purge.py)."""
        return "stories"

    def items(self, obj) -> list[Article]:
        shows(self.list_key(obj))
        return list(self.stories(obj).for_feed().newest_first()[:FEED_SIZE])

    def title(self, obj) -> str:
        return settings.SITE_NAME

    def link(self, obj) -> str:
        return obj.get_absolute_url() if obj else reverse("articles:front-page")

    def description(self, obj) -> str:
        return settings.SITE_TAGLINE

    def subtitle(self, obj) -> str:
        return self.description(obj)

    def item_title(self, item: Article) -> str:
        return item.headline

    def item_description(self, item: Article) -> str:
        return item.standfirst

    def item_guid(self, item: Article) -> str:
        # The short address never changes, even when an editor fixes the
        # slug, so readers never see a story twice.
        short = reverse("articles:article-short", kwargs={"pk": item.pk})
        return self.request.build_absolute_uri(short)

    item_guid_is_permalink = True

    def item_pubdate(self, item: Article):
        return item.published_at

    def item_updateddate(self, item: Article):
        return item.updated_at if item.is_updated else item.published_at

    def item_author_name(self, item: Article) -> str:
        names = [byline.author.name for byline in item.bylines.all()]
        if names:
            return ", ".join(names)
        return item.source.name if item.source else settings.SITE_NAME

    def item_author_link(self, item: Article) -> str | None:
        bylines = item.bylines.all()
        if not bylines:
            return None
        return self.request.build_absolute_uri(bylines[0].author.get_absolute_url())

    def item_categories(self, item: Article) -> list[str]:
        return [item.section.name, *sorted(tag.name for tag in item.tags.all())]

    def lead_picture(self, item: Article) -> tuple[dict, str] | None:
        rendition = rendition_for(item.lead_image, FEED_IMAGE_WIDTH)
        if rendition is None:
            return None
        url = default_storage.url(rendition["jpeg"])
        return rendition, self.request.build_absolute_uri(url)

    def item_enclosures(self, item: Article) -> list[Enclosure]:
        picture = self.lead_picture(item)
        if picture is None:
            return []
        rendition, url = picture
        # Renditions made before sizes were recorded say 0: "unknown" in RSS.
        length = str(rendition.get("jpeg_size", 0))
        return [Enclosure(url, length, "image/jpeg")]

    def item_extra_kwargs(self, item: Article) -> dict:
        picture = self.lead_picture(item)
        if picture is None:
            return {}
        rendition, url = picture
        attrs = {
            "url": url,
            "medium": "image",
            "type": "image/jpeg",
            "width": str(rendition["width"]),
            "height": str(rendition["height"]),
        }
        if rendition.get("jpeg_size"):
            attrs["fileSize"] = str(rendition["jpeg_size"])
        return {
            "media": {
                "attrs": attrs,
                "description": item.lead_image.alt_text,
                "credit": item.lead_image.credit,
            }
        }


class LatestStoriesFeed(StoryFeed):
    """The whole site's: Feed.get_object() gives None, for no object."""


class SectionFeed(StoryFeed):
    def list_key(self, obj) -> str:
        return f"sec{obj.pk}"

    def get_object(self, request: HttpRequest, slug: str) -> Section:
        return get_object_or_404(Section, slug=slug)

    def stories(self, obj: Section):
        return Article.objects.in_page_language().filter(section=obj)

    def title(self, obj: Section) -> str:
        return f"{obj.name} – {settings.SITE_NAME}"

    def description(self, obj: Section) -> str:
        return obj.description or f"The latest {obj.name} news."


class RegionFeed(StoryFeed):
    def list_key(self, obj) -> str:
        return f"reg{obj.pk}"

    def get_object(self, request: HttpRequest, slug: str) -> Region:
        return get_object_or_404(Region, slug=slug)

    def stories(self, obj: Region):
        return Article.objects.in_page_language().filter(regions=obj)

    def title(self, obj: Region) -> str:
        return f"News from {obj.name} – {settings.SITE_NAME}"

    def description(self, obj: Region) -> str:
        return f"The latest news from {obj.name}."


class TagFeed(StoryFeed):
    def list_key(self, obj) -> str:
        return f"tag{obj.pk}"

    def get_object(self, request: HttpRequest, slug: str) -> Tag:
        return get_object_or_404(Tag, slug=slug)

    def stories(self, obj: Tag):
        return Article.objects.in_page_language().filter(tags=obj)

    def title(self, obj: Tag) -> str:
        return f"{obj.name} – {settings.SITE_NAME}"

    def description(self, obj: Tag) -> str:
        return f"Stories about {obj.name}."


class AuthorFeed(StoryFeed):
    def list_key(self, obj) -> str:
        return f"au{obj.pk}"

    def get_object(self, request: HttpRequest, slug: str) -> Author:
        return get_object_or_404(Author, slug=slug)

    def stories(self, obj: Author):
        return Article.objects.in_page_language().filter(authors=obj)

    def title(self, obj: Author) -> str:
        return f"{obj.name} – {settings.SITE_NAME}"

    def description(self, obj: Author) -> str:
        return obj.bio or f"Stories by {obj.name}."
