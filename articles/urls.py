from django.urls import path, register_converter
from django.urls.converters import SlugConverter

from . import feeds, views
from .pagecache import public_page


class TagSlugConverter(SlugConverter):
    """Tag slugs as taggit makes them: letters of any script (پاکستان)."""

    regex = r"[-\w]+"


register_converter(TagSlugConverter, "tagslug")

app_name = "articles"

urlpatterns = [
    path("", views.front_page, name="front-page"),
    path("section/<slug:slug>/", views.section_detail, name="section-detail"),
    path("region/<slug:slug>/", views.region_detail, name="region-detail"),
    path("tag/<tagslug:slug>/", views.tag_detail, name="tag-detail"),
    path("author/<slug:slug>/", views.author_detail, name="author-detail"),
    path("video/", views.video_list, name="video-list"),
    path("search/", views.search, name="search"),
    path("most-read/", views.most_read, name="most-read"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("stats/view/", views.story_view_beacon, name="story-view-beacon"),
    path("sitemap.xml", views.sitemap_index, name="sitemap-index"),
    path("sitemap-<slug:section>.xml", views.sitemap_section, name="sitemap-section"),
    path("feed/", public_page(feeds.LatestStoriesFeed()), name="latest-feed"),
    path(
        "feed/atom/",
        public_page(feeds.AtomLatestStoriesFeed()),
        name="latest-atom-feed",
    ),
    path(
        "section/<slug:slug>/feed/",
        public_page(feeds.SectionFeed()),
        name="section-feed",
    ),
    path(
        "section/<slug:slug>/feed/atom/",
        public_page(feeds.AtomSectionFeed()),
        name="section-atom-feed",
    ),
    path(
        "region/<slug:slug>/feed/", public_page(feeds.RegionFeed()), name="region-feed"
    ),
    path(
        "region/<slug:slug>/feed/atom/",
        public_page(feeds.AtomRegionFeed()),
        name="region-atom-feed",
    ),
    path("tag/<tagslug:slug>/feed/", public_page(feeds.TagFeed()), name="tag-feed"),
    path(
        "tag/<tagslug:slug>/feed/atom/",
        public_page(feeds.AtomTagFeed()),
        name="tag-atom-feed",
    ),
    path(
        "author/<slug:slug>/feed/", public_page(feeds.AuthorFeed()), name="author-feed"
    ),
    path(
        "author/<slug:slug>/feed/atom/",
        public_page(feeds.AtomAuthorFeed()),
        name="author-atom-feed",
    ),
    path("news/<int:pk>/", views.article_redirect, name="article-short"),
    path("news/<int:pk>/<slug:slug>/", views.article_detail, name="article-detail"),
    path("preview/<int:pk>/", views.article_preview, name="article-preview"),
]
