"""Query shapes for every page: the performance contract of the site."""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connections, models
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import get_language
from taggit.models import Tag, TaggedItem

from . import search as text_search

# The columns a story card shows (articles/includes/article_card.html,
# picture.html, search results): loading only these keeps listing queries
# and the model instances they make small.
CARD_FIELDS = (
    "headline",
    "slug",
    "language",
    "standfirst",
    "kind",
    "published_at",
    "front_page_rank",
    "section",
    "section__name",
    "section__name_ur",
    "section__slug",
    "lead_image",
    "lead_image__file",
    "lead_image__width",
    "lead_image__height",
    "lead_image__alt_text",
    "lead_image__focal_x",
    "lead_image__focal_y",
    "lead_image__renditions",
    "lead_image__crops",
)

# The parts of a story page most stories have none of, by the list on the
# story each is loaded into (load_parts()) and the relation it comes from:
# "read more" and "See also" links, gallery images, corrections and updates.
STORY_PARTS = {
    "read_more": "read_more_links",
    "see_also": "see_also_links",
    "gallery": "gallery_items",
    "story_notes": "notes",
}


def is_published(prefix: str = "") -> models.Q:
    """The one rule for what readers may see: published, with a publication
    time that has come, so a scheduled story appears by itself at its time
    (Article.is_live is this rule for a story in hand). `prefix` applies it
    to a related story, e.g. "target__"."""
    from .models import Article

    return models.Q(
        **{
            f"{prefix}status": Article.Status.PUBLISHED,
            f"{prefix}published_at__lte": timezone.now(),
        }
    )


def has_live_coverage() -> Exists:
    """Whether a story has live coverage that has not ended (live/): its
    cards say "Live"."""
    from live.models import LiveCoverage

    live = LiveCoverage.objects.filter(article=OuterRef("pk"), ended_at=None)
    return Exists(live)


