"""Urdu pages under /ur/, English ones at their addresses: each page lists
the stories of its language, links to itself in the other language and
tells search engines about both."""

import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from articles.models import Article, StoryViews

from .factories import make_article, make_author, make_region, make_section

pytestmark = pytest.mark.django_db

URDU_HEADLINE = "لاہور میں بارش"
ENGLISH_HEADLINE = "Rain in Lahore"


@pytest.fixture
def stories(django_capture_on_commit_callbacks):
    """An English and an Urdu story in the same section, region, tag and
    byline; both videos, so the video pages list them too. Indexed for
    search as on commit (PostgreSQL)."""
    section = make_section(slug="national")
    region = make_region(slug="punjab")
    author = make_author(name="Amina Khan", slug="amina-khan")
    common = {
        "section": section,
        "regions": [region],
        "tags": ["floods"],
        "authors": [author],
        "kind": Article.Kind.VIDEO,
        "video_url": "https://youtu.be/abcdefghijk",
    }
    with django_capture_on_commit_callbacks(execute=True):
        english = make_article(
            headline=ENGLISH_HEADLINE, slug="rain-in-lahore", **common
        )
        urdu = make_article(
            headline=URDU_HEADLINE, slug="لاہور-میں-بارش", language="ur", **common
        )
    return english, urdu


def html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.content.decode()).group(0)


def alternates(response) -> dict[str, str]:
    links = re.findall(
        r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">',
        response.content.decode(),
    )
    return dict(links)


def switch_links(response) -> list[tuple[str, str, str]]:
    """(href, lang, label) of each link in the language switch."""
    switch = re.search(
        r'<ul class="language-switch">(.*?)</ul>', response.content.decode(), re.S
    ).group(1)
    return re.findall(
        r'<a href="([^"]+)" lang="([^"]+)" hreflang="[^"]+">([^<]+)</a>', switch
    )


LIST_PAGES = [
    ("/", "/ur/"),
    ("/section/national/", "/ur/section/national/"),
    ("/region/punjab/", "/ur/region/punjab/"),
    ("/tag/floods/", "/ur/tag/floods/"),
    ("/author/amina-khan/", "/ur/author/amina-khan/"),
    ("/video/", "/ur/video/"),
]


@pytest.mark.parametrize(("english_page", "urdu_page"), LIST_PAGES)
def test_each_list_page_shows_only_stories_of_its_language(
    client, stories, english_page, urdu_page
):
    urdu = client.get(urdu_page)
    assert urdu.status_code == 200
    assert html_tag(urdu) == '<html lang="ur" dir="rtl">'
    assert URDU_HEADLINE in urdu.content.decode()
    assert ENGLISH_HEADLINE not in urdu.content.decode()

    english = client.get(english_page)
    assert english.status_code == 200
    assert html_tag(english) == '<html lang="en" dir="ltr">'
    assert ENGLISH_HEADLINE in english.content.decode()
    assert URDU_HEADLINE not in english.content.decode()


@pytest.mark.parametrize(("english_page", "urdu_page"), LIST_PAGES)
def test_list_pages_switch_to_and_name_each_other(
    client, stories, english_page, urdu_page
):
    english = client.get(english_page)
    urdu = client.get(urdu_page)
    assert switch_links(english) == [(urdu_page, "ur", "اردو")]
    assert switch_links(urdu) == [(english_page, "en", "English")]
    both = {
        "en": f"http://testserver{english_page}",
        "ur": f"http://testserver{urdu_page}",
        "x-default": f"http://testserver{english_page}",
    }
    assert alternates(english) == both
    assert alternates(urdu) == both


def test_the_article_page_is_in_its_language(client, stories):
    english, urdu = stories
    response = client.get(urdu.get_absolute_url())
    assert response.status_code == 200
    assert urdu.get_absolute_url() == f"/ur/news/{urdu.pk}/{quote(urdu.slug)}/"
    assert html_tag(response) == '<html lang="ur" dir="rtl">'
    assert '"inLanguage": "ur"' in response.content.decode()
    assert html_tag(client.get(english.get_absolute_url())) == (
        '<html lang="en" dir="ltr">'
    )
    assert english.get_absolute_url() == f"/news/{english.pk}/rain-in-lahore/"


def test_a_story_at_the_other_languages_address_moves_to_its_own(client, stories):
    english, urdu = stories
    wrong_urdu = f"/news/{urdu.pk}/{urdu.slug}/"
    response = client.get(wrong_urdu)
    assert response.status_code == 301
    assert response["Location"] == urdu.get_absolute_url()

    response = client.get(f"/ur/news/{english.pk}/{english.slug}/")
    assert response.status_code == 301
    assert response["Location"] == english.get_absolute_url()

    # The short address of either goes to its own page.
    assert client.get(f"/news/{urdu.pk}/")["Location"] == urdu.get_absolute_url()
    assert client.get(f"/ur/news/{english.pk}/")["Location"] == (
        english.get_absolute_url()
    )


