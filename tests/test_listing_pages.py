"""Section, region, tag, author and video pages: paginated, newest first."""

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.utils import timezone

from articles import views
from articles.models import Article

from .factories import make_article, make_author, make_image, make_region, make_section

pytestmark = pytest.mark.django_db


def test_section_page_lists_its_published_stories_newest_first(client):
    business = make_section(name="Business", slug="business")
    older = make_article(
        headline="Older business story",
        section=business,
        published_at=timezone.now() - timedelta(days=2),
    )
    newer = make_article(headline="Newer business story", section=business)
    make_article(headline="Sports story elsewhere")
    make_article(
        headline="Business draft", section=business, status=Article.Status.DRAFT
    )

    response = client.get("/section/business/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Business</h1>" in body
    assert list(response.context["page"]) == [newer, older]
    assert "Sports story elsewhere" not in body
    assert "Business draft" not in body
    assert 'aria-current="page">Business</a>' in body


def test_region_page_lists_stories_tagged_with_the_region(client):
    europe = make_region(name="Europe", slug="europe")
    inside = make_article(headline="Story in Europe", regions=[europe])
    make_article(headline="Story in Africa", regions=[make_region()])
    response = client.get("/region/europe/")
    assert list(response.context["page"]) == [inside]
    assert "<title>News from Europe" in response.content.decode()


def test_tag_page_lists_tagged_stories(client):
    tagged = make_article(tags=["Cricket"])
    make_article(tags=["Football"])
    response = client.get("/tag/cricket/")
    assert list(response.context["page"]) == [tagged]
    assert "<h1>Cricket</h1>" in response.content.decode()


def test_author_page_shows_bio_and_their_stories(client):
    author = make_author(name="Jim Borg", slug="jim-borg", bio="Covers diplomacy.")
    theirs = make_article(authors=[author])
    make_article(authors=[make_author()])
    response = client.get("/author/jim-borg/")
    assert list(response.context["page"]) == [theirs]
    assert "Covers diplomacy." in response.content.decode()


def test_video_page_lists_only_video_stories(client):
    video = make_article(kind=Article.Kind.VIDEO, video_url="https://vimeo.com/123456")
    make_article(kind=Article.Kind.STORY)
    response = client.get("/video/")
    assert list(response.context["page"]) == [video]


@pytest.mark.parametrize(
    "url", ["/section/nope/", "/region/nope/", "/tag/nope/", "/author/nope/"]
)
def test_unknown_listing_is_404(client, url):
    assert client.get(url).status_code == 404


def test_pagination_and_bad_page_numbers(client):
    section = make_section(slug="world")
    for n in range(25):
        make_article(
            section=section, published_at=timezone.now() - timedelta(minutes=n + 1)
        )
    first = client.get("/section/world/")
    assert len(first.context["page"]) == 20
    assert 'href="?page=2"' in first.content.decode()
    second = client.get("/section/world/?page=2")
    assert len(second.context["page"]) == 5
    assert 'href="?page=1"' in second.content.decode()
    # A page number that is no number shows the first page; one out of
    # range, the last.
    for bad, shown in [("abc", 20), ("-1", 5), ("99999", 5), ("1e9", 20)]:
        response = client.get(f"/section/world/?page={bad}")
        assert response.status_code == 200
        assert len(response.context["page"]) == shown, bad
    # A NUL character is refused before any view (newsroom/security.py).
    assert client.get("/section/world/?page=%00").status_code == 400


@pytest.mark.parametrize("count", [3, 30])
def test_section_page_query_count_is_fixed(
    client, django_assert_max_num_queries, settings, count
):
    section = make_section(slug="world")
    image = make_image()
    for _ in range(count):
        make_article(section=section, lead_image=image, regions=[make_region()])
    # Expect 6 queries: the section, the count, the page of stories, their
    # cards, and the navigation's sections and regions.
    # Plus 1 on the first render after a story is saved: what is
    # scheduled (purge.upcoming_changes()).
    with django_assert_max_num_queries(6 + 1):
        response = client.get("/section/world/")
    assert response.status_code == 200
    # Rendered again (the page cache off): the cards and navigation are kept.
    settings.PAGE_CACHE_SECONDS = 0
    with django_assert_max_num_queries(3):
        assert client.get("/section/world/").content == response.content


@pytest.mark.parametrize("url", ["/region/r/", "/tag/t/", "/author/a/", "/video/"])
def test_other_listing_query_counts_are_fixed(
    client, django_assert_max_num_queries, settings, url
):
    region = make_region(slug="r")
    author = make_author(slug="a")
    for _ in range(25):
        make_article(
            regions=[region],
            tags=["t"],
            authors=[author],
            lead_image=make_image(size=(64, 36)),
            kind=Article.Kind.VIDEO,
            video_url="https://vimeo.com/1",
        )
    # The region, tag or author, the count, the page, its cards and the
    # navigation's sections and regions.
    # Plus 1 on the first render after a story is saved: what is
    # scheduled (purge.upcoming_changes()).
    with django_assert_max_num_queries(6 + 1):
        response = client.get(url)
    assert len(response.context["page"]) == 20
    settings.PAGE_CACHE_SECONDS = 0
    with django_assert_max_num_queries(3):
        assert client.get(url).content == response.content


def test_listings_stop_at_the_page_limit(client, monkeypatch):
    monkeypatch.setattr(views, "MAX_PAGES", 2)
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    section = make_section(slug="deep")
    for n in range(7):
        make_article(section=section, published_at=timezone.now() - timedelta(hours=n))
    last = client.get("/section/deep/?page=99")
    assert last.context["page"].number == 2
    assert len(last.context["page"]) == 3
    assert 'rel="next"' not in last.content.decode()


def test_a_section_page_shows_a_changed_picture_at_once(client, settings):
    settings.PAGE_CACHE_SECONDS = 0
    section = make_section(slug="world")
    image = make_image()
    image.alt_text = "Flooded street"
    image.save()
    make_article(section=section, lead_image=image)
    assert 'alt="Flooded street"' in client.get("/section/world/").content.decode()
    image.alt_text = "Rescue boats on a flooded street"
    image.save()
    page = client.get("/section/world/").content.decode()
    assert 'alt="Rescue boats on a flooded street"' in page


@pytest.mark.parametrize("name", ["پاکستان", "!!!", "Lahore ریلی"])
def test_every_tag_an_editor_can_type_has_a_working_page(client, name):
    story = make_article(headline="Tagged story", tags=[name])
    page = client.get(story.get_absolute_url())
    assert page.status_code == 200
    tag_url = re.search(r'href="(/tag/[^"]+/)">', page.content.decode())[1]
    listing = client.get(tag_url)
    assert listing.status_code == 200
    assert "Tagged story" in listing.content.decode()
    assert "<title>Tagged story</title>" in client.get(f"{tag_url}feed/").text
    sitemap = client.get("/sitemap-tags.xml")
    assert sitemap.status_code == 200
    assert unquote(tag_url) in unquote(sitemap.content.decode())