class ArticleQuerySet(models.QuerySet):
    def published(self) -> "ArticleQuerySet":
        """Stories readers may see (see is_published())."""
        return self.filter(is_published())

    def in_page_language(self) -> "ArticleQuerySet":
        """Published stories in the language of the page being rendered
        (the active language: /ur/ pages are Urdu, the others English)."""
        return self.published().filter(language=get_language())

    def newest_first(self) -> "ArticleQuerySet":
        return self.order_by("-published_at", "-pk")

    def for_listing(self) -> "ArticleQuerySet":
        """What a story card needs (section, lead image) in the same query,
        and nothing more: no body, no editorial fields."""
        return (
            self.select_related("section", "lead_image")
            .only(*CARD_FIELDS)
            .annotate(has_live_coverage=has_live_coverage())
        )

    def for_cards(self) -> "ArticleQuerySet":
        """Stories whose cards are rendered once and kept (see cards.py):
        the few columns the pages choose them by and show as plain links,
        plus what a card's key is made of (its section's name and address
        come from the navigation, which every page has read already)."""
        return self.only(
            "headline",
            "slug",
            "language",
            "published_at",
            "front_page_rank",
            "modified_at",
            "section",
            "lead_image",
        ).annotate(
            image_modified_at=F("lead_image__modified_at"),
            has_live_coverage=has_live_coverage(),
        )

    def for_feed(self) -> "ArticleQuerySet":
        """A feed item: the story without its body, with section, lead image
        and source, plus ordered bylines and tags, in three queries whatever
        the number of stories (and one per live story for its updates)."""
        from .models import Byline

        return (
            self.select_related("section", "lead_image", "source")
            .defer("body", "search_vector")
            .prefetch_related(
                Prefetch(
                    "bylines",
                    queryset=Byline.objects.select_related("author").order_by(
                        "position", "pk"
                    ),
                ),
                "tags",
            )
            .annotate(has_live_coverage=has_live_coverage())
        )

    def for_detail(self) -> "ArticleQuerySet":
        """The story as its page shows it, with its section, source and lead
        image, in one query; load_parts() adds the rest."""
        return self.select_related(
            "section", "source", "lead_image", "live_coverage"
        ).defer("search_vector")

    def most_read(self, hours: int) -> "ArticleQuerySet":
        """Stories by their views in the last `hours`, most first, from the
        daily counts: the first day of the window counts in proportion to
        the part of it inside the window. Stories without views are left
        out; one query."""
        now = timezone.localtime()
        start = now - timedelta(hours=hours)
        first_day = start.date()
        day_start = start.replace(hour=0, minute=0, second=0, microsecond=0)
        inside = 1 - (start - day_start) / timedelta(days=1)
        views = models.Case(
            models.When(
                daily_views__day=first_day,
                then=F("daily_views__views") * Value(inside),
            ),
            default=F("daily_views__views"),
            output_field=models.FloatField(),
        )
        return (
            self.filter(daily_views__day__gte=first_day)
            .annotate(recent_views=models.Sum(views))
            .filter(recent_views__gt=0)
            .order_by("-recent_views", "-published_at", "-pk")
        )

    def search(
        self,
        query: str,
        language: str = settings.LANGUAGE_CODE,
        every_language: bool = False,
    ) -> "ArticleQuerySet":
        """Stories in `language` (the page's) matching a reader's query, or
        in every language when `every_language`, best first: headline matches
        above standfirst, tag, body and author matches, newer above older.
        Only the newest SEARCH_CANDIDATES matches are ranked and returned.

        PostgreSQL: the stored weighted vector, web-search syntax ("quoted
        phrases", -exclusions, OR) with stemming, and each row annotated with
        `search_headline` and `search_snippet` (text with match markers) for
        `articles.search.highlight()`. SQLite: every word or "phrase" must
        appear (and no -word) in the headline, standfirst, body, a tag or an
        author's name, case-insensitively but unstemmed.

        Both fold Arabic-keyboard letters and drop optional marks
        (`articles.search.fold()`): PostgreSQL in the query and the stored
        text, SQLite only in the query, since stories are normally written
        in Urdu letters already.
        """
        query = text_search.fold(query)
        if not every_language:
            self = self.filter(language=language)
        if connections[self.db].vendor == "postgresql":
            return self._search_postgresql(query, language, every_language)
        return self._search_fallback(query)

    def _search_postgresql(
        self, query: str, language: str, every_language: bool
    ) -> "ArticleQuerySet":
        from django.contrib.postgres.search import (
            SearchHeadline,
            SearchQuery,
            SearchRank,
        )

        # Each story's words were indexed with its language's configuration;
        # the query must be read with the same one.
        if every_language:
            config = text_search.story_config()
        else:
            config = text_search.search_config(language)
        ts_query = SearchQuery(query, search_type="websearch", config=config)
        # Age in days; a story loses at most half its rank as it gets older,
        # so a headline match stays above a fresher body match.
        age = models.Func(
            F("published_at"),
            template="EXTRACT(EPOCH FROM (NOW() - %(expressions)s)) / 86400.0",
            output_field=models.FloatField(),
        )
        freshness = Value(0.5) + Value(0.5) / (Value(1.0) + age / Value(30.0))
        rank = SearchRank(
            F("search_vector"), ts_query, weights=text_search.RANK_WEIGHTS
        )
        body_text = models.Func(
            F("body"),
            Value("<[^>]*>"),
            Value(" "),
            Value("g"),
            function="regexp_replace",
            output_field=models.TextField(),
        )
        marks = {
            "config": config,
            "start_sel": text_search.MARK_START,
            "stop_sel": text_search.MARK_END,
        }
        return (
            self.filter(pk__in=newest_matches(self.filter(search_vector=ts_query)))
            .annotate(
                search_rank=rank * freshness,
                # The text is folded as its vector was, so a match is marked
                # whichever letters the story uses.
                search_headline=SearchHeadline(
                    text_search.folded("headline"),
                    ts_query,
                    highlight_all=True,
                    **marks,
                ),
                search_snippet=SearchHeadline(
                    text_search.folded(
                        Concat(
                            "standfirst",
                            Value(" "),
                            body_text,
                            output_field=models.TextField(),
                        )
                    ),
                    ts_query,
                    max_words=text_search.SNIPPET_WORDS // 2,
                    min_words=15,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                    **marks,
                ),
            )
            .order_by("-search_rank", "-published_at", "-pk")
        )

    def _search_fallback(self, query: str) -> "ArticleQuerySet":
        from .models import Article

        words, excluded = text_search.parse_query(query)
        if not words:
            return self.none()

        def anywhere(term: str) -> Q:
            tagged = Article.objects.filter(tags__name__icontains=term)
            written = Article.objects.filter(authors__name__icontains=term)
            return (
                Q(headline__icontains=term)
                | Q(standfirst__icontains=term)
                | Q(body__icontains=term)
                | Q(pk__in=tagged.values("pk"))
                | Q(pk__in=written.values("pk"))
            )

        matches = self
        for word in words:
            matches = matches.filter(anywhere(word))
        for word in excluded:
            matches = matches.exclude(anywhere(word))
        stories = self.filter(pk__in=newest_matches(matches))
        in_headline = Q()
        in_standfirst = Q()
        for word in words:
            in_headline &= Q(headline__icontains=word)
            in_standfirst &= Q(standfirst__icontains=word)
        return stories.annotate(
            search_rank=models.Case(
                models.When(in_headline, then=Value(3.0)),
                models.When(in_standfirst, then=Value(2.0)),
                default=Value(1.0),
                output_field=models.FloatField(),
            ),
            search_headline=F("headline"),
            search_snippet=Concat(
                "standfirst", Value(" "), "body", output_field=models.TextField()
            ),
        ).order_by("-search_rank", "-published_at", "-pk")

    def search_similar(
        self,
        query: str,
        language: str = settings.LANGUAGE_CODE,
        every_language: bool = False,
    ) -> "ArticleQuerySet":
        """Typo tolerance: stories in `language` (or any, when
        `every_language`) whose headline contains a word like the query's
        ("goverment" finds "government"), most similar first. Uses the
        trigram index on PostgreSQL, so only the query is folded; on SQLite
        it finds nothing."""
        from django.contrib.postgres.search import TrigramWordSimilarity

        query = text_search.fold(query)
        if connections[self.db].vendor != "postgresql" or len(query) < 3:
            return self.none()
        stories = self if every_language else self.filter(language=language)
        return (
            stories.filter(headline__trigram_word_similar=query)
            .annotate(
                similarity=TrigramWordSimilarity(query, "headline"),
                search_headline=F("headline"),
                search_snippet=F("standfirst"),
            )
            .order_by("-similarity", "-published_at", "-pk")
        )


