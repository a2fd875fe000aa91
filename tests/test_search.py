"""/search/: ranking, filters, highlighting, hostile input and visibility, on
SQLite (the fallback) and on PostgreSQL (weighted vectors, websearch syntax,
trigram typo tolerance).

On PostgreSQL a story's search vector is refreshed after its transaction
commits; tests run inside one transaction, so they create stories inside
`django_capture_on_commit_callbacks(execute=True)`, which runs those
refreshes as a commit would.
"""

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from articles import search as text_search
from articles.models import Article

from .factories import make_article, make_author, make_image, make_region, make_section

pytestmark = pytest.mark.django_db

SEARCH = "/search/"
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL search features"
)
sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite fallback search"
)


@pytest.fixture
def indexed(django_capture_on_commit_callbacks):
    """A context manager: rows made inside it are searchable when it ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def headlines(response) -> list[str]:
    return [story.headline for story in response.context["page"].object_list]


def test_headline_match_ranks_above_body_match_even_when_older(client, indexed):
    with indexed():
        make_article(
            headline="Markets open quietly",
            body="<p>Traders talk about the zanzibar spice trade.</p>",
            published_at=timezone.now() - timedelta(minutes=5),
        )
        make_article(
            headline="Zanzibar spice auction sets record",
            published_at=timezone.now() - timedelta(days=20),
        )
        make_article(headline="Unrelated story about rain")
    response = client.get(SEARCH, {"q": "zanzibar"})
    assert response.status_code == 200
    assert headlines(response) == [
        "Zanzibar spice auction sets record",
        "Markets open quietly",
    ]
    assert "2 stories for “zanzibar”" in response.content.decode()


def test_newer_story_first_among_equal_matches(client, indexed):
    with indexed():
        for days in (9, 1, 4):
            make_article(
                headline=f"Quetta rail link, day {days}",
                published_at=timezone.now() - timedelta(days=days),
            )
    response = client.get(SEARCH, {"q": "quetta"})
    assert headlines(response) == [
        "Quetta rail link, day 1",
        "Quetta rail link, day 4",
        "Quetta rail link, day 9",
    ]


def test_standfirst_tags_and_authors_are_searched(client, indexed):
    with indexed():
        make_article(headline="By standfirst", standfirst="The marigold harvest.")
        make_article(headline="By tag", tags=["Saffron"])
        make_article(
            headline="By author",
            authors=[make_author(name="Farzana Qureshi", slug="farzana-qureshi")],
        )
    assert headlines(client.get(SEARCH, {"q": "marigold"})) == ["By standfirst"]
    assert headlines(client.get(SEARCH, {"q": "saffron"})) == ["By tag"]
    assert headlines(client.get(SEARCH, {"q": "Qureshi"})) == ["By author"]


def test_every_word_must_match_and_minus_excludes(client, indexed):
    with indexed():
        make_article(headline="Cricket board meets in Lahore")
        make_article(headline="Hockey board meets in Lahore")
        make_article(headline="Cricket fans in Karachi")
    assert headlines(client.get(SEARCH, {"q": "board cricket"})) == [
        "Cricket board meets in Lahore"
    ]
    assert headlines(client.get(SEARCH, {"q": "board -cricket"})) == [
        "Hockey board meets in Lahore"
    ]
    assert headlines(client.get(SEARCH, {"q": '"fans in Karachi"'})) == [
        "Cricket fans in Karachi"
    ]


def test_unpublished_stories_never_match_until_published(client, indexed):
    with indexed():
        draft = make_article(headline="Quokka draft", status=Article.Status.DRAFT)
        make_article(headline="Quokka in review", status=Article.Status.REVIEW)
        make_article(headline="Quokka withdrawn", status=Article.Status.WITHDRAWN)
        make_article(
            headline="Quokka scheduled",
            published_at=timezone.now() + timedelta(hours=2),
        )
    response = client.get(SEARCH, {"q": "quokka"})
    assert headlines(response) == []
    assert "No stories matched “quokka”." in response.content.decode()

    with indexed():
        draft.status = Article.Status.PUBLISHED
        draft.save()
    assert headlines(client.get(SEARCH, {"q": "quokka"})) == ["Quokka draft"]


def test_edited_story_is_found_by_its_new_words(client, indexed):
    with indexed():
        story = make_article(headline="Original wording")
    assert headlines(client.get(SEARCH, {"q": "pelican"})) == []
    with indexed():
        story.body = "<p>A pelican landed on the stage.</p>"
        story.save()
        story.tags.add("Birdlife")
    assert headlines(client.get(SEARCH, {"q": "pelican"})) == ["Original wording"]
    assert headlines(client.get(SEARCH, {"q": "birdlife"})) == ["Original wording"]


def test_section_region_and_date_filters(client, indexed):
    business = make_section(name="Business", slug="business")
    sports = make_section(name="Sports", slug="sports")
    asia = make_region(name="Asia", slug="asia")
    now = timezone.localtime()
    with indexed():
        make_article(
            headline="Monsoon business today",
            section=business,
            regions=[asia],
            published_at=now - timedelta(minutes=1),
        )
        make_article(
            headline="Monsoon sports today",
            section=sports,
            published_at=now - timedelta(minutes=2),
        )
        make_article(
            headline="Monsoon business last month",
            section=business,
            published_at=now - timedelta(days=30),
        )

    def found(**filters) -> list[str]:
        response = client.get(SEARCH, {"q": "monsoon", **filters})
        assert response.status_code == 200
        return sorted(headlines(response))

    assert found(section="business") == [
        "Monsoon business last month",
        "Monsoon business today",
    ]
    assert found(region="asia") == ["Monsoon business today"]
    week_ago = (now - timedelta(days=7)).date().isoformat()
    assert found(since=week_ago) == ["Monsoon business today", "Monsoon sports today"]
    assert found(until=week_ago) == ["Monsoon business last month"]
    assert found(section="business", since=week_ago) == ["Monsoon business today"]
    today = now.date().isoformat()
    assert len(found(since=today, until=today)) == 2


def test_date_range_uses_local_days(client, indexed, settings):
    settings.TIME_ZONE = "Asia/Karachi"
    # 23:30 on 1 March in Karachi is 18:30 UTC, still 1 March in both; 00:30
    # on 2 March in Karachi is 19:30 UTC on 1 March.
    karachi = timezone.get_default_timezone()
    with indexed():
        make_article(
            headline="Lantern late on the first",
            published_at=datetime(2025, 3, 1, 23, 30, tzinfo=karachi),
        )
        make_article(
            headline="Lantern early on the second",
            published_at=datetime(2025, 3, 2, 0, 30, tzinfo=karachi),
        )
    response = client.get(
        SEARCH, {"q": "lantern", "since": "2025-03-02", "until": "2025-03-02"}
    )
    assert headlines(response) == ["Lantern early on the second"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "x" * 201}, "at most 200 characters"),
        # A NUL character gets the site's plain 400 before any view:
        # tests/test_hostile_input.py.
        ({"q": "rain", "section": "no-such-section"}, "Select a valid choice."),
        ({"q": "rain", "since": "2025-13-45"}, "Enter a valid date."),
        ({"q": "rain", "since": "9999-12-31"}, "between 1900 and 2100"),
        ({"q": "rain", "until": "0001-01-01"}, "between 1900 and 2100"),
        (
            {"q": "rain", "since": "2025-05-02", "until": "2025-05-01"},
            "must come before",
        ),
    ],
)
def test_bad_input_gets_a_friendly_400(client, params, message):
    make_article(headline="Rain in Lahore")
    response = client.get(SEARCH, params)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert '<form class="search-form"' in body
    assert "Rain in Lahore" not in body


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE articles_article; --",
        '<script>alert("x")</script>',
        "%_%",
        '"""',
        "- - -",
        "OR OR OR",
        "a & b | !c <-> d",
        "((((",
        "\\",
        "😀 ☃",
        "x" * 200,
        "word " * 40,
        ":*",
    ],
)
def test_hostile_queries_get_an_ordinary_page(client, indexed, query):
    with indexed():
        make_article(headline="Harmless story about rain")
    response = client.get(SEARCH, {"q": query})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert" not in body
    assert Article.objects.count() == 1
    assert headlines(response) == []