def test_english_addresses_never_redirect_whatever_the_browser_prefers(client, stories):
    response = client.get(
        "/", HTTP_ACCEPT_LANGUAGE="ur", HTTP_COOKIE="django_language=ur"
    )
    assert response.status_code == 200
    assert html_tag(response) == '<html lang="en" dir="ltr">'
    assert "Accept-Language" not in response.get("Vary", "")
    urdu = client.get("/ur/", HTTP_ACCEPT_LANGUAGE="en")
    assert html_tag(urdu) == '<html lang="ur" dir="rtl">'
    assert "Accept-Language" not in urdu.get("Vary", "")
    assert client.get("/en/").status_code == 404


def test_a_translated_story_links_to_its_translation_both_ways(client, stories):
    english, urdu = stories
    english.translation = urdu
    english.save()
    english_page = client.get(english.get_absolute_url())
    urdu_page = client.get(urdu.get_absolute_url())
    assert switch_links(english_page) == [(urdu.get_absolute_url(), "ur", "اردو")]
    assert switch_links(urdu_page) == [(english.get_absolute_url(), "en", "English")]
    both = {
        "en": f"http://testserver{english.get_absolute_url()}",
        "ur": f"http://testserver{urdu.get_absolute_url()}",
        "x-default": f"http://testserver{english.get_absolute_url()}",
    }
    assert alternates(english_page) == both
    assert alternates(urdu_page) == both


def test_a_story_without_a_published_translation_switches_to_the_front_page(
    client, stories
):
    english, urdu = stories
    draft = make_article(language="ur", status=Article.Status.DRAFT)
    english.translation = draft
    english.save()
    response = client.get(english.get_absolute_url())
    assert switch_links(response) == [("/ur/", "ur", "اردو")]
    assert alternates(response) == {
        "en": f"http://testserver{english.get_absolute_url()}"
    }
    response = client.get(urdu.get_absolute_url())
    assert switch_links(response) == [("/", "en", "English")]
    assert alternates(response) == {"ur": f"http://testserver{urdu.get_absolute_url()}"}


def test_publishing_a_translation_updates_the_cached_story_page(client, stories):
    english, _ = stories
    draft = make_article(language="ur", status=Article.Status.DRAFT)
    english.translation = draft
    english.save()
    assert switch_links(client.get(english.get_absolute_url()))[0][0] == "/ur/"
    draft.status = Article.Status.PUBLISHED
    draft.save()
    response = client.get(english.get_absolute_url())
    assert response["X-Page-Cache"] == "miss"
    assert switch_links(response)[0][0] == draft.get_absolute_url()


def test_urdu_author_and_tag_pages(client):
    author = make_author(name="عائشہ احمد", slug="عائشہ-احمد")
    story = make_article(language="ur", authors=[author], tags=["سیلاب"])
    with override("ur"):
        author_url = author.get_absolute_url()
        tag_url = story.tags.get().get_absolute_url()
    assert author_url.startswith("/ur/author/%D8%B9")
    for address in (author_url, tag_url):
        response = client.get(address)
        assert response.status_code == 200
        assert story.headline in response.content.decode()
        assert "عائشہ احمد" in response.content.decode() or "سیلاب" in (
            response.content.decode()
        )
    # Their feeds too, and the English page of the same author is empty but
    # there.
    assert client.get(f"{author_url}feed/").status_code == 200
    assert client.get(f"{tag_url}feed/atom/").status_code == 200
    assert client.get(author_url.removeprefix("/ur")).status_code == 200


def test_search_finds_only_stories_of_the_pages_language(client, stories):
    urdu = client.get("/ur/search/", {"q": "Standfirst"})
    english = client.get("/search/", {"q": "Standfirst"})
    assert URDU_HEADLINE in urdu.content.decode()
    assert ENGLISH_HEADLINE not in urdu.content.decode()
    assert ENGLISH_HEADLINE in english.content.decode()
    assert URDU_HEADLINE not in english.content.decode()
    assert html_tag(urdu) == '<html lang="ur" dir="rtl">'


def test_most_read_lists_only_stories_of_the_pages_language(client, stories):
    for story in stories:
        StoryViews.objects.create(article=story, day=timezone.localdate(), views=5)
    urdu = client.get("/ur/most-read/").content.decode()
    english = client.get("/most-read/").content.decode()
    assert URDU_HEADLINE in urdu and ENGLISH_HEADLINE not in urdu
    assert ENGLISH_HEADLINE in english and URDU_HEADLINE not in english


@pytest.mark.parametrize("page", ["", "section/national/", "tag/floods/"])
def test_feeds_list_only_stories_of_their_language(client, stories, page):
    for prefix, shown, hidden, language in (
        ("/ur/", URDU_HEADLINE, ENGLISH_HEADLINE, "ur"),
        ("/", ENGLISH_HEADLINE, URDU_HEADLINE, "en"),
    ):
        rss = client.get(f"{prefix}{page}feed/").content.decode()
        atom = client.get(f"{prefix}{page}feed/atom/").content.decode()
        for feed in (rss, atom):
            assert shown in feed
            assert hidden not in feed
        assert f"<language>{language}</language>" in rss
        assert f'xml:lang="{language}"' in atom


SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def sitemap_entries(client, address) -> dict[str, dict[str, str]]:
    """Each <loc> of a sitemap with its xhtml:link alternates."""
    root = ET.fromstring(client.get(address).content)
    return {
        url.find(f"{SITEMAP}loc").text: {
            link.get("hreflang"): link.get("href")
            for link in url.findall(f"{XHTML}link")
        }
        for url in root.findall(f"{SITEMAP}url")
    }


def test_sitemaps_list_each_languages_pages_with_translations(client, stories):
    english, urdu = stories
    english.translation = urdu
    english.save()
    alone = make_article(language="ur", section=english.section)
    english_url = f"http://testserver{english.get_absolute_url()}"
    urdu_url = f"http://testserver{urdu.get_absolute_url()}"
    both = {"en": english_url, "ur": urdu_url}

    assert sitemap_entries(client, "/sitemap-stories.xml") == {english_url: both}
    assert sitemap_entries(client, "/ur/sitemap-stories.xml") == {
        urdu_url: both,
        f"http://testserver{alone.get_absolute_url()}": {},
    }
    news = client.get("/ur/sitemap-news.xml").content.decode()
    assert "<news:language>ur</news:language>" in news
    assert "<news:language>en</news:language>" not in news
    assert list(sitemap_entries(client, "/ur/sitemap-sections.xml")) == [
        "http://testserver/ur/section/national/"
    ]
    index = client.get("/ur/sitemap.xml").content.decode()
    assert "http://testserver/ur/sitemap-stories.xml" in index


def test_an_urdu_story_purges_the_urdu_front_page(client, stories):
    _, urdu = stories
    assert client.get("/ur/")["X-Page-Cache"] == "miss"
    assert client.get("/ur/")["X-Page-Cache"] == "hit"
    assert client.get("/")["X-Page-Cache"] == "miss"
    assert client.get("/")["X-Page-Cache"] == "hit"

    urdu.headline = "کراچی میں بارش"
    urdu.save()
    response = client.get("/ur/")
    assert response["X-Page-Cache"] == "miss"
    assert "کراچی میں بارش" in response.content.decode()

    fresh = make_article(headline="نئی خبر", language="ur")
    response = client.get("/ur/")
    assert "نئی خبر" in response.content.decode()
    assert "front" in response["Surrogate-Key"].split()
    assert f"s{fresh.pk}" in response["Surrogate-Key"].split()


def test_urdu_and_english_pages_are_cached_apart(client, stories):
    assert client.get("/")["X-Page-Cache"] == "miss"
    response = client.get("/ur/")
    assert response["X-Page-Cache"] == "miss"
    assert html_tag(response) == '<html lang="ur" dir="rtl">'
    assert html_tag(client.get("/")) == '<html lang="en" dir="ltr">'


def test_urdu_front_page_costs_the_queries_of_the_english_one(
    client, django_assert_num_queries, settings
):
    sections = [make_section() for _ in range(3)]
    regions = [make_region() for _ in range(2)]
    for language in ("en", "ur"):
        for n in range(12):
            make_article(
                language=language,
                section=sections[n % 3],
                regions=regions[: n % 2 + 1],
                is_breaking=n % 5 == 0,
                kind=Article.Kind.VIDEO if n % 4 == 0 else Article.Kind.STORY,
            )
    settings.PAGE_CACHE_SECONDS = 0
    # Sections, regions and the schedule are read once, each page's cards
    # are rendered once; then each page costs only its stories' queries.
    client.get("/")
    client.get("/ur/")
    with CaptureQueriesContext(connection) as english:
        assert client.get("/").status_code == 200
    with django_assert_num_queries(len(english.captured_queries)):
        assert client.get("/ur/").status_code == 200


def test_an_urdu_storys_preview_is_in_urdu_and_never_public(editor_client):
    story = make_article(language="ur", status=Article.Status.DRAFT)
    response = editor_client.get(reverse("articles:article-preview", args=[story.pk]))
    assert html_tag(response) == '<html lang="ur" dir="rtl">'
    assert "private" in response["Cache-Control"]
    assert Client().get(f"/ur/preview/{story.pk}/").status_code == 404


def test_robots_txt_names_both_languages_sitemaps(client):
    lines = client.get("/robots.txt").content.decode().splitlines()
    assert lines == [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /search/",
        "Disallow: /preview/",
        "Disallow: /ur/search/",
        "Disallow: /ur/preview/",
        "",
        "Sitemap: http://testserver/sitemap.xml",
        "Sitemap: http://testserver/sitemap-news.xml",
        "Sitemap: http://testserver/ur/sitemap.xml",
        "Sitemap: http://testserver/ur/sitemap-news.xml",
    ]


@pytest.mark.parametrize(
    "address",
    [
        "/ur/news/1/%FF/",
        "/ur/tag/%D8/",
        "/ur/author/%00/",
        "/ur/section/nowhere/",
        "/ur-pk/",
        "/ur/news/99999999999999999999/x/",
    ],
)
def test_odd_urdu_addresses_are_answered_without_a_server_error(client, address):
    assert client.get(address).status_code in (400, 404)