def story_part(name: str) -> Prefetch:
    """One of STORY_PARTS as the page loads it. Links only point to stories
    that are themselves published."""
    from .models import ArticleNote, GalleryImage, ReadMoreLink, SeeAlsoLink

    visible = is_published("target__")
    # A link shows its target's headline and address, nothing more of it.
    target = ("target__headline", "target__slug", "target__language")
    match name:
        case "read_more":
            queryset = (
                ReadMoreLink.objects.filter(visible)
                .select_related("target")
                .only("article", "after_paragraph", *target)
                .order_by("after_paragraph", "pk")
            )
        case "see_also":
            queryset = (
                SeeAlsoLink.objects.filter(Q(target__isnull=True) | visible)
                .select_related("target")
                .only("article", "position", "url", "title", *target)
                .order_by("position", "pk")
            )
        case "gallery":
            queryset = GalleryImage.objects.select_related("image").order_by(
                "position", "pk"
            )
        case "story_notes":
            queryset = ArticleNote.objects.order_by("created_at", "pk")
    return Prefetch(STORY_PARTS[name], queryset=queryset, to_attr=name)


def load_parts(story) -> None:
    """Everything a story page shows besides the story itself, in one query:
    its authors, regions and tags as `author_list`, `region_list` and
    `tag_list` (in byline order, menu order and by name), and which of
    STORY_PARTS it has; then one query for each part it has. The others are
    empty lists."""
    from .models import Author, Region

    models_by_kind = {"author": Author, "region": Region, "tag": Tag}
    found = {kind: [] for kind in models_by_kind}
    present = set()
    rows = sorted(
        labels_and_parts(story.pk),
        key=lambda row: (row[1], row[2], row[4].casefold()),  # Page order.
    )
    for kind, _position, _order, pk, name, slug, name_ur in rows:
        if kind in found:
            # from_db() takes the values in the model's field order.
            if kind == "region":
                fields, values = (
                    ["id", "name", "name_ur", "slug"],
                    [pk, name, name_ur, slug],
                )
            else:
                fields, values = ["id", "name", "slug"], [pk, name, slug]
            item = models_by_kind[kind].from_db(story._state.db, fields, values)
            found[kind].append(item)
        else:
            present.add(kind)
    for kind, items in found.items():
        setattr(story, f"{kind}_list", items)
    for name in STORY_PARTS:
        if name not in present:
            setattr(story, name, [])
    prefetch_related_objects([story], *(story_part(name) for name in present))


def labels_and_parts(pk: int) -> list[tuple]:
    """One query (UNION ALL) for the story's authors, regions and tags, as
    (kind, position, order, id, name, slug, name_ur) rows (name_ur only for
    regions), and a (part, 0, 0, 0, "", "", "") row for each item of each of
    its STORY_PARTS. Rows sort into page
    order by (position, order, name), names regardless of case."""
    from .models import Article, Byline, Region

    text, number = models.CharField(), models.IntegerField()
    blank, zero = Value("", output_field=text), Value(0, output_field=number)

    def rows(queryset, kind: str, *columns) -> models.QuerySet:
        return queryset.order_by().values_list(Value(kind, output_field=text), *columns)

    article_type = ContentType.objects.get_for_model(Article)
    tagged = TaggedItem.objects.filter(content_type=article_type, object_id=pk)
    parts = [
        rows(
            Byline.objects.filter(article=pk),
            "author", "position", "pk", "author", "author__name", "author__slug",
            blank,
        ),
        rows(
            Region.objects.filter(stories=pk),
            "region", "position", zero, "pk", "name", "slug", "name_ur",
        ),
        rows(tagged, "tag", zero, zero, "tag", "tag__name", "tag__slug", blank),
    ]  # fmt: skip
    meta = Article._meta
    for name, relation in STORY_PARTS.items():
        items = meta.get_field(relation).related_model.objects.filter(article=pk)
        parts.append(rows(items, name, zero, zero, zero, blank, blank, blank))
    first, *others = parts
    return list(first.union(*others, all=True))


