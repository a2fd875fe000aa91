"""The desk: the admin's first page (admin:index), opening on what each
person needs now, and the story list's filters its links lead to.

Writers see the stories an editor sent back to them, their drafts and
their stories waiting for review; editors the review queue, breaking news,
what is scheduled, the front page's order and the latest corrections. Each
panel is one query and one more counts them all, however many stories
there are.

"Sent back" is read from the stories' history (django-reversion): a draft
that was in review at some time and whose latest revision someone other
than its writer saved, typically an editor setting it from "In review" to
"Draft". The writer's next save makes it a plain draft again.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import admin
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import get_language_info
from reversion.models import Version

from .forms import local_zone_name
from .frontpage import top_of_page
from .models import Article, ArticleNote
from .roles import may_publish, stories_for

# How many stories (or notes) a panel lists; its "All … →" link shows the rest.
SHOWN = 8


def local(when) -> str:
    """A time as the story list writes it, in the newsroom's zone."""
    return timezone.localtime(when).strftime("%d %b %H:%M")


# Who saved a story last, from its revisions.


def _revisions() -> QuerySet:
    """The saved versions of the story of the outer query."""
    return Version.objects.filter(
        content_type__app_label=Article._meta.app_label,
        content_type__model=Article._meta.model_name,
        object_id=Cast(OuterRef("pk"), CharField()),
    )


def _latest(column: str) -> Subquery:
    return Subquery(_revisions().order_by("-pk").values(column)[:1])


def sent_back(stories: QuerySet) -> QuerySet:
    """The drafts among `stories` that were in review once and were last
    saved by someone other than their writer (see the module's docstring)."""
    # reversion keeps each version as Django's JSON: a key and its value
    # are written exactly so, and a quote inside a text value is escaped.
    was_in_review = _revisions().filter(serialized_data__contains='"status": "review"')
    return (
        stories.filter(status=Article.Status.DRAFT)
        .alias(last_saved_by=_latest("revision__user"))
        .filter(Exists(was_in_review), last_saved_by__isnull=False)
        .exclude(last_saved_by=F("created_by"))
    )


# The story list's filters; the desk's "All … →" links use them.


class MyStoriesFilter(admin.SimpleListFilter):
    """The stories the user started (created_by), not the ones bylined to
    them: a byline names an author, who may have no account."""

    title = "my stories"
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("yes", "My stories"), ("sent_back", "Sent back to me")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(created_by=request.user)
        if self.value() == "sent_back":
            return sent_back(queryset.filter(created_by=request.user))
        return queryset


class NeedsReviewFilter(admin.SimpleListFilter):
    """Stories in review, for those who may publish them; writers review
    nothing, so they do not get the choice."""

    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("needed", "Needs my review")] if may_publish(request.user) else []

    def queryset(self, request, queryset):
        # Not asked without lookups: a writer's ?review= is dropped.
        if self.value() == "needed":
            return queryset.filter(status=Article.Status.REVIEW)
        return queryset


