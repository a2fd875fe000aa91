"""RSS 2.0 and Atom feeds, parsed as a feed reader would."""

import xml.etree.ElementTree as ET
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from articles.models import Article, Image

from .factories import make_article, make_author, make_image, make_region, make_section

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"
DC = "{http://purl.org/dc/elements/1.1/}"
BASE = "http://testserver"


def rss_items(client, url: str) -> list[ET.Element]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    return root.findall("./channel/item")


def atom_entries(client, url: str) -> list[ET.Element]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root.findall(f"{ATOM}entry")


def rss_titles(client, url: str) -> list[str]:
    return [item.findtext("title") for item in rss_items(client, url)]


def atom_titles(client, url: str) -> list[str]:
    return [entry.findtext(f"{ATOM}title") for entry in atom_entries(client, url)]


def test_site_rss_item_carries_every_field_with_absolute_urls(client):
    section = make_section(name="Business", slug="business")
    author = make_author(name="Amina Khan", slug="amina-khan")
    story = make_article(
        headline="Rupee steadies & exporters <cheer>",
        standfirst="The currency held firm for a third day.",
        section=section,
        authors=[author, make_author(name="Jim Borg")],
        tags=["Economy", "Currency"],
        lead_image=make_image(size=(1600, 900), alt_text="Traders at a desk"),
    )
    response = client.get("/feed/")
    channel = ET.fromstring(response.content).find("channel")
    assert channel.findtext("title") == "Pakistan Christian TV"
    assert channel.findtext("link") == f"{BASE}/"
    assert channel.findtext("language") == "en"
    self_link = channel.find(f"{ATOM}link")
    assert self_link.get("href") == f"{BASE}/feed/"
    assert self_link.get("rel") == "self"

    (item,) = channel.findall("item")
    assert item.findtext("title") == "Rupee steadies & exporters <cheer>"
    assert item.findtext("link") == f"{BASE}{story.get_absolute_url()}"
    guid = item.find("guid")
    assert guid.text == f"{BASE}/news/{story.pk}/"
    assert guid.get("isPermaLink") == "true"
    assert item.findtext("description") == "The currency held firm for a third day."
    published = parsedate_to_datetime(item.findtext("pubDate"))
    assert published == story.published_at.replace(microsecond=0)
    assert item.findtext(f"{DC}creator") == "Amina Khan, Jim Borg"
    assert [c.text for c in item.findall("category")] == [
        "Business",
        "Currency",
        "Economy",
    ]

    enclosure = item.find("enclosure")
    rendition = story.lead_image.renditions[-2]  # 1280 px of 1600
    assert rendition["width"] == 1280
    assert enclosure.get("url") == f"{BASE}/media/{rendition['jpeg']}"
    assert enclosure.get("type") == "image/jpeg"
    media = item.find(f"{MEDIA}content")
    assert media.get("url") == enclosure.get("url")
    assert (media.get("width"), media.get("height")) == ("1280", "720")
    assert media.findtext(f"{MEDIA}description") == "Traders at a desk"


def test_enclosure_length_is_the_real_file_size(client, settings):
    image = make_image(size=(1400, 800))
    make_article(lead_image=image)
    enclosure = rss_items(client, "/feed/")[0].find("enclosure")
    name = image.renditions[-2]["jpeg"]
    size = (Path(settings.MEDIA_ROOT) / name).stat().st_size
    assert enclosure.get("length") == str(size) != "0"
    media = rss_items(client, "/feed/")[0].find(f"{MEDIA}content")
    assert media.get("fileSize") == str(size)


def test_renditions_recorded_without_sizes_still_give_an_enclosure(client):
    image = make_image(size=(700, 400))
    renditions = [
        {key: value for key, value in r.items() if not key.endswith("_size")}
        for r in image.renditions
    ]
    Image.objects.filter(pk=image.pk).update(renditions=renditions)
    make_article(lead_image=image)
    item = rss_items(client, "/feed/")[0]
    # RSS says an unknown length is given as 0.
    assert item.find("enclosure").get("length") == "0"
    assert item.find(f"{MEDIA}content").get("fileSize") is None


