"""Precise purge: each change re-renders exactly the pages that show it.

Every test checks both sides through what a reader or a proxy sees: the
pages the change alters are rendered afresh (X-Page-Cache: miss) and show
it, and a page it does not alter is still served from the cache (hit).
"""

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.utils import timezone
from taggit.models import Tag

from articles.models import Article, ArticleNote, Byline

from .factories import (
    make_article,
    make_author,
    make_image,
    make_region,
    make_section,
    make_source,
)

pytestmark = pytest.mark.django_db

FRONT = "/"


def cached(client, *urls) -> None:
    """Request each page once, so it is in the page cache."""
    for url in urls:
        assert client.get(url)["X-Page-Cache"] in ("miss", "hit"), url


def states(client, *urls) -> list[str]:
    return [client.get(url)["X-Page-Cache"] for url in urls]


def keys(response) -> set[str]:
    return set(response["Surrogate-Key"].split())


@pytest.fixture
def newsroom():
    """Two sections with a story each, and a third story elsewhere."""
    world, sport = make_section(slug="world"), make_section(slug="sport")
    story = make_article(headline="Floods in Sindh", section=world)
    other = make_article(headline="Cricket final", section=sport)
    return story, other, world, sport


def test_pages_name_what_they_show_in_their_keys(client, newsroom):
    story, other, world, _ = newsroom
    front = keys(client.get(FRONT))
    assert {"front", "nav", "site", f"s{story.pk}", f"s{other.pk}"} <= front
    page = keys(client.get(story.get_absolute_url()))
    assert {f"s{story.pk}", "nav", "site"} <= page
    assert f"s{other.pk}" not in page
    section = keys(client.get(world.get_absolute_url()))
    assert {f"sec{world.pk}", f"s{story.pk}"} <= section
    assert f"s{other.pk}" not in section
    assert keys(client.get("/sitemap-stories.xml")) == {"site", "sitemap"}
    assert {"stories", f"s{story.pk}"} <= keys(client.get("/feed/"))


def test_a_typo_fix_re_renders_the_story_and_the_pages_showing_its_card(
    client, newsroom
):
    story, other, world, sport = newsroom
    unaffected = [other.get_absolute_url(), sport.get_absolute_url()]
    affected = [story.get_absolute_url(), world.get_absolute_url(), FRONT]
    cached(client, *affected, *unaffected)

    story.headline = "Floods in Sindh: thousands moved"
    story.save()
    assert states(client, *unaffected) == ["hit", "hit"]
    for url in affected:
        response = client.get(url)
        assert response["X-Page-Cache"] == "miss", url
        assert "thousands moved" in response.content.decode(), url


def test_a_new_publication_enters_its_lists_and_leaves_other_pages_cached(
    client, newsroom
):
    story, other, world, sport = newsroom
    tag = "monsoon"
    cached(client, FRONT, world.get_absolute_url(), sport.get_absolute_url())
    cached(client, story.get_absolute_url(), other.get_absolute_url())

    fresh = make_article(headline="Dam breaks", section=world, tags=[tag])
    assert states(client, sport.get_absolute_url(), other.get_absolute_url()) == [
        "hit",
        "hit",
    ]
    for url in (FRONT, world.get_absolute_url(), "/feed/", f"/tag/{tag}/"):
        assert "Dam breaks" in client.get(url).content.decode(), url
    page = client.get(fresh.get_absolute_url()).text
    assert '<h1 class="story__headline">Dam breaks</h1>' in page


def test_a_story_moved_to_another_section_leaves_the_old_one(client, newsroom):
    story, other, world, sport = newsroom
    cached(client, world.get_absolute_url(), sport.get_absolute_url())
    story.section = sport
    story.save()
    assert (
        "Floods in Sindh" not in client.get(world.get_absolute_url()).content.decode()
    )
    assert "Floods in Sindh" in client.get(sport.get_absolute_url()).content.decode()