class PublicationFilter(admin.SimpleListFilter):
    title = "publication"
    parameter_name = "publication"

    def lookups(self, request, model_admin):
        return [
            ("scheduled", "Scheduled (not live yet)"),
            ("corrected", "With corrections or updates"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "scheduled":
            return queryset.filter(is_scheduled())
        if self.value() == "corrected":
            return queryset.filter(has_notes())
        return queryset


def is_scheduled() -> Q:
    """Published for a time to come (Article.is_scheduled)."""
    return Q(status=Article.Status.PUBLISHED, published_at__gt=timezone.now())


def is_breaking_now() -> Q:
    """Published (or scheduled) stories marked breaking whose expiry has not
    passed: the front page's breaking bar, or the bar once they go live."""
    return Q(status=Article.Status.PUBLISHED, is_breaking=True) & (
        Q(breaking_until__isnull=True) | Q(breaking_until__gt=timezone.now())
    )


def has_notes() -> Exists:
    return Exists(ArticleNote.objects.filter(article=OuterRef("pk")))


# The panels.


@dataclass
class Item:
    url: str
    headline: str
    note: str


@dataclass
class Panel:
    """A list on the desk: each item links to its story's change page, and
    `more_url` to the story list filtered to all of the panel's stories."""

    name: str
    title: str
    empty: str
    items: list[Item] = field(default_factory=list)
    more_url: str = ""
    more_text: str = ""

    def add(self, story_id: int, headline: str, note: str) -> None:
        url = reverse("admin:articles_article_change", args=[story_id])
        self.items.append(Item(url, headline, note))

    def link_all(self, count: int, what: str, query: str) -> None:
        """ "All 12 in review →" to the story list at ?query; `what` may be
        "draft|drafts"."""
        if count:
            one, _, many = what.partition("|")
            self.more_url = f"{reverse('admin:articles_article_changelist')}?{query}"
            self.more_text = f"All {count} {many if count > 1 and many else one} →"


def desk_panels(user) -> dict:
    """The desk's panels for `user`, and the note on the time zone."""
    stories = stories_for(user, Article.objects.all()).defer("body", "search_vector")
    if may_publish(user):
        panels = editor_panels(stories.select_related("section", "created_by"))
    elif user.has_perm("articles.view_article"):
        panels = writer_panels(stories.filter(created_by=user.pk))
    else:  # staff without a newsroom role
        panels = []
    zone = f"Times are {local_zone_name()} time ({timezone.localtime().tzname()})."
    return {"panels": panels, "zone": zone}


def writer_name(story: Article) -> str:
    writer = story.created_by
    return (writer.get_full_name() or writer.username) if writer else "no writer"


def editor_panels(stories: QuerySet) -> list[Panel]:
    """Seven queries: one for each of six panels (a front page per
    language), one for the counts."""
    counts = stories.aggregate(
        review=Count("pk", filter=Q(status=Article.Status.REVIEW)),
        breaking=Count("pk", filter=is_breaking_now()),
        scheduled=Count("pk", filter=is_scheduled()),
        **{
            f"pinned_{code}": Count(
                "pk",
                filter=Q(
                    status=Article.Status.PUBLISHED,
                    front_page_rank__isnull=False,
                    language=code,
                ),
            )
            for code, _ in settings.LANGUAGES
        },
        corrected=Count("pk", filter=has_notes()),
    )

    review = Panel("review", "Waiting for review", "Nothing waiting for review.")
    in_review = stories.filter(status=Article.Status.REVIEW)
    # The longest waiting first.
    for story in in_review.order_by("modified_at", "pk")[:SHOWN]:
        saved = local(story.modified_at)
        note = f"{writer_name(story)}, {story.section.name}; last saved {saved}"
        review.add(story.pk, story.headline, note)
    review.link_all(counts["review"], "in review", "review=needed")

    breaking = Panel("breaking", "Breaking news", "No breaking news.")
    for story in stories.filter(is_breaking_now()).newest_first()[:SHOWN]:
        if story.breaking_until:
            note = f"Breaking until {local(story.breaking_until)}"
        else:
            note = "Breaking, no expiry"
        if story.is_scheduled:
            note += f"; goes live {local(story.published_at)}"
        breaking.add(story.pk, story.headline, note)
    breaking.link_all(counts["breaking"], "breaking", "front_page=breaking")

    scheduled = Panel("scheduled", "Scheduled", "Nothing scheduled.")
    # The soonest first.
    for story in stories.filter(is_scheduled()).order_by("published_at", "pk")[:SHOWN]:
        note = f"Goes live {local(story.published_at)}; {story.section.name}"
        scheduled.add(story.pk, story.headline, note)
    scheduled.link_all(counts["scheduled"], "scheduled", "publication=scheduled")

    # As readers see it: pinned stories first, the newest after them. Each
    # language has its own front page.
    fronts = []
    for code, _ in settings.LANGUAGES:
        english = code == settings.LANGUAGE_CODE
        name = get_language_info(code)["name"]  # in English: the admin's language
        front = Panel(
            "front-page" if english else f"front-page-{code}",
            "The front page now" if english else f"The {name} front page now",
            "No published stories yet.",
        )
        places = top_of_page(code)
        if places["lead"]:
            for place, story in enumerate([places["lead"], *places["top_stories"]]):
                where = f"Top story {place}" if place else "Lead"
                rank = story.front_page_rank
                how = f"pinned at {rank}" if rank else "newest"
                front.add(story.pk, story.headline, f"{where}, {how}")
        front.link_all(
            counts[f"pinned_{code}"],
            "pinned",
            f"front_page=pinned&language__exact={code}",
        )
        fronts.append(front)

    notes = Panel("corrections", "Latest corrections", "No corrections or updates yet.")
    for note in (
        ArticleNote.objects.filter(article__in=stories.values("pk"))
        .select_related("article")
        .only("kind", "text", "created_at", "article__headline")
        .order_by("-created_at", "-pk")[:SHOWN]
    ):
        text = Truncator(note.text).words(12)
        what = f"{note.get_kind_display()}, {local(note.created_at)}: {text}"
        notes.add(note.article_id, note.article.headline, what)
    notes.link_all(
        counts["corrected"],
        "corrected story|corrected stories",
        "publication=corrected",
    )

    return [review, breaking, scheduled, *fronts, notes]


def writer_panels(mine: QuerySet) -> list[Panel]:
    """Four queries: one for each of three panels, one for the counts."""
    returned = sent_back(mine)
    counts = mine.aggregate(
        sent_back=Count("pk", filter=Q(pk__in=returned.values("pk"))),
        drafts=Count("pk", filter=Q(status=Article.Status.DRAFT)),
        review=Count("pk", filter=Q(status=Article.Status.REVIEW)),
    )

    back = Panel("sent-back", "Sent back to you", "Nothing sent back to you.")
    for story in returned.annotate(
        sent_back_at=_latest("revision__date_created"),
        sent_back_by=_latest("revision__user__first_name"),
        sent_back_by_username=_latest("revision__user__username"),
    ).order_by("-modified_at", "-pk")[:SHOWN]:
        who = story.sent_back_by or story.sent_back_by_username
        note = f"Sent back by {who}, {local(story.sent_back_at)}"
        back.add(story.pk, story.headline, note)
    back.link_all(counts["sent_back"], "sent back", "mine=sent_back")

    drafts = Panel("drafts", "Your drafts", "No drafts.")
    for story in mine.filter(status=Article.Status.DRAFT).order_by(
        "-modified_at", "-pk"
    )[:SHOWN]:
        drafts.add(story.pk, story.headline, f"Last saved {local(story.modified_at)}")
    drafts.link_all(counts["drafts"], "draft|drafts", "mine=yes&status__exact=draft")

    waiting = Panel(
        "waiting", "Waiting for an editor", "None of your stories is in review."
    )
    for story in mine.filter(status=Article.Status.REVIEW).order_by(
        "modified_at", "pk"
    )[:SHOWN]:
        waiting.add(story.pk, story.headline, f"Last saved {local(story.modified_at)}")
    waiting.link_all(counts["review"], "in review", "mine=yes&status__exact=review")

    return [back, drafts, waiting]


class DeskAdminSite(admin.AdminSite):
    """The admin with the desk as its first page (the app list stays under
    the panels). Installed as the default site (newsroom/apps.py)."""

    index_template = "admin/articles/desk.html"

    def index(self, request, extra_context=None):
        context = {"desk": desk_panels(request.user)} | (extra_context or {})
        return super().index(request, context)
