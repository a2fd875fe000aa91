"""Query shapes for every page: the performance contract of the site."""

from django.db import models
from django.db.models import F, Prefetch
from django.db.models.functions import RowNumber
from django.utils import timezone

# How many of the newest stories the front page's section blocks and region
# strip choose from.
RECENT_POOL = 400


def is_published(prefix: str = "") -> models.Q:
    """The one rule for what readers may see: published, with a publication
    time that has come, so a scheduled story appears by itself at its time.
    `prefix` applies it to a related story, e.g. "target__"."""
    return models.Q(
        **{f"{prefix}status": "published", f"{prefix}published_at__lte": timezone.now()}
    )


class ArticleQuerySet(models.QuerySet):
    def published(self) -> "ArticleQuerySet":
        """Stories readers may see (see is_published())."""
        return self.filter(is_published())

    def for_staff(self, user) -> "ArticleQuerySet":
        """Stories a staff member may open in the admin or preview: all of
        them for editors; for writers their own and published ones."""
        from .roles import PUBLISH_PERMISSION

        if user.has_perm(PUBLISH_PERMISSION):
            return self.all()
        return self.filter(
            models.Q(created_by=user.pk) | models.Q(status=self.model.Status.PUBLISHED)
        )

    def newest_first(self) -> "ArticleQuerySet":
        return self.order_by("-published_at", "-pk")

    def for_listing(self) -> "ArticleQuerySet":
        """What a story card needs (section, lead image) in the same query,
        without the body."""
        return self.select_related("section", "lead_image").defer("body")

    def for_detail(self) -> "ArticleQuerySet":
        """Everything the article page shows, in a fixed number of queries:
        one for the story and one for each of bylines, regions, tags,
        "read more" links, "See also" links, gallery images and corrections
        and updates. Links only point to stories that are themselves
        published."""
        from .models import (
            ArticleNote,
            Byline,
            GalleryImage,
            ReadMoreLink,
            SeeAlsoLink,
        )

        visible = is_published("target__")
        return self.select_related("section", "source", "lead_image").prefetch_related(
            Prefetch(
                "bylines",
                queryset=Byline.objects.select_related("author").order_by(
                    "position", "pk"
                ),
            ),
            "regions",
            "tags",
            Prefetch(
                "read_more_links",
                queryset=ReadMoreLink.objects.filter(visible)
                .select_related("target")
                .order_by("after_paragraph", "pk"),
            ),
            Prefetch(
                "see_also_links",
                queryset=SeeAlsoLink.objects.filter(
                    models.Q(target__isnull=True) | visible
                )
                .select_related("target__section")
                .order_by("position", "pk"),
            ),
            Prefetch(
                "gallery_items",
                queryset=GalleryImage.objects.select_related("image").order_by(
                    "position", "pk"
                ),
            ),
            Prefetch(
                "notes", queryset=ArticleNote.objects.order_by("created_at", "pk")
            ),
        )


def front_page_stories(top_count: int = 4, latest_count: int = 10) -> dict:
    """The stories of the front page, each shown at most once (the breaking
    bar aside), in 8 queries: breaking, pinned, newest, video, sections,
    section blocks, regions and region strip. The sections and regions double
    as the navigation, so it costs no more."""
    from .models import Article, Region, Section

    now = timezone.now()
    live = Article.objects.published().for_listing()

    breaking = list(
        Article.objects.published()
        .filter(is_breaking=True)
        .filter(
            models.Q(breaking_until__isnull=True) | models.Q(breaking_until__gt=now)
        )
        .newest_first()
        .only("pk", "slug", "headline", "published_at")[:5]
    )
    pinned = list(
        live.filter(front_page_rank__isnull=False).order_by(
            "front_page_rank", "-published_at"
        )[: top_count + 1]
    )
    pinned_ids = {story.pk for story in pinned}
    newest = [
        story
        for story in live.newest_first()[: top_count + latest_count + 1 + len(pinned)]
        if story.pk not in pinned_ids
    ]
    pinned_lead = [story for story in pinned if story.front_page_rank == 1]
    lead = pinned_lead[0] if pinned_lead else (newest.pop(0) if newest else None)
    top_candidates = [story for story in pinned if story is not lead] + newest
    top = top_candidates[:top_count]
    latest = [story for story in newest if story not in top][:latest_count]

    shown = {story.pk for story in [lead, *top, *latest] if story}
    video = list(
        live.filter(kind=Article.Kind.VIDEO).exclude(pk__in=shown).newest_first()[:4]
    )
    shown.update(story.pk for story in video)

    # Section blocks and the region strip draw on the newest stories not yet
    # shown; ranking within that recent pool keeps both queries cheap however
    # many stories there are. A section with nothing that recent has no block.
    recent = (
        Article.objects.published()
        .exclude(pk__in=shown)
        .newest_first()
        .values("pk")[:RECENT_POOL]
    )
    sections = list(Section.objects.all())
    section_stories = (
        live.filter(pk__in=recent)
        .annotate(place=_newest_within("section_id", ""))
        .filter(place__lte=4)
        .newest_first()
    )
    section_blocks = {section: [] for section in sections}
    for story in section_stories:
        section_blocks[story.section].append(story)
    shown.update(story.pk for stories in section_blocks.values() for story in stories)

    regions = list(Region.objects.all())
    placements = (
        Article.regions.through.objects.filter(article__in=recent)
        .exclude(article__in=shown)
        .select_related("article")
        .only(
            "region_id", "article__headline", "article__slug", "article__published_at"
        )
        .annotate(place=_newest_within("region_id", "article__"))
        .filter(place__lte=6)
        .order_by("place", "region_id")
    )
    region_blocks = {region: [] for region in regions}
    by_pk = {region.pk: stories for region, stories in region_blocks.items()}
    for placement in placements:
        stories = by_pk[placement.region_id]
        # A story in several regions is shown once, under the first.
        if placement.article_id not in shown and len(stories) < 3:
            stories.append(placement.article)
            shown.add(placement.article_id)

    return {
        "breaking": breaking,
        "lead": lead,
        "top_stories": top,
        "latest": latest,
        "video_stories": video,
        "section_blocks": [
            (sec, stories) for sec, stories in section_blocks.items() if stories
        ],
        "region_blocks": list(region_blocks.items()),
        "nav_sections": sections,
        "nav_regions": regions,
    }


def _newest_within(group: str, prefix: str) -> models.Window:
    """Rank 1, 2, ... of a story by recency within its `group` column."""
    return models.Window(
        RowNumber(),
        partition_by=F(group),
        order_by=[F(f"{prefix}published_at").desc(), F(f"{prefix}id").desc()],
    )