def test_story_without_picture_or_byline(client):
    make_article(headline="Wire copy")
    item = rss_items(client, "/feed/")[0]
    assert item.find("enclosure") is None
    assert item.find(f"{MEDIA}content") is None
    assert item.findtext(f"{DC}creator") == "Pakistan Christian TV"


def test_site_atom_entry_carries_every_field(client):
    author = make_author(name="Amina Khan", slug="amina-khan")
    published = timezone.now() - timedelta(hours=5)
    story = make_article(
        headline="Atom story",
        authors=[author],
        tags=["Floods"],
        published_at=published,
        updated_at=published + timedelta(hours=2),
        lead_image=make_image(size=(640, 360)),
    )
    root = ET.fromstring(client.get("/feed/atom/").content)
    assert root.findtext(f"{ATOM}title") == "Pakistan Christian TV"
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "Pakistan Christian TV"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"alternate": f"{BASE}/", "self": f"{BASE}/feed/atom/"}

    (entry,) = root.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}id") == f"{BASE}/news/{story.pk}/"
    links = {link.get("rel"): link for link in entry.findall(f"{ATOM}link")}
    assert links["alternate"].get("href") == f"{BASE}{story.get_absolute_url()}"
    assert links["enclosure"].get("href").startswith(f"{BASE}/media/renditions/")
    assert links["enclosure"].get("type") == "image/jpeg"
    assert parse_datetime(entry.findtext(f"{ATOM}published")) == published
    assert parse_datetime(entry.findtext(f"{ATOM}updated")) == published + timedelta(
        hours=2
    )
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Amina Khan"
    assert entry.findtext(f"{ATOM}author/{ATOM}uri") == f"{BASE}/author/amina-khan/"
    assert entry.findtext(f"{ATOM}summary") == story.standfirst
    terms = [c.get("term") for c in entry.findall(f"{ATOM}category")]
    assert terms == [story.section.name, "Floods"]


FEEDS = [
    ("/feed/", "/feed/atom/"),
    ("/section/business/feed/", "/section/business/feed/atom/"),
    ("/region/asia/feed/", "/region/asia/feed/atom/"),
    ("/tag/harvest/feed/", "/tag/harvest/feed/atom/"),
    ("/author/amina-khan/feed/", "/author/amina-khan/feed/atom/"),
]


@pytest.mark.parametrize(("rss", "atom"), FEEDS)
def test_unpublished_stories_stay_out_of_feeds_until_published(client, rss, atom):
    business = make_section(name="Business", slug="business")
    asia = make_region(name="Asia", slug="asia")
    author = make_author(name="Amina Khan", slug="amina-khan")
    where = {"section": business, "regions": [asia], "tags": ["Harvest"]}
    make_article(headline="Visible harvest", authors=[author], **where)
    hidden = {
        "Draft harvest": {"status": Article.Status.DRAFT},
        "Harvest in review": {"status": Article.Status.REVIEW},
        "Withdrawn harvest": {"status": Article.Status.WITHDRAWN},
        "Scheduled harvest": {"published_at": timezone.now() + timedelta(hours=1)},
    }
    stories = {
        headline: make_article(
            headline=headline, authors=[author], **where, **overrides
        )
        for headline, overrides in hidden.items()
    }
    assert rss_titles(client, rss) == ["Visible harvest"]
    assert atom_titles(client, atom) == ["Visible harvest"]

    draft = stories["Draft harvest"]
    draft.status = Article.Status.PUBLISHED
    draft.published_at = timezone.now()
    draft.save()
    assert rss_titles(client, rss) == ["Draft harvest", "Visible harvest"]
    assert atom_titles(client, atom) == ["Draft harvest", "Visible harvest"]