def test_a_withdrawn_story_leaves_every_page_that_showed_it(client, newsroom):
    story, other, world, _ = newsroom
    linking = make_article(headline="Aid arrives")
    linking.see_also_links.create(target=story, position=1)
    pages = [FRONT, world.get_absolute_url(), linking.get_absolute_url(), "/feed/"]
    cached(client, other.get_absolute_url(), *pages)
    assert "Floods in Sindh" in client.get(linking.get_absolute_url()).content.decode()

    story.status = Article.Status.WITHDRAWN
    story.save()
    assert client.get(story.get_absolute_url()).status_code == 410
    for url in pages:
        assert "Floods in Sindh" not in client.get(url).content.decode(), url
    assert states(client, other.get_absolute_url()) == ["hit"]


def test_a_link_to_a_story_shows_once_that_story_is_published(client):
    draft = make_article(headline="Court ruling", status=Article.Status.DRAFT)
    story = make_article(headline="Reactions")
    story.read_more_links.create(target=draft, after_paragraph=1)
    unrelated = make_article()
    cached(client, story.get_absolute_url(), unrelated.get_absolute_url())
    assert "Court ruling" not in client.get(story.get_absolute_url()).content.decode()

    draft.status = Article.Status.PUBLISHED
    draft.published_at = timezone.now()
    draft.save()
    assert "Court ruling" in client.get(story.get_absolute_url()).content.decode()
    assert states(client, unrelated.get_absolute_url()) == ["hit"]


def test_a_scheduled_story_shortens_only_the_lifetimes_of_pages_it_enters(
    client, newsroom, settings
):
    settings.VARNISH_URLS = ["http://127.0.0.1:9"]  # Edge lifetimes of hours.
    story, other, world, sport = newsroom
    due = timezone.now() + timedelta(minutes=10)
    scheduled = make_article(headline="Verdict due", section=world, published_at=due)

    for url in (FRONT, world.get_absolute_url()):
        response = client.get(url)
        assert 590 <= int(response["Surrogate-Control"].split("=")[1]) <= 600, url
        assert "Verdict due" not in response.content.decode()
    # Its own address is not found until then, and kept briefly.
    not_yet = client.get(scheduled.get_absolute_url())
    assert not_yet.status_code == 404
    assert not_yet["Surrogate-Control"] == "max-age=60"
    assert f"s{scheduled.pk}" in keys(not_yet)
    unaffected = client.get(sport.get_absolute_url())
    assert unaffected["Surrogate-Control"] == "max-age=14400"
    assert client.get(story.get_absolute_url())["Surrogate-Control"] == "max-age=14400"

    # No cron, no worker: at its time the pages it enters are rendered again.
    with time_machine.travel(due + timedelta(seconds=1)):
        for url in (FRONT, world.get_absolute_url()):
            response = client.get(url)
            assert response["X-Page-Cache"] == "miss", url
            assert "Verdict due" in response.content.decode(), url
        page = client.get(scheduled.get_absolute_url()).text
        assert '<h1 class="story__headline">Verdict due</h1>' in page
        assert states(client, sport.get_absolute_url()) == ["hit"]


def test_a_breaking_flag_and_its_expiry_change_the_front_page_only(client, newsroom):
    story, other, world, _ = newsroom
    cached(client, FRONT, world.get_absolute_url(), other.get_absolute_url())
    until = timezone.now() + timedelta(minutes=30)
    story.is_breaking = True
    story.breaking_until = until
    story.save()
    front = client.get(FRONT)
    assert 'class="breaking' in front.content.decode()
    assert int(front["Cache-Control"].split("=")[1]) <= 60
    assert states(client, other.get_absolute_url()) == ["hit"]

    with time_machine.travel(until + timedelta(seconds=1)):
        later = client.get(FRONT)
        assert later["X-Page-Cache"] == "miss"
        assert 'class="breaking' not in later.content.decode()
        assert states(client, other.get_absolute_url()) == ["hit"]


