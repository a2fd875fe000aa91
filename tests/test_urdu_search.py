"""Search in Urdu and English: each story is found in its own language, Urdu
words are indexed as written ('simple' on PostgreSQL, no English stemmer),
typos are forgiven by trigrams on PostgreSQL, and the SQLite fallback finds
Urdu words. An English search leaves Urdu stories out unless ?lang=all.

The search page searches in its own language: /search/ English, /ur/search/
Urdu.
"""

import pytest
from django.db import connection

from articles.models import Article

from .factories import make_article

pytestmark = pytest.mark.django_db

SEARCH = "/search/"
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL search features"
)


@pytest.fixture
def indexed(django_capture_on_commit_callbacks):
    """A context manager: rows made inside it are searchable when it ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def stories(indexed):
    with indexed():
        flood = make_article(
            language="ur",
            headline="لاہور میں سیلاب سے ہزاروں خاندان متاثر",
            slug="lahore-mein-sailab",
            standfirst="دریائے راوی کا پانی کئی بستیوں میں داخل ہو گیا۔",
            body="<p>امدادی کارکنوں نے بتایا کہ Elections کے بعد پہلی بار "
            "اتنا بڑا سیلاب آیا ہے۔</p>",
        )
        cricket = make_article(
            language="ur",
            headline="قومی کرکٹ ٹیم کی شاندار فتح",
            slug="cricket-team-ki-fateh",
            body="<p>کھلاڑیوں نے میدان میں جشن منایا۔</p>",
        )
        english = make_article(
            headline="Floods in Lahore after the elections",
            slug="floods-in-lahore",
            body="<p>Thousands of families left their homes.</p>",
        )
    return {"flood": flood, "cricket": cricket, "english": english}


def urdu_search(query: str) -> list[str]:
    return [s.headline for s in Article.objects.published().search(query, "ur")]


def headlines(response) -> list[str]:
    return [story.headline for story in response.context["page"].object_list]


def test_urdu_search_finds_urdu_stories_only(stories):
    assert urdu_search("سیلاب") == ["لاہور میں سیلاب سے ہزاروں خاندان متاثر"]
    assert urdu_search("کرکٹ فتح") == ["قومی کرکٹ ٹیم کی شاندار فتح"]
    # An English word in an Urdu story is found from the Urdu page, and the
    # English story with that word is not.
    assert urdu_search("elections") == ["لاہور میں سیلاب سے ہزاروں خاندان متاثر"]
    assert urdu_search("ٹینس") == []


def test_urdu_words_in_standfirst_and_tags_are_found(stories, indexed):
    with indexed():
        make_article(
            language="ur",
            headline="گرجا گھر میں کرسمس کی تیاریاں",
            slug="christmas-ki-tayyariyan",
            tags=["کلیسیا"],
        )
    assert urdu_search("راوی") == ["لاہور میں سیلاب سے ہزاروں خاندان متاثر"]
    assert urdu_search("کلیسیا") == ["گرجا گھر میں کرسمس کی تیاریاں"]


def test_urdu_exclusion_and_phrase(stories):
    assert urdu_search("ہزاروں -سیلاب") == []
    assert urdu_search('"قومی کرکٹ"') == ["قومی کرکٹ ٹیم کی شاندار فتح"]
    assert urdu_search('"کرکٹ قومی"') == []


def test_english_search_leaves_urdu_stories_out(client, stories):
    response = client.get(SEARCH, {"q": "elections"})
    assert response.status_code == 200
    assert headlines(response) == ["Floods in Lahore after the elections"]
    assert "لاہور" not in response.content.decode()


def test_english_search_in_all_languages_finds_urdu_stories_too(client, stories):
    response = client.get(SEARCH, {"q": "elections", "lang": "all"})
    assert response.status_code == 200
    assert sorted(headlines(response)) == [
        "Floods in Lahore after the elections",
        "لاہور میں سیلاب سے ہزاروں خاندان متاثر",
    ]
    # The Urdu match is marked in the Urdu story's snippet.
    assert "<mark>Elections</mark>" in response.content.decode()
    response = client.get(SEARCH, {"q": "سیلاب", "lang": "all"})
    assert headlines(response) == ["لاہور میں سیلاب سے ہزاروں خاندان متاثر"]
    assert "<mark>سیلاب</mark>" in response.content.decode()


def test_unknown_language_choice_is_a_bad_request(client, stories):
    response = client.get(SEARCH, {"q": "elections", "lang": "fr"})
    assert response.status_code == 400


@postgresql_only
def test_postgresql_urdu_vector_is_not_stemmed(stories):
    flood = Article.objects.values_list("search_vector", flat=True).get(
        pk=stories["flood"].pk
    )
    english = Article.objects.values_list("search_vector", flat=True).get(
        pk=stories["english"].pk
    )
    # 'simple' keeps the word as written (lower-cased); English stems it.
    assert "'elections'" in flood
    assert "'elect'" in english
    assert "'سیلاب'" in flood
    # Stemming is English only: "election" finds the English story from an
    # English page, but not the Urdu story, which has "Elections" as written.
    english_search = Article.objects.published().search("election", "en")
    assert [s.headline for s in english_search] == [
        "Floods in Lahore after the elections"
    ]
    assert urdu_search("election") == []


@postgresql_only
def test_postgresql_urdu_typo_finds_similar_headlines(stories):
    similar = Article.objects.published().search_similar("سیلاپ", "ur")
    assert [s.headline for s in similar] == ["لاہور میں سیلاب سے ہزاروں خاندان متاثر"]
    english = Article.objects.published().search_similar("سیلاپ", "en")
    assert list(english) == []


@postgresql_only
def test_postgresql_urdu_highlight(stories):
    from articles.search import highlight

    (story,) = highlight(Article.objects.published().search("سیلاب", "ur"), "سیلاب")
    assert "<mark>سیلاب</mark>" in story.headline_html


def test_the_urdu_search_page_finds_urdu_stories(client, stories):
    response = client.get("/ur" + SEARCH, {"q": "سیلاب"})
    assert headlines(response) == ["لاہور میں سیلاب سے ہزاروں خاندان متاثر"]
    assert "<mark>سیلاب</mark>" in response.content.decode()
    # The English story with "Floods" is not among the Urdu results.
    assert headlines(client.get("/ur" + SEARCH, {"q": "floods"})) == []
    everything = client.get("/ur" + SEARCH, {"q": "floods", "lang": "all"})
    assert headlines(everything) == ["Floods in Lahore after the elections"]