def newest_matches(matches: ArticleQuerySet) -> ArticleQuerySet:
    """The ids of the newest SEARCH_CANDIDATES matches. Search ranks only
    these, so a word found in most stories costs no more than a rare one;
    readers reach older stories with the date filters."""
    return matches.order_by("-published_at", "-pk").values("pk")[
        : text_search.SEARCH_CANDIDATES
    ]


def front_page_candidates(
    *, language: str, breaking: int, pinned: int, newest: int, videos: int
) -> dict[str, list]:
    """What the top of the front page chooses from, in one query, as lists
    of for_cards() rows: the `breaking` newest stories whose breaking flag
    has not expired, the first `pinned` pinned stories (by rank), the
    `newest` newest stories and the `videos` newest videos. Each list is in
    the order named; a story may be in several. Only stories in
    `language`."""
    from .models import Article

    now = timezone.now()
    live = Article.objects.published().filter(language=language).for_cards()
    parts = {
        "breaking": (
            live.filter(is_breaking=True)
            .filter(Q(breaking_until__isnull=True) | Q(breaking_until__gt=now))
            .newest_first(),
            breaking,
        ),
        "pinned": (
            live.filter(front_page_rank__isnull=False).order_by(
                "front_page_rank", "-published_at", "-pk"
            ),
            pinned,
        ),
        "newest": (live.newest_first(), newest),
        "videos": (live.filter(kind=Article.Kind.VIDEO).newest_first(), videos),
    }
    found = {name: [] for name in parts}
    for story in union_of_parts(parts):
        found[story.part].append(story)
    found = {name: newest_first(stories) for name, stories in found.items()}
    found["pinned"].sort(key=lambda story: story.front_page_rank)
    return found


def recent_places(language: str, excluding: set[int], count: int) -> list[tuple]:
    """Where the `count` newest published stories in `language` not in `excluding` are
    filed, newest first, in one query: (story id, section id, region id)
    rows. A story in three regions has three rows, one after the other; a
    story in none has one, with None for the region."""
    from .models import Article

    recent = (
        Article.objects.published()
        .filter(language=language)
        .exclude(pk__in=excluding)
        .newest_first()
        .values("pk")[:count]
    )
    return list(
        Article.objects.filter(pk__in=recent)
        .newest_first()
        .values_list("pk", "section_id", "regions__id")
    )


def union_of_parts(parts: dict[str, tuple[ArticleQuerySet, int]]) -> list:
    """The first `count` rows of each of several querysets of the same
    columns, in one query (UNION ALL); each row's `part` names its
    queryset. The order of the rows is not kept. Where a compound query
    cannot hold LIMIT (SQLite), each part picks its rows in a subquery."""
    sliced = []
    for name, (queryset, count) in parts.items():
        if connections[queryset.db].features.supports_slicing_ordering_in_compound:
            part = queryset.annotate(part=Value(name))[:count]
        else:
            ids = queryset.values("pk")[:count]
            part = queryset.order_by().filter(pk__in=ids).annotate(part=Value(name))
        sliced.append(part)
    first, *others = sliced
    return list(first.union(*others, all=True))


def newest_first(stories: list) -> list:
    """Sorted as ArticleQuerySet.newest_first() sorts."""
    return sorted(
        stories, key=lambda story: (story.published_at, story.pk), reverse=True
    )


def most_read_stories(language: str = settings.LANGUAGE_CODE, count: int = 5) -> dict:
    """The "Most read" lists of the last 24 hours and 7 days of the stories
    in `language`, in 2 queries."""
    from .models import Article

    def top(hours: int) -> list:
        return list(
            Article.objects.published()
            .filter(language=language)
            .most_read(hours)
            .only("headline", "slug", "language", "published_at")[:count]
        )

    return {"most_read_day": top(24), "most_read_week": top(24 * 7)}


def next_scheduled_change():
    """The next moment a page changes by itself, with nobody saving anything:
    a scheduled story's publication time or a breaking flag's expiry. None
    when nothing is due. 2 queries, both on partial indexes."""
    from .models import Article

    now = timezone.now()
    scheduled = (
        Article.objects.filter(status=Article.Status.PUBLISHED, published_at__gt=now)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    expiring = (
        Article.objects.published()
        .filter(is_breaking=True, breaking_until__gt=now)
        .order_by("breaking_until")
        .values_list("breaking_until", flat=True)
        .first()
    )
    return min((moment for moment in (scheduled, expiring) if moment), default=None)
