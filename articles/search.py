"""Full-text search: the stored search document and result highlighting.

On PostgreSQL each story keeps a weighted `search_vector` (headline A,
standfirst and tags B, body C, authors D), refreshed after every change that
touches its text, its tags or its byline. `ArticleQuerySet.search()` queries
it; on SQLite it searches the text columns directly and the vector stays
empty.

Each story is indexed with its own language's text search configuration:
English is stemmed ("elections" finds "election"), Urdu, which PostgreSQL
has no stemmer or stop words for, is indexed word for word ('simple'). A
search uses the configuration of the page's language.

Arabic-keyboard spellings are folded into Urdu letters, and optional marks
(harakat, superscript alef, tatweel) dropped, on both sides: `fold()` folds
the query, `folded()` the stored text in SQL, so "پاكستان" (Arabic kaf) finds
"پاکستان" and the other way round. On SQLite only the query is folded.
"""

import html
import re
from collections.abc import Iterable

from django.apps import apps as installed_apps
from django.apps.registry import Apps
from django.db import connections, transaction
from django.db.models import Case, Func, OuterRef, Subquery, TextField, Value, When
from django.utils.safestring import mark_safe

SEARCH_CONFIG = "english"
# The text search configuration of each language other than English.
LANGUAGE_CONFIGS = {"ur": "simple"}
# Rank weights for D, C, B, A (authors, body, standfirst and tags, headline),
# as ts_rank wants them. A headline match outweighs several body matches.
RANK_WEIGHTS = [0.05, 0.2, 0.4, 1.0]
MAX_QUERY_LENGTH = 200
# How many of the newest matching stories a search ranks (see newest_matches).
SEARCH_CANDIDATES = 1000
# Markers ts_headline puts around matches; control characters never occur in
# story text, so they cannot be confused with it, and they are turned into
# <mark> only after everything else has been escaped.
MARK_START = "\x02"
MARK_END = "\x03"
SNIPPET_WORDS = 40

# Letters an Arabic keyboard types (ي ك ه ة ى) and the Urdu letters stories
# are written with (ی ک ہ ۃ ی), then the optional marks folding drops:
# harakat, superscript alef and tatweel. English text has none of them.
ARABIC_LETTERS = "\u064a\u0643\u0647\u0629\u0649"
URDU_LETTERS = "\u06cc\u06a9\u06c1\u06c3\u06cc"
OPTIONAL_MARKS = "".join(map(chr, range(0x064B, 0x0660))) + "\u0670\u0640"
_FOLD = str.maketrans(ARABIC_LETTERS, URDU_LETTERS, OPTIONAL_MARKS)

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """`text` with Arabic-keyboard letters in their Urdu form and optional
    marks dropped, as search compares it."""
    return text.translate(_FOLD)


def folded(expression) -> Func:
    """`expression` folded in SQL as fold() folds a query: PostgreSQL's
    translate() deletes the characters of its second argument that have none
    in the third."""
    return Func(
        expression,
        Value(ARABIC_LETTERS + OPTIONAL_MARKS),
        Value(URDU_LETTERS),
        function="translate",
        output_field=TextField(),
    )


def search_config(language: str) -> str:
    """The text search configuration stories in `language` are indexed and
    searched with."""
    return LANGUAGE_CONFIGS.get(language, SEARCH_CONFIG)


def story_config() -> Case:
    """Each story's own configuration, as an expression on its language."""
    return Case(
        *(
            When(language=language, then=Value(config))
            for language, config in LANGUAGE_CONFIGS.items()
        ),
        default=Value(SEARCH_CONFIG),
    )


def search_document(apps: Apps = installed_apps):
    """The weighted tsvector of a story, as an expression for UPDATE.
    `apps` lets a migration pass its historical models."""
    from django.contrib.postgres.aggregates import StringAgg
    from django.contrib.postgres.search import SearchVector

    TaggedItem = apps.get_model("taggit", "TaggedItem")
    Byline = apps.get_model("articles", "Byline")
    tag_names = (
        TaggedItem.objects.filter(
            content_type__app_label="articles",
            content_type__model="article",
            object_id=OuterRef("pk"),
        )
        .values("object_id")
        .annotate(names=StringAgg("tag__name", " "))
        .values("names")
    )
    author_names = (
        Byline.objects.filter(article=OuterRef("pk"))
        .values("article")
        .annotate(names=StringAgg("author__name", " "))
        .values("names")
    )
    # Migrations older than 0013_language pass a story without a language.
    story = apps.get_model("articles", "Article")
    fields = {field.name for field in story._meta.fields}
    config = story_config() if "language" in fields else SEARCH_CONFIG
    tags = Subquery(tag_names)
    authors = Subquery(author_names)
    return (
        SearchVector(folded("headline"), weight="A", config=config)
        + SearchVector(folded("standfirst"), folded(tags), weight="B", config=config)
        # PostgreSQL's parser skips HTML tags and entities by itself.
        + SearchVector(folded("body"), weight="C", config=config)
        + SearchVector(folded(authors), weight="D", config=config)
    )