def test_a_renamed_section_or_region_changes_every_page(client, newsroom):
    story, other, world, _ = newsroom
    region = make_region(name="Punjab")
    pages = [FRONT, story.get_absolute_url(), other.get_absolute_url()]
    cached(client, *pages)
    world.name = "World news"
    world.save()
    assert states(client, *pages) == ["miss"] * 3
    assert ">World news</a>" in client.get(other.get_absolute_url()).content.decode()
    region.name = "Punjab province"
    region.save()
    assert states(client, *pages) == ["miss"] * 3


def test_a_region_added_to_a_story_puts_it_on_the_region_page(client, newsroom):
    story, other, _, _ = newsroom
    punjab, sindh = make_region(slug="punjab"), make_region(slug="sindh")
    cached(client, punjab.get_absolute_url(), sindh.get_absolute_url(), FRONT)
    story.regions.add(punjab)
    assert "Floods in Sindh" in client.get(punjab.get_absolute_url()).content.decode()
    assert states(client, sindh.get_absolute_url()) == ["hit"]
    # The front page's strip of regions shows stories by region.
    assert states(client, FRONT) == ["miss"]
    story.regions.clear()
    assert "Floods in Sindh" not in client.get("/region/punjab/").content.decode()


def test_a_renamed_tag_changes_its_page_and_its_stories_only(client):
    tagged = make_article(tags=["floods"])
    untagged = make_article()
    tag = Tag.objects.get(name="floods")
    pages = [f"/tag/{tag.slug}/", tagged.get_absolute_url()]
    cached(client, *pages, untagged.get_absolute_url())
    tag.name = "Monsoon floods"
    tag.save()
    for url in pages:
        assert "Monsoon floods" in client.get(url).content.decode(), url
    assert states(client, untagged.get_absolute_url()) == ["hit"]


def test_a_renamed_author_changes_their_page_and_bylines_only(client):
    author = make_author(name="Ayesha Khan", slug="ayesha-khan")
    written = make_article(authors=[author])
    other = make_article(authors=[make_author()])
    cached(client, author.get_absolute_url(), written.get_absolute_url())
    cached(client, other.get_absolute_url())
    author.name = "Ayesha Khan Masih"
    author.save()
    for url in (author.get_absolute_url(), written.get_absolute_url()):
        assert "Ayesha Khan Masih" in client.get(url).content.decode(), url
    assert states(client, other.get_absolute_url()) == ["hit"]
    # A byline added to a story puts it on the author's page.
    Byline.objects.create(article=other, author=author, position=1)
    assert other.headline in client.get(author.get_absolute_url()).content.decode()


def test_an_edited_picture_changes_the_stories_showing_it_only(client):
    image = make_image(alt_text="Boats on the river")
    story = make_article(lead_image=image)
    other = make_article(lead_image=make_image())
    cached(client, story.get_absolute_url(), other.get_absolute_url())
    image.alt_text = "Rescue boats on the river"
    image.save()
    page = client.get(story.get_absolute_url()).content.decode()
    assert "Rescue boats on the river" in page
    assert states(client, other.get_absolute_url()) == ["hit"]


def test_a_source_or_a_correction_changes_its_stories_only(client):
    source = make_source(name="APP")
    story = make_article(source=source)
    other = make_article()
    cached(client, story.get_absolute_url(), other.get_absolute_url())
    source.name = "Associated Press of Pakistan"
    source.save()
    page = client.get(story.get_absolute_url()).content.decode()
    assert "Associated Press of Pakistan" in page
    ArticleNote.objects.create(
        article=story, kind=ArticleNote.Kind.CORRECTION, text="The toll was 12."
    )
    assert "The toll was 12." in client.get(story.get_absolute_url()).content.decode()
    assert states(client, other.get_absolute_url()) == ["hit"]


def test_a_draft_edit_purges_nothing(client, newsroom):
    story, other, _, _ = newsroom
    draft = make_article(status=Article.Status.DRAFT)
    cached(client, FRONT, story.get_absolute_url())
    draft.headline = "Still a draft"
    draft.save()
    assert states(client, FRONT, story.get_absolute_url()) == ["hit", "hit"]