def test_empty_query_invites_a_search(client):
    for params in ({}, {"q": ""}, {"q": "   "}, {"page": "2"}):
        response = client.get(SEARCH, params)
        assert response.status_code == 200
        assert "Type a word or two" in response.content.decode()
        assert response.context["page"] is None


def test_matches_are_highlighted_and_escaped(client, indexed):
    with indexed():
        make_article(
            headline="Tom & Jerry <b>cartoon</b> festival",
            standfirst="Organisers expect crowds.",
            body="<p>The <em>cartoon</em> festival opens &amp; closes with music "
            "by a <strong>brass</strong> band.</p>",
        )
    response = client.get(SEARCH, {"q": "cartoon"})
    body = response.content.decode()
    assert "Tom &amp; Jerry &lt;b&gt;<mark>cartoon</mark>&lt;/b&gt; festival" in body
    # The snippet is plain text: the story's tags are gone, entities decoded
    # and escaped again, the match marked.
    assert "The <mark>cartoon</mark> festival opens &amp; closes" in body
    assert "<em>" not in body and "<strong>" not in body


def test_snippet_shows_the_text_around_a_match_deep_in_the_body(client, indexed):
    filler = " ".join(f"word{n}" for n in range(200))
    with indexed():
        make_article(
            headline="Long report",
            body=f"<p>{filler}</p><p>Here the albatross appears at last.</p>",
        )
    response = client.get(SEARCH, {"q": "albatross"})
    snippet = response.context["page"].object_list[0].snippet_html
    assert "<mark>albatross</mark>" in snippet
    assert "word0 " not in snippet
    assert len(snippet) < 600