def test_each_feed_lists_only_its_own_stories(client):
    business = make_section(name="Business", slug="business")
    asia = make_region(name="Asia", slug="asia")
    author = make_author(name="Amina Khan", slug="amina-khan")
    make_article(headline="In business", section=business)
    make_article(headline="In Asia", regions=[asia])
    make_article(headline="Tagged", tags=["Harvest"])
    make_article(headline="By Amina", authors=[author])
    assert rss_titles(client, "/section/business/feed/") == ["In business"]
    assert rss_titles(client, "/region/asia/feed/") == ["In Asia"]
    assert rss_titles(client, "/tag/harvest/feed/") == ["Tagged"]
    assert rss_titles(client, "/author/amina-khan/feed/") == ["By Amina"]
    assert len(rss_titles(client, "/feed/")) == 4
    channel = ET.fromstring(client.get("/section/business/feed/").content)[0]
    assert channel.findtext("title") == "Business – Pakistan Christian TV"
    assert channel.findtext("link") == f"{BASE}/section/business/"


@pytest.mark.parametrize(
    "url",
    [
        "/section/nope/feed/",
        "/region/nope/feed/atom/",
        "/tag/nope/feed/",
        "/author/nope/feed/atom/",
    ],
)
def test_feed_of_unknown_thing_is_404(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url", ["/feed/rss/", "/feed/json/", "/section/business/feed/atom/rss/"]
)
def test_feeds_come_in_rss_and_atom_only(client, url):
    make_section(name="Business", slug="business")
    assert client.get(url).status_code == 404


def test_feeds_hold_the_newest_thirty_stories(client):
    section = make_section(slug="world")
    for n in range(35):
        make_article(
            headline=f"Story {n}",
            section=section,
            published_at=timezone.now() - timedelta(minutes=n + 1),
        )
    titles = rss_titles(client, "/section/world/feed/")
    assert titles == [f"Story {n}" for n in range(30)]


def test_feeds_may_be_cached_publicly(client, settings):
    max_age = settings.PUBLIC_PAGE_MAX_AGE
    response = client.get("/feed/")
    assert response["Cache-Control"] == f"public, max-age={max_age}"
    assert "stories" in response["Surrogate-Key"].split()


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize(
    ("url", "queries"),
    [("/feed/", 3), ("/feed/atom/", 3), ("/section/world/feed/", 4)],
)
def test_feed_query_count_is_fixed(
    client, django_assert_max_num_queries, count, url, queries
):
    section = make_section(slug="world")
    image = make_image(size=(64, 36))
    for n in range(count):
        make_article(
            section=section,
            lead_image=image,
            tags=[f"tag {n}", "shared"],
            authors=[make_author(), make_author()],
        )
    # Expect 3 queries: the stories (with section, source and picture), their
    # bylines and their tags; plus 1 for the section of a section feed.
    # Plus 1 on the first render after a story is saved: what is
    # scheduled (purge.upcoming_changes()).
    with django_assert_max_num_queries(queries + 1):
        response = client.get(url)
    root = ET.fromstring(response.content)
    assert len(root.findall("./channel/item") or root.findall(f"{ATOM}entry")) == count


@pytest.mark.parametrize(
    ("page", "feed"),
    [
        ("/", "/feed/"),
        ("/section/business/", "/section/business/feed/"),
        ("/region/asia/", "/region/asia/feed/"),
        ("/tag/harvest/", "/tag/harvest/feed/"),
        ("/author/amina-khan/", "/author/amina-khan/feed/"),
    ],
)
def test_pages_announce_their_feeds(client, page, feed):
    make_article(
        section=make_section(name="Business", slug="business"),
        regions=[make_region(name="Asia", slug="asia")],
        tags=["Harvest"],
        authors=[make_author(name="Amina Khan", slug="amina-khan")],
    )
    body = client.get(page).content.decode()
    assert '<link rel="alternate" type="application/rss+xml" title="' in body
    assert f'href="{feed}">' in body
    assert f'href="{feed}atom/">' in body
    assert 'type="application/atom+xml"' in body
    # The announced addresses are feeds holding the story.
    assert len(rss_items(client, feed)) == 1
    assert len(atom_entries(client, f"{feed}atom/")) == 1
