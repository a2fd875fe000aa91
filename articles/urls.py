from django.urls import path, re_path, register_converter
from django.urls.converters import SlugConverter

from . import feeds, views
from .pagecache import public_page


class UnicodeSlugConverter(SlugConverter):
    """Slugs in letters of any script (پاکستان): tags as taggit makes them,
    Urdu stories' and authors' slugs (allow_unicode), and ASCII ones."""

    regex = r"[-\w]+"


register_converter(UnicodeSlugConverter, "uslug")

# The slugs of the pages that have feeds, as a regular expression (see feed()).
SLUG = f"(?P<slug>{UnicodeSlugConverter.regex})"


def feed(page: str, view: feeds.StoryFeed, name: str):
    """The RSS feed of a page at <page>feed/ and the Atom feed at
    <page>feed/atom/: one route with the format as a parameter, so that
    reverse(name) gives the RSS address and reverse(name, kwargs={"format":
    "atom", ...}) the Atom one. A regular expression, as path() has no
    optional parts."""
    return re_path(
        rf"^{page}feed/(?:(?P<format>atom)/)?$", public_page(view), name=name
    )


app_name = "articles"

urlpatterns = [
    path("", views.front_page, name="front-page"),
    path("section/<uslug:slug>/", views.section_detail, name="section-detail"),
    path("region/<uslug:slug>/", views.region_detail, name="region-detail"),
    path("tag/<uslug:slug>/", views.tag_detail, name="tag-detail"),
    path("author/<uslug:slug>/", views.author_detail, name="author-detail"),
    path("video/", views.video_list, name="video-list"),
    path("search/", views.search, name="search"),
    path("most-read/", views.most_read, name="most-read"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("stats/view/", views.story_view_beacon, name="story-view-beacon"),
    path("sitemap.xml", views.sitemap_index, name="sitemap-index"),
    path("sitemap-<slug:section>.xml", views.sitemap_section, name="sitemap-section"),
    feed("", feeds.LatestStoriesFeed(), "latest-feed"),
    feed(f"section/{SLUG}/", feeds.SectionFeed(), "section-feed"),
    feed(f"region/{SLUG}/", feeds.RegionFeed(), "region-feed"),
    feed(f"tag/{SLUG}/", feeds.TagFeed(), "tag-feed"),
    feed(f"author/{SLUG}/", feeds.AuthorFeed(), "author-feed"),
    path("news/<int:pk>/", views.article_redirect, name="article-short"),
    path("news/<int:pk>/<uslug:slug>/", views.article_detail, name="article-detail"),
    path("preview/<int:pk>/", views.article_preview, name="article-preview"),
]