def test_results_page_is_kept_out_of_search_engines(client, indexed):
    with indexed():
        make_article(headline="Indexable story")
    response = client.get(SEARCH, {"q": "indexable"})
    assert response["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in response.content.decode()
    assert client.get(SEARCH)["X-Robots-Tag"] == "noindex"


def test_results_paginate_with_query_kept_and_page_in_title(client, indexed):
    section = make_section(slug="world")
    with indexed():
        for n in range(25):
            make_article(
                headline=f"Glacier report {n}",
                section=section,
                published_at=timezone.now() - timedelta(minutes=n + 1),
            )
    first = client.get(SEARCH, {"q": "glacier", "section": "world"})
    assert len(headlines(first)) == 20
    assert 'href="?q=glacier&amp;section=world&amp;page=2"' in first.content.decode()
    second = client.get(SEARCH, {"q": "glacier", "section": "world", "page": "2"})
    body = second.content.decode()
    assert len(headlines(second)) == 5
    assert "<title>“glacier”: search results – Page 2 – Pakistan Christian TV" in body
    # A bad page number shows the first page; one past the end, the last.
    for bad, shown in [("abc", 20), ("-1", 5), ("99999", 5)]:
        response = client.get(SEARCH, {"q": "glacier", "page": bad})
        assert len(headlines(response)) == shown, bad


def test_only_the_newest_matches_are_ranked(client, indexed, monkeypatch):
    monkeypatch.setattr(text_search, "SEARCH_CANDIDATES", 3)
    with indexed():
        for n in range(5):
            make_article(
                headline=f"Heron sighting {n}",
                published_at=timezone.now() - timedelta(days=n),
            )
    response = client.get(SEARCH, {"q": "heron"})
    assert headlines(response) == [
        "Heron sighting 0",
        "Heron sighting 1",
        "Heron sighting 2",
    ]
    assert "these are the newest 3" in response.content.decode()


def test_search_box_is_in_the_header_of_every_page(client):
    story = make_article(section=make_section(slug="world"))
    for url in ["/", "/section/world/", story.get_absolute_url(), "/nope/", SEARCH]:
        body = client.get(url).content.decode()
        assert '<form class="site-search" action="/search/" method="get"' in body, url
        assert 'name="q"' in body


@pytest.mark.parametrize("count", [3, 30])
def test_search_page_query_count_is_fixed(
    client, indexed, django_assert_max_num_queries, count
):
    section = make_section(slug="world")
    image = make_image(size=(64, 36))
    with indexed():
        for _ in range(count):
            make_article(
                headline="Pomegranate market",
                section=section,
                lead_image=image,
                regions=[make_region()],
                tags=["Fruit"],
                authors=[make_author()],
            )
    # Expect 7 queries: the section filter, the count, the page of results,
    # the form's section and region choices, and the navigation's sections
    # and regions.
    # Plus 1 on the first render after a story is saved: what is
    # scheduled (purge.upcoming_changes()).
    with django_assert_max_num_queries(7 + 1):
        response = client.get(SEARCH, {"q": "pomegranate", "section": "world"})
    assert len(headlines(response)) == min(count, 20)


@postgresql_only
def test_postgresql_stems_words_and_marks_stemmed_matches(client, indexed):
    with indexed():
        make_article(headline="Elections delayed in the province")
    response = client.get(SEARCH, {"q": "election"})
    assert headlines(response) == ["Elections delayed in the province"]
    assert "<mark>Elections</mark> delayed" in response.content.decode()


@postgresql_only
def test_postgresql_or_finds_either_word(client, indexed):
    with indexed():
        make_article(headline="Walnut prices")
        make_article(headline="Almond prices")
        make_article(headline="Cashew prices")
    assert sorted(headlines(client.get(SEARCH, {"q": "walnut or almond"}))) == [
        "Almond prices",
        "Walnut prices",
    ]


@postgresql_only
def test_postgresql_typo_finds_similar_headlines(client, indexed):
    with indexed():
        make_article(headline="Government announces new parliament session")
        make_article(headline="Weather is fine")
    response = client.get(SEARCH, {"q": "goverment"})
    assert response.status_code == 200
    assert headlines(response) == ["Government announces new parliament session"]
    assert "These headlines have similar words" in response.content.decode()


@postgresql_only
def test_postgresql_author_rename_updates_their_stories(client, indexed):
    author = make_author(name="Imran Gill", slug="imran-gill")
    with indexed():
        make_article(headline="Column", authors=[author])
    assert headlines(client.get(SEARCH, {"q": "Gill"})) == ["Column"]
    with indexed():
        author.name = "Imran Sandhu"
        author.save()
    assert headlines(client.get(SEARCH, {"q": "Gill"})) == []
    assert headlines(client.get(SEARCH, {"q": "Sandhu"})) == ["Column"]


@postgresql_only
def test_postgresql_search_uses_the_stored_vector(indexed):
    with indexed():
        story = make_article(headline="Stored vector story", tags=["Falcon"])
    vector = Article.objects.values_list("search_vector", flat=True).get(pk=story.pk)
    assert "'falcon':" in vector and "'vector':" in vector
    # Without a vector (say, after a raw bulk import) a story is not found
    # until the index is rebuilt.
    Article.objects.filter(pk=story.pk).update(search_vector=None)
    assert not Article.objects.published().search("falcon").exists()
    output = StringIO()
    call_command("update_search_index", stdout=output)
    assert "Updated the search vectors of 1 stories." in output.getvalue()
    assert Article.objects.published().search("falcon").get() == story


@sqlite_only
def test_sqlite_fallback_matches_words_as_typed():
    make_article(headline="Elections delayed")
    # No stemming and no typo tolerance without PostgreSQL.
    assert Article.objects.published().search("elections").count() == 1
    assert Article.objects.published().search("delay").count() == 1
    assert Article.objects.published().search("election delays").count() == 0
    assert Article.objects.published().search_similar("Electoins").count() == 0
    assert Article.objects.published().search("-delayed").count() == 0


@sqlite_only
def test_sqlite_has_no_search_index_to_rebuild():
    output = StringIO()
    call_command("update_search_index", stdout=output)
    assert "search vectors are PostgreSQL only" in output.getvalue()
