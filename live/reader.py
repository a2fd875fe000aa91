"""What a live story's page shows readers: its coverage and published
updates, and the LiveBlogPosting structured data for them."""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from articles import seo
from articles.models import Article

from .models import LiveCoverage, LiveUpdate

# A live story's feed item lists its newest updates, this many.
FEED_UPDATES = 5


@dataclass
class LivePage:
    coverage: LiveCoverage
    # Key points first, then newest first.
    updates: list[LiveUpdate]

    @property
    def poll_seconds(self) -> int:
        return settings.LIVE_POLL_SECONDS


def live_coverage(article: Article) -> LivePage | None:
    """The story's live coverage as its page shows it, or None for a story
    that never had any. Expects `live_coverage` loaded with the story (as
    for_detail() does): one query for the updates, none for other stories."""
    try:
        coverage = article.live_coverage
    except LiveCoverage.DoesNotExist:
        return None
    updates = list(LiveUpdate.objects.filter(article=article.pk).for_readers())
    return LivePage(coverage, updates)


def live_blog_data(article: Article, live: LivePage, request: HttpRequest) -> dict:
    """LiveBlogPosting: the coverage's times and its updates, newest first."""
    url = seo.absolute(request, article.get_absolute_url())
    data = {
        "@context": seo.SCHEMA,
        "@type": "LiveBlogPosting",
        "@id": f"{url}#live",
        "url": url,
        "headline": article.headline,
        "description": article.standfirst,
        "datePublished": article.published_at.isoformat(),
        "coverageStartTime": live.coverage.started_at.isoformat(),
        "publisher": seo.organization(request),
        "liveBlogUpdate": [
            {
                "@type": "BlogPosting",
                "@id": f"{url}#update-{update.pk}",
                "url": f"{url}#update-{update.pk}",
                "headline": update_headline(update),
                "articleBody": update.plain_text,
                "datePublished": update.published_at.isoformat(),
                "dateModified": update.modified_at.isoformat(),
            }
            for update in sorted(live.updates, key=newest, reverse=True)
        ],
    }
    if live.coverage.ended_at:
        data["coverageEndTime"] = live.coverage.ended_at.isoformat()
    return data


def newest(update: LiveUpdate) -> tuple:
    return (update.published_at, update.pk)


def update_headline(update: LiveUpdate) -> str:
    """The update's first words, as a headline for search engines."""
    words = update.plain_text.split()
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "")


def feed_description(article: Article) -> str:
    """A live story's feed item: its standfirst and its newest updates, as
    HTML. One query."""
    updates = (
        LiveUpdate.objects.filter(article=article.pk)
        .published()
        .order_by("-published_at", "-pk")[:FEED_UPDATES]
    )
    items = format_html_join(
        "",
        "<li>{}: {}</li>",
        (
            (localtime(update.published_at).strftime("%H:%M"), update.plain_text)
            for update in updates
        ),
    )
    return format_html("<p>{}</p><ul>{}</ul>", article.standfirst, items)
