"""The optional read replica: readers' pages read from it; writes,
migrations and everything an editor does stay on the primary."""

import pytest
from django.db import DatabaseError, connections, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import Article
from bench.local_stack import free_port
from newsroom import routers
from newsroom.routers import ReplicaRouter, primary_for_editors

from .factories import make_article, make_author, make_region, make_section
from .test_settings import PRODUCTION, manage
from .test_workflow import edit_form, publish_fields

BOTH = ["default", "replica"]


@pytest.fixture(scope="module", autouse=True)
def replica_alias():
    """A "replica" connection to the primary's server, as DATABASE_REPLICA_URL
    gives; TEST MIRROR makes it read the primary's test database."""
    primary = connections.settings["default"]
    replica = primary | {"TEST": primary["TEST"] | {"MIRROR": "default"}}
    if primary["ENGINE"] == "django.db.backends.postgresql":
        # Refuses writes, as a streaming replica does.
        read_only = {"options": "-c default_transaction_read_only=on"}
        replica["OPTIONS"] = primary["OPTIONS"] | read_only
    connections.settings["replica"] = replica
    yield
    connections["replica"].close()
    del connections["replica"]
    del connections.settings["replica"]


@pytest.fixture
def routed(settings):
    """Routing switched on as newsroom/settings.py does for a replica."""
    settings.DATABASE_ROUTERS = ["newsroom.routers.ReplicaRouter"]
    settings.MIDDLEWARE = ["newsroom.routers.primary_for_editors", *settings.MIDDLEWARE]


def reads_for(request) -> str:
    """Where the router sends a read made while serving `request`."""
    seen = []
    primary_for_editors(lambda r: seen.append(ReplicaRouter().db_for_read(Article)))(
        request
    )
    return seen[0]


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_router_sends_reads_to_the_replica_and_the_rest_to_the_primary():
    router = ReplicaRouter()
    assert router.db_for_read(Article) == "replica"
    assert router.db_for_write(Article) == "default"
    assert router.allow_migrate("default", "articles") is True
    from_replica, from_primary = Article(), Article()
    from_replica._state.db, from_primary._state.db = "replica", "default"
    assert router.allow_relation(from_replica, from_primary) is True
    assert router.allow_migrate("replica", "articles") is False


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_reads_inside_a_transaction_stay_on_the_primary():
    router = ReplicaRouter()
    with transaction.atomic():
        assert router.db_for_read(Article) == "default"
    assert router.db_for_read(Article) == "replica"


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_editors_and_posts_read_the_primary():
    factory = RequestFactory()
    assert reads_for(factory.get("/")) == "replica"
    assert reads_for(factory.post("/search/")) == "default"
    signed_in = factory.get("/")
    signed_in.COOKIES["sessionid"] = "abc"
    assert reads_for(signed_in) == "default"
    # The pin ends with the request.
    assert ReplicaRouter().db_for_read(Article) == "replica"


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_published_story_is_read_through_the_replica(client, routed):
    story = make_article(headline="Replica reads the Lahore choir story")
    with CaptureQueriesContext(connections["replica"]) as replica:
        response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    assert "Replica reads the Lahore choir story" in response.content.decode()
    assert any("articles_article" in q["sql"] for q in replica.captured_queries)


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_editor_never_reads_the_replica(editor_client, routed):
    story = make_article(headline="First headline")
    change = reverse("admin:articles_article_change", args=[story.pk])
    stale = edit_form(story) | publish_fields(story.published_at)
    with CaptureQueriesContext(connections["replica"]) as replica:
        form = editor_client.get(change).content.decode()
        assert 'value="First headline"' in form
        saved = editor_client.post(change, stale | {"headline": "Second headline"})
        assert saved.status_code == 302
        # The same form again: the edit-conflict check sees the first save.
        again = editor_client.post(change, stale | {"headline": "Third headline"})
        assert "your changes were not saved" in again.content.decode()
        page = editor_client.get(story.get_absolute_url()).content.decode()
    assert "Second headline" in page
    assert replica.captured_queries == []


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_every_kind_of_reader_page_works_on_a_read_only_replica(client, routed):
    if connections["replica"].vendor != "postgresql":
        pytest.skip("a replica is a PostgreSQL server (runs in the PostgreSQL pass)")
    with pytest.raises(DatabaseError, match="read-only transaction"):
        Article.objects.using("replica").update(headline="Written on the replica")
    author, region = make_author(slug="amna-khan"), make_region(slug="asia-pacific")
    story = make_article(
        headline="Readers walk the replica", authors=[author], regions=[region],
        tags=["choir"],
    )  # fmt: skip
    # Each page, and what a reader finds on it.
    headline, address = story.headline, story.get_absolute_url()
    pages = {
        "/": headline, story.section.get_absolute_url(): headline,
        region.get_absolute_url(): headline, "/tag/choir/": headline,
        author.get_absolute_url(): headline, address: headline,
        f"/news/{story.pk}/": address, "/search/?q=replica": "“replica”",
        "/feed/": headline, "/tag/choir/feed/": headline,
        "/sitemap.xml": "/sitemap-stories.xml", "/sitemap-news.xml": headline,
        "/sitemap-stories.xml": address, "/robots.txt": "Sitemap:",
        "/video/": "<h1",
    }  # fmt: skip
    with CaptureQueriesContext(connections["replica"]) as replica:
        for page, shown in pages.items():
            response = client.get(page, follow=True)
            assert shown in response.text, page
    assert len(replica.captured_queries) >= len(pages)
    # Counting a view is a POST: it reads and writes the primary.
    beacon = client.post(reverse("articles:story-view-beacon"), {"story": story.pk})
    assert beacon.status_code == 204


