"""The sitemap index, the paged sitemaps, the Google News sitemap and
robots.txt, parsed as a crawler would."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from articles.models import Article
from articles.sitemaps import StorySitemap

from .factories import make_article, make_author, make_image, make_region, make_section

pytestmark = pytest.mark.django_db

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
IMAGE = "{http://www.google.com/schemas/sitemap-image/1.1}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
BASE = "http://testserver"


def urlset(client, url: str) -> dict[str, ET.Element]:
    """The <url> entries of a sitemap, by address."""
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    root = ET.fromstring(response.content)
    assert root.tag == f"{SM}urlset"
    return {entry.findtext(f"{SM}loc"): entry for entry in root.findall(f"{SM}url")}


def test_index_lists_every_sitemap_with_absolute_addresses(client, monkeypatch):
    monkeypatch.setattr(StorySitemap, "limit", 2)
    for _ in range(3):
        make_article(authors=[make_author()], tags=["Rain"], regions=[make_region()])
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.tag == f"{SM}sitemapindex"
    entries = {
        entry.findtext(f"{SM}loc"): entry.findtext(f"{SM}lastmod")
        for entry in root.findall(f"{SM}sitemap")
    }
    assert list(entries) == [
        f"{BASE}/sitemap-news.xml",
        f"{BASE}/sitemap-stories.xml",
        f"{BASE}/sitemap-stories.xml?p=2",
        f"{BASE}/sitemap-sections.xml",
        f"{BASE}/sitemap-regions.xml",
        f"{BASE}/sitemap-tags.xml",
        f"{BASE}/sitemap-authors.xml",
    ]
    assert all(parse_datetime(lastmod) for lastmod in entries.values())
    # Every listed sitemap lists addresses.
    for location in entries:
        assert urlset(client, location.removeprefix(BASE)), location
    assert len(urlset(client, "/sitemap-stories.xml?p=2")) == 1


def test_story_sitemap_has_lastmod_and_the_lead_picture(client):
    pictured = make_article(lead_image=make_image(size=(1600, 900)))
    plain = make_article(published_at=timezone.now() - timedelta(days=400))
    entries = urlset(client, "/sitemap-stories.xml")
    assert set(entries) == {
        f"{BASE}{pictured.get_absolute_url()}",
        f"{BASE}{plain.get_absolute_url()}",
    }
    entry = entries[f"{BASE}{pictured.get_absolute_url()}"]
    pictured.refresh_from_db()
    lastmod = parse_datetime(entry.findtext(f"{SM}lastmod"))
    assert lastmod == max(pictured.modified_at, pictured.published_at)
    images = [image.findtext(f"{IMAGE}loc") for image in entry.findall(f"{IMAGE}image")]
    largest = pictured.lead_image.renditions[-1]
    assert images == [f"{BASE}/media/{largest['jpeg']}"]
    assert entries[f"{BASE}{plain.get_absolute_url()}"].find(f"{IMAGE}image") is None
    assert entry.find(f"{NEWS}news") is None


def test_scheduled_story_lastmod_is_its_publication_time(client):
    story = make_article(published_at=timezone.now() + timedelta(minutes=5))
    Article.objects.filter(pk=story.pk).update(
        published_at=timezone.now() - timedelta(minutes=1),
        modified_at=timezone.now() - timedelta(hours=3),
    )
    story.refresh_from_db()
    (entry,) = urlset(client, "/sitemap-stories.xml").values()
    assert parse_datetime(entry.findtext(f"{SM}lastmod")) == story.published_at


@pytest.mark.parametrize("sitemap", ["/sitemap-stories.xml", "/sitemap-news.xml"])
def test_unpublished_stories_are_left_out_until_published(client, sitemap):
    visible = make_article(headline="Visible")
    hidden = {
        status: make_article(status=status)
        for status in (
            Article.Status.DRAFT,
            Article.Status.REVIEW,
            Article.Status.WITHDRAWN,
        )
    }
    make_article(published_at=timezone.now() + timedelta(hours=1))
    assert list(urlset(client, sitemap)) == [f"{BASE}{visible.get_absolute_url()}"]

    draft = hidden[Article.Status.DRAFT]
    draft.status = Article.Status.PUBLISHED
    draft.published_at = timezone.now()
    draft.save()
    assert f"{BASE}{draft.get_absolute_url()}" in urlset(client, sitemap)


def test_news_sitemap_holds_the_last_two_days_with_news_details(client):
    recent = make_article(
        headline="Floods & rain <today>",
        published_at=timezone.now() - timedelta(hours=47),
    )
    make_article(headline="Too old", published_at=timezone.now() - timedelta(hours=49))
    entries = urlset(client, "/sitemap-news.xml")
    assert list(entries) == [f"{BASE}{recent.get_absolute_url()}"]
    news = entries[f"{BASE}{recent.get_absolute_url()}"].find(f"{NEWS}news")
    assert news.findtext(f"{NEWS}publication/{NEWS}name") == "Pakistan Christian TV"
    assert news.findtext(f"{NEWS}publication/{NEWS}language") == "en"
    published = parse_datetime(news.findtext(f"{NEWS}publication_date"))
    assert published == recent.published_at
    assert news.findtext(f"{NEWS}title") == "Floods & rain <today>"


def test_news_sitemap_is_valid_when_nothing_is_new(client):
    make_article(published_at=timezone.now() - timedelta(days=3))
    assert urlset(client, "/sitemap-news.xml") == {}


def test_page_sitemaps_list_only_pages_with_published_stories(client):
    section = make_section(slug="business")
    make_section(slug="empty")
    region = make_region(slug="asia")
    author = make_author(slug="amina-khan")
    make_author(slug="no-stories")
    newest = make_article(
        section=section, regions=[region], authors=[author], tags=["Rain"]
    )
    make_article(
        section=section,
        published_at=timezone.now() - timedelta(days=3),
        tags=["Rain"],
    )
    draft = make_article(
        status=Article.Status.DRAFT,
        section=section,
        tags=["Secret topic"],
        authors=[make_author(slug="draft-writer")],
    )

    sections = urlset(client, "/sitemap-sections.xml")
    assert set(sections) == {f"{BASE}/section/business/"}
    lastmod = sections[f"{BASE}/section/business/"].findtext(f"{SM}lastmod")
    assert parse_datetime(lastmod) == newest.published_at
    assert f"{BASE}/region/asia/" in urlset(client, "/sitemap-regions.xml")
    assert set(urlset(client, "/sitemap-tags.xml")) == {f"{BASE}/tag/rain/"}
    assert set(urlset(client, "/sitemap-authors.xml")) == {f"{BASE}/author/amina-khan/"}

    draft.status = Article.Status.PUBLISHED
    draft.published_at = timezone.now()
    draft.section = make_section(slug="empty-no-more")
    draft.save()
    assert f"{BASE}/section/empty-no-more/" in urlset(client, "/sitemap-sections.xml")
    assert f"{BASE}/tag/secret-topic/" in urlset(client, "/sitemap-tags.xml")
    assert f"{BASE}/author/draft-writer/" in urlset(client, "/sitemap-authors.xml")


@pytest.mark.parametrize(
    "url", ["/sitemap-nope.xml", "/sitemap-stories.xml?p=9", "/sitemap-tags.xml?p=x"]
)
def test_unknown_sitemap_or_page_is_404(client, url):
    make_article()
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # Expect 12 queries: for each of the six sitemaps, a count and the
        # newest change.
        ("/sitemap.xml", 12),
        # Expect 2 queries: the count and the page, pictures included.
        ("/sitemap-stories.xml", 2),
        ("/sitemap-news.xml", 2),
        ("/sitemap-tags.xml", 2),
        ("/sitemap-authors.xml", 2),
    ],
)
def test_sitemap_query_count_is_fixed(
    client, django_assert_max_num_queries, count, url, queries
):
    image = make_image(size=(64, 36))
    for n in range(count):
        make_article(lead_image=image, tags=[f"tag {n}"], authors=[make_author()])
    # Plus 1 on the first render after a story is saved: what is
    # scheduled (purge.upcoming_changes()).
    with django_assert_max_num_queries(queries + 1):
        response = client.get(url)
    root = ET.fromstring(response.content)
    if url == "/sitemap.xml":
        assert len(root.findall(f"{SM}sitemap")) == 6
    else:  # One address for each story, tag or author made.
        assert len(root.findall(f"{SM}url")) == count


def test_robots_txt_points_at_the_sitemaps_and_keeps_crawlers_out(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    for path in ["/admin/", "/search/", "/preview/"]:
        assert f"Disallow: {path}" in lines
    assert f"Sitemap: {BASE}/sitemap.xml" in lines
    assert f"Sitemap: {BASE}/sitemap-news.xml" in lines
    assert "Disallow: /" not in lines
