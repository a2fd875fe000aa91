"""Sitemaps (sitemaps.org) for stories, with their pictures, and for section,
region, tag and author pages; and a Google News sitemap of the last two days.
Built on django.contrib.sitemaps; listed by the index at /sitemap.xml."""

from datetime import timedelta

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.files.storage import default_storage
from django.db.models import Max
from django.utils import timezone
from taggit.models import Tag

from .images import rendition_for
from .models import Article, Author, Region, Section

# What a picture needs to give its address (ImageField also reads the size).
PICTURE_FIELDS = [
    f"lead_image__{name}" for name in ("file", "width", "height", "renditions")
]
# What a story's translation needs to give its address and whether it is live.
TRANSLATION_FIELDS = [
    f"translation__{name}" for name in ("slug", "language", "status", "published_at")
]
NEWS_WINDOW = timedelta(days=2)
# Google News reads at most 1,000 stories from one sitemap.
NEWS_LIMIT = 1000
# Width of the picture listed for a story (the largest rendition there is).
SITEMAP_IMAGE_WIDTH = 1920


class StorySitemap(Sitemap):
    """Every published story, oldest first so a story keeps its page."""

    # Well under the protocol's 50,000, so a page renders in under a second.
    limit = 2000

    def items(self):
        return (
            Article.objects.in_page_language()
            .select_related("lead_image", "translation")
            .only(
                "slug",
                "language",
                "published_at",
                "modified_at",
                *PICTURE_FIELDS,
                *TRANSLATION_FIELDS,
            )
            .order_by("pk")
        )

    def lastmod(self, item: Article):
        # A story edited before its scheduled time changed when it went live.
        return max(item.modified_at, item.published_at)

    def get_latest_lastmod(self):
        latest = Article.objects.in_page_language().aggregate(
            modified=Max("modified_at"), published=Max("published_at")
        )
        return max(filter(None, latest.values()), default=None)

    def get_urls(self, page=1, site=None, protocol=None) -> list[dict]:
        """Django's url entries, each with the absolute address of the
        story's picture in "images", and in "alternates" the story's and
        its published translation's addresses (xhtml:link) when it has one."""
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        prefix = f"{self.get_protocol(protocol)}://{self.get_domain(site)}"
        for url in urls:
            story = url["item"]
            translation = story.translation
            if translation is not None and translation.is_live:
                url["alternates"] = [
                    {"lang_code": item.language, "location": prefix + location}
                    for item in sorted((story, translation), key=by_language)
                    for location in [item.get_absolute_url()]
                ]
            rendition = rendition_for(url["item"].lead_image, SITEMAP_IMAGE_WIDTH)
            if rendition is None:
                url["images"] = []
                continue
            location = default_storage.url(rendition["jpeg"])
            if location.startswith("/"):
                location = prefix + location
            url["images"] = [location]
        return urls


def by_language(story: Article) -> int:
    """Position of the story's language in settings.LANGUAGES."""
    return [code for code, _ in settings.LANGUAGES].index(story.language)


class NewsSitemap(StorySitemap):
    """Stories published in the last two days, newest first, with the
    <news:news> details Google News wants."""

    limit = NEWS_LIMIT

    def items(self):
        since = timezone.now() - NEWS_WINDOW
        return (
            Article.objects.in_page_language()
            .filter(published_at__gte=since)
            .select_related("lead_image", "translation")
            .only(
                "slug",
                "language",
                "headline",
                *TRANSLATION_FIELDS,
                "published_at",
                "modified_at",
                *PICTURE_FIELDS,
            )
            .order_by("-published_at", "-pk")
        )

    def get_latest_lastmod(self):
        since = timezone.now() - NEWS_WINDOW
        latest = (
            Article.objects.in_page_language()
            .filter(published_at__gte=since)
            .aggregate(modified=Max("modified_at"), published=Max("published_at"))
        )
        return max(filter(None, latest.values()), default=None)

    def get_urls(self, page=1, site=None, protocol=None) -> list[dict]:
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        for url in urls:
            url["news"] = {
                "name": settings.SITE_NAME,
                "language": url["item"].language,
                "publication_date": url["item"].published_at,
                "title": url["item"].headline,
            }
        return urls


class StoryPageSitemap(Sitemap):
    """Pages that list stories: lastmod is the time of their newest story.
    Only pages with published stories are listed."""

    model = None
    # The Article field leading to this kind of page.
    article_field = ""

    def items(self):
        # One grouped query (the filter limits the aggregate to published
        # stories): a subquery per page would grow with every tag and story.
        return (
            self.model.objects.filter(stories__in=Article.objects.in_page_language())
            .annotate(newest=Max("stories__published_at"))
            .order_by("pk")
        )

    def lastmod(self, item):
        return item.newest

    def get_latest_lastmod(self):
        # The newest story filed under any such page: an index scan that
        # stops at the first row.
        return (
            Article.objects.in_page_language()
            .filter(**{f"{self.article_field}__isnull": False})
            .order_by("-published_at")
            .values_list("published_at", flat=True)
            .first()
        )


class SectionSitemap(StoryPageSitemap):
    model = Section
    article_field = "section"


class RegionSitemap(StoryPageSitemap):
    model = Region
    article_field = "regions"


class TagSitemap(StoryPageSitemap):
    model = Tag
    article_field = "tags"


class AuthorSitemap(StoryPageSitemap):
    model = Author
    article_field = "authors"


SITEMAPS = {
    "news": NewsSitemap,
    "stories": StorySitemap,
    "sections": SectionSitemap,
    "regions": RegionSitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
}