@pytest.fixture
def replica_down():
    """The replica alias pointing at a server that is not there; yields a
    function that brings it back."""
    replica = connections["replica"]
    if replica.vendor != "postgresql":
        pytest.skip("a replica is a PostgreSQL server (runs in the PostgreSQL pass)")
    working = dict(replica.settings_dict)

    def back():
        replica.close()
        replica.settings_dict.update(working)

    replica.close()
    replica.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    yield back
    back()
    routers._replica_retry_at = 0.0


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_readers_pages_read_the_primary_while_the_replica_is_down(
    client, routed, replica_down, caplog
):
    section = make_section(name="Outage desk", slug="outage-desk")
    author = make_author(slug="outage-reporter")
    story = make_article(
        headline="Choir sings on through the outage", section=section, authors=[author]
    )
    with CaptureQueriesContext(connections["default"]) as primary:
        for page in (story.get_absolute_url(), section.get_absolute_url()):
            response = client.get(page)
            assert response.status_code == 200
            assert "Choir sings on through the outage" in response.content.decode()
    assert any("articles_article" in q["sql"] for q in primary.captured_queries)
    # Tried once, then left alone until REPLICA_RETRY_SECONDS have passed.
    warnings = [r for r in caplog.records if r.name == "newsroom.routers"]
    assert len(warnings) == 1
    assert "Read replica unreachable, reading the primary" in warnings[0].getMessage()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"database": "ok", "cache": "ok", "replica": "unreachable"}

    # The replica is back; once the retry time has come, reads go to it.
    replica_down()
    routers._replica_retry_at = 0.0
    with CaptureQueriesContext(connections["replica"]) as replica:
        response = client.get(author.get_absolute_url())
    assert "Choir sings on through the outage" in response.content.decode()
    assert replica.captured_queries
    assert client.get("/readyz").json()["replica"] == "ok"


def test_replica_url_switches_routing_on():
    shell = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['replica']['HOST'], s.DATABASE_ROUTERS, s.MIDDLEWARE[0])"
    )
    result = manage(
        "shell",
        "-c",
        shell,
        **PRODUCTION,
        DATABASE_REPLICA_URL="postgres://reader@replica.internal:5432/newsroom",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "replica.internal",
        "['newsroom.routers.ReplicaRouter']",
        "newsroom.routers.primary_for_editors",
    ]


def test_malformed_replica_url_stops_start_up():
    result = manage("check", **PRODUCTION, DATABASE_REPLICA_URL="replica:5432")
    assert result.returncode != 0
    assert result.stderr.startswith(
        "newsroom: configuration error: DATABASE_REPLICA_URL is not valid"
    )
    assert len(result.stderr.strip().splitlines()) == 1