def test_cloudflare_reads_the_keys_from_cache_tag(client, settings, newsroom):
    story = newsroom[0]
    response = client.get(story.get_absolute_url())
    assert "Cache-Tag" not in response
    settings.CLOUDFLARE_ZONE_ID = "0" * 32
    settings.CLOUDFLARE_API_TOKEN = "token"
    response = client.get(story.get_absolute_url())
    assert set(response["Cache-Tag"].split(",")) == keys(response)
    assert response["CDN-Cache-Control"] == "max-age=14400"


class PurgeServer(ThreadingHTTPServer):
    """Stands in for Varnish: records each PURGE's keys, or refuses them."""

    def __init__(self) -> None:
        self.purged: list[set[str]] = []
        self.refusing = False
        self.received = threading.Event()
        super().__init__(("127.0.0.1", 0), PurgeHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class PurgeHandler(BaseHTTPRequestHandler):
    def do_PURGE(self) -> None:
        server = self.server
        status = 503 if server.refusing else 200
        if not server.refusing:
            server.purged.append(set(self.headers["xkey-purge"].split()))
            server.received.set()
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def varnish(settings):
    server = PurgeServer()
    settings.VARNISH_URLS = [server.url]
    settings.PURGE_POLL_SECONDS = 0
    yield server
    server.shutdown()
    server.server_close()


def settle(varnish, quiet: float = 0.5) -> None:
    """Wait until every purge of what was done so far has arrived (a
    creation can be several commits, each purging), then forget them."""
    assert varnish.received.wait(5)
    varnish.received.clear()
    while varnish.received.wait(quiet):
        varnish.received.clear()
    varnish.purged.clear()


@pytest.mark.django_db(transaction=True)
def test_a_save_purges_the_edge_after_its_commit(client, varnish):
    story = make_article(headline="Sent to the edge")
    settle(varnish)
    story.headline = "Corrected at the edge"
    story.save()
    assert varnish.received.wait(5)
    assert {f"s{story.pk}"} <= set().union(*varnish.purged)
    assert "front" not in set().union(*varnish.purged)


@pytest.mark.django_db(transaction=True)
def test_a_purge_the_edge_refused_is_retried_until_taken(
    client, varnish, caplog, settings
):
    varnish.refusing = True
    story = make_article(headline="Edge down")
    # The save did not wait for the edge, nor fail because of it.
    assert Article.objects.get(pk=story.pk).headline == "Edge down"
    story.headline = "Edge down, then back"
    story.save()
    time.sleep(1)
    assert "will retry" in caplog.text
    varnish.refusing = False
    deadline = time.monotonic() + 15
    while not varnish.received.is_set() and time.monotonic() < deadline:
        client.get("/robots.txt")  # Any reader's request lets a worker retry.
        time.sleep(0.2)
    assert {f"s{story.pk}"} <= set().union(*varnish.purged)


@pytest.mark.django_db(transaction=True)
def test_a_purge_refused_for_too_long_purges_the_whole_site_instead(
    client, varnish, settings, caplog
):
    settings.PURGE_GIVE_UP_SECONDS = 1
    varnish.refusing = True
    make_article(headline="Edge down for long")
    time.sleep(2)
    varnish.refusing = False
    deadline = time.monotonic() + 15
    while not varnish.received.is_set() and time.monotonic() < deadline:
        client.get("/robots.txt")
        time.sleep(0.2)
    assert varnish.purged == [{"site"}]
    assert "Purging the whole site" in caplog.text


def test_the_short_address_follows_the_story(client, settings):
    settings.VARNISH_URLS = ["http://127.0.0.1:9"]
    story = make_article()
    short = f"/news/{story.pk}/"
    response = client.get(short)
    assert response.status_code == 301
    assert f"s{story.pk}" in keys(response)
    assert response["Surrogate-Control"] == "max-age=60"
    story.status = Article.Status.WITHDRAWN
    story.save()
    assert client.get(short).status_code == 410
