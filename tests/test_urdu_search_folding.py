"""Urdu search folds Arabic-keyboard spellings: ي ك ه ة ى find ی ک ہ ۃ ی, and
harakat, superscript alef and tatweel do not matter, in the query on every
database and in the stored text on PostgreSQL. A word with a different
letter is still a different word.

Arabic-keyboard letters are written as escapes below (they look like the
Urdu ones).
"""

import pytest
from django.db import connection

from articles.models import Article
from articles.search import fold

from .factories import make_article

pytestmark = pytest.mark.django_db

SEARCH = "/ur/search/"
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL search features"
)

# (as written in Urdu letters, as typed on an Arabic keyboard or with marks)
SPELLINGS = [
    ("ریل", "ر\u064aل"),  # Arabic yeh
    ("ملک", "مل\u0643"),  # Arabic kaf
    ("شہر", "ش\u0647ر"),  # Arabic heh
    ("صلوۃ", "صلو\u0629"),  # teh marbuta
    ("موسی", "موس\u0649"),  # alef maksura
    ("پاکستان", "پاک\u0650ستان"),  # zer
    ("محمد", "محم\u0651د"),  # tashdeed
    ("رحمن", "رحم\u0670ن"),  # superscript alef
    ("پاکستان", "پاک\u0640ستان"),  # tatweel
]


@pytest.fixture
def indexed(django_capture_on_commit_callbacks):
    """A context manager: rows made inside it are searchable when it ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def urdu_search(query: str) -> list[str]:
    return [s.headline for s in Article.objects.published().search(query, "ur")]


def headlines(response) -> list[str]:
    return [story.headline for story in response.context["page"].object_list]


def test_fold_gives_urdu_letters_without_marks_and_leaves_english_alone():
    assert fold("پا\u0643\u0650ستان \u0643\u064aا ہ\u0640وا") == "پاکستان کیا ہوا"
    assert fold("\u0647\u0629\u0649") == "ہۃی"
    assert fold("Elections in Lahore, café") == "Elections in Lahore, café"


@pytest.mark.parametrize(("written", "typed"), SPELLINGS)
def test_arabic_keyboard_spelling_finds_the_story_in_urdu_letters(
    written, typed, indexed
):
    assert written != typed
    with indexed():
        make_article(language="ur", headline=f"{written} کی خبر")
        make_article(language="ur", headline="دوسری خبر")
    assert urdu_search(typed) == [f"{written} کی خبر"]
    assert urdu_search(written) == [f"{written} کی خبر"]


@postgresql_only
@pytest.mark.parametrize(("written", "typed"), SPELLINGS)
def test_postgresql_urdu_spelling_finds_the_story_in_arabic_letters(
    written, typed, indexed
):
    with indexed():
        make_article(language="ur", headline=f"{typed} کی خبر")
        make_article(language="ur", headline="دوسری خبر")
    assert urdu_search(written) == [f"{typed} کی خبر"]
    assert urdu_search(typed) == [f"{typed} کی خبر"]


def test_a_word_with_another_letter_is_not_found(indexed):
    with indexed():
        make_article(language="ur", headline="شہر میں بارش")
        make_article(language="ur", headline="پاکستان کی ٹیم")
    # شہد (honey) is not شہر (city), whichever heh is typed.
    assert urdu_search("ش\u0647د") == []
    assert urdu_search("ش\u0647ر") == ["شہر میں بارش"]
    # ط is not ت.
    assert urdu_search("پا\u0643سطان") == []
    assert urdu_search("پا\u0643ستان") == ["پاکستان کی ٹیم"]


def test_the_search_page_finds_and_marks_the_arabic_keyboard_spelling(client, indexed):
    with indexed():
        make_article(
            language="ur",
            headline="پاکستان میں بارش",
            standfirst="کئی شہروں میں موسم بدل گیا۔",
            body="<p>محکمہ موسمیات کے مطابق پاکستان کے شمال میں برف باری ہوگی۔</p>",
        )
        make_article(language="ur", headline="شہر میں بارش")
    response = client.get(SEARCH, {"q": "پا\u0643ستان"})
    assert response.status_code == 200
    assert headlines(response) == ["پاکستان میں بارش"]
    (story,) = response.context["page"].object_list
    assert story.headline_html == "<mark>پاکستان</mark> میں بارش"
    assert "کے مطابق <mark>پاکستان</mark> کے شمال" in story.snippet_html
    assert "<mark>پاکستان</mark> میں بارش" in response.content.decode()
    # A word that differs in a real letter finds nothing, not even as a
    # similar headline.
    response = client.get(SEARCH, {"q": "ش\u0647د"})
    assert headlines(response) == []
    assert response.context["similar"] is False
    # All languages, from the English page, folds the same way.
    response = client.get("/search/", {"q": "پا\u0643ستان", "lang": "all"})
    assert headlines(response) == ["پاکستان میں بارش"]
    assert "<mark>پاکستان</mark> میں بارش" in response.content.decode()


@postgresql_only
def test_postgresql_story_with_arabic_letters_and_marks_is_found_and_marked(
    client, indexed
):
    with indexed():
        story = make_article(
            language="ur",
            headline="پا\u0643\u0650ستان \u0643ی ٹیم",
            body="<p>\u0643ھلاڑیوں نے پا\u0643ستان \u0643ا نام روشن کیا۔</p>",
        )
    vector = Article.objects.values_list("search_vector", flat=True).get(pk=story.pk)
    assert "'پاکستان'" in vector and "\u0643" not in vector
    response = client.get(SEARCH, {"q": "پاکستان"})
    assert headlines(response) == [story.headline]
    (result,) = response.context["page"].object_list
    # Results show the text folded, as it was compared: Urdu letters and no
    # marks, with the match marked.
    assert result.headline_html == "<mark>پاکستان</mark> کی ٹیم"
    assert "<mark>پاکستان</mark> کا نام" in result.snippet_html


@postgresql_only
def test_postgresql_typo_with_arabic_letters_finds_similar_headlines(indexed):
    with indexed():
        make_article(language="ur", headline="لاہور میں سیلاب سے ہزاروں خاندان متاثر")
    # Arabic yeh and a typo (پ for ب): only the typo is left after folding.
    similar = Article.objects.published().search_similar("س\u064aلاپ", "ur")
    assert [s.headline for s in similar] == ["لاہور میں سیلاب سے ہزاروں خاندان متاثر"]