def update_search_vectors(
    pks: Iterable[int] | None = None,
    using: str = "default",
    apps: Apps = installed_apps,
) -> int:
    """Recompute the search vector of the given stories (all when None) in one
    UPDATE and return how many were updated. Does nothing on databases other
    than PostgreSQL."""
    if connections[using].vendor != "postgresql":
        return 0
    stories = apps.get_model("articles", "Article")._base_manager.using(using)
    if pks is not None:
        stories = stories.filter(pk__in=list(pks))
    return stories.update(search_vector=search_document(apps))


def refresh_after_commit(pks: Iterable[int], using: str = "default") -> None:
    """Refresh the stories' search vectors once the current transaction
    commits, so tags and bylines saved after the story are included."""
    if connections[using].vendor != "postgresql":
        return
    pks = set(pks)
    if pks:
        transaction.on_commit(lambda: update_search_vectors(pks, using), using=using)


def clean_text(text: str) -> str:
    """Plain text from story HTML: tags dropped, entities decoded, spaces
    collapsed. Match markers survive."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", text))).strip()


def parse_query(query: str) -> tuple[list[str], list[str]]:
    """Terms to find and terms to leave out, as the SQLite fallback reads a
    web-search query: "quoted phrases" stay whole, a leading minus excludes,
    OR is ignored. At most 12 terms."""
    include, exclude = [], []
    for minus, phrase, word in re.findall(r'(-?)(?:"([^"]*)"?|(\S+))', query):
        if phrase:
            terms = [" ".join(re.findall(r"\w+", phrase))]
        else:
            terms = [term for term in re.findall(r"\w+", word) if term != "OR"]
        (exclude if minus else include).extend(term for term in terms if term)
    return include[:12], exclude[:12]


def mark_words(text: str, words: list[str]) -> str:
    """Put match markers around occurrences of `words` (case-insensitive)."""
    if not words:
        return text
    pattern = re.compile(
        "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)),
        re.IGNORECASE,
    )
    return pattern.sub(lambda match: f"{MARK_START}{match[0]}{MARK_END}", text)


def around_first_match(text: str, length: int = SNIPPET_WORDS) -> str:
    """About `length` words of `text`, starting a little before the first
    match marker, with an ellipsis where text was cut."""
    words = text.split(" ")
    if len(words) <= length:
        return text
    first = next((n for n, word in enumerate(words) if MARK_START in word), 0)
    start = max(0, min(first - 8, len(words) - length))
    excerpt = " ".join(words[start : start + length])
    if start > 0:
        excerpt = "… " + excerpt
    if start + length < len(words):
        excerpt += " …"
    return excerpt


def marked_html(text: str) -> str:
    """Escape `text` and turn match markers into <mark> elements. Unbalanced
    markers are closed, so the result is always well-formed."""
    out = []
    open_mark = False
    for part in re.split(f"([{MARK_START}{MARK_END}])", text):
        if part == MARK_START and not open_mark:
            out.append("<mark>")
            open_mark = True
        elif part == MARK_END and open_mark:
            out.append("</mark>")
            open_mark = False
        elif part not in (MARK_START, MARK_END):
            out.append(html.escape(part, quote=False))
    if open_mark:
        out.append("</mark>")
    return "".join(out)


def highlight(stories: Iterable, query: str) -> list:
    """Give each result of `search()` or `search_similar()` `headline_html`
    and `snippet_html`: escaped HTML with the query's matches in <mark>.

    On PostgreSQL the matches come from ts_headline (stemmed: "elections"
    marks "election"), in the folded text; otherwise the query's words are
    marked as typed, folded.
    """
    words, _ = parse_query(fold(query))
    results = list(stories)
    for story in results:
        headline = story.search_headline
        snippet = clean_text(story.search_snippet)
        if MARK_START not in headline + snippet:
            headline = mark_words(headline, words)
            snippet = mark_words(snippet, words)
        snippet = around_first_match(snippet)
        # marked_html() escapes everything but its own <mark> elements.
        story.headline_html = mark_safe(marked_html(headline))
        story.snippet_html = mark_safe(marked_html(snippet))
    return results
