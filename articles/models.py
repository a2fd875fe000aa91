from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

from django import forms
from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.core.validators import (
    FileExtensionValidator,
    MaxValueValidator,
    URLValidator,
)
from django.db import models, transaction
from django.db.models import F, Q
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager

from .html import sanitize, set_directions, split_blocks
from .images import make_crops, make_renditions
from .querysets import ArticleQuerySet


def shows(key: str) -> None:
    from .pagecache import shows

    shows(key)


def remembered_reverse(name: str, language: str | None = None, **kwargs) -> str:
    """reverse(), remembered: a front page links to some fifty stories, most
    of them two or three times, and each reverse() walks the URL patterns.
    An address depends only on its name and arguments, the script prefix
    and its language (/ur/ for Urdu; the page's language unless given), so
    a story with a new slug gets a new entry."""
    language = language or translation.get_language()
    return _remembered_reverse(
        get_script_prefix(), language, name, tuple(kwargs.items())
    )


@lru_cache(maxsize=20_000)
def _remembered_reverse(prefix: str, language: str, name: str, kwargs: tuple) -> str:
    with translation.override(language):
        return reverse(name, kwargs=dict(kwargs))


@receiver(setting_changed)
def forget_addresses(setting: str, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _remembered_reverse.cache_clear()


# Addresses readers follow: the web only. Django's URLField also takes ftp://;
# javascript:, data: and the like it refuses, and so does this.
web_address = URLValidator(
    schemes=["http", "https"],
    message="Enter a web address starting with https:// or http://.",
)


class WebAddressFormField(forms.URLField):
    default_validators = [web_address]
    # A form field's own message for a code wins over its validators'.
    default_error_messages = {"invalid": web_address.message}


class WebAddressField(models.URLField):
    """A URLField taking only http and https addresses, in full_clean() and
    in forms (the admin). Templates still pass stored addresses through
    safe_url: rows written without full_clean() never met this check."""

    default_validators = [web_address]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": WebAddressFormField, **kwargs})


class StoryGroup(models.Model):
    """What a section and a region share: a name, a page of their stories at
    an address made from the slug, and a place in the navigation."""

    name = models.CharField(max_length=80, unique=True)
    name_ur = models.CharField(
        "name in Urdu",
        max_length=80,
        blank=True,
        help_text="The name on the Urdu pages; leave empty to use the English name",
    )
    slug = models.SlugField(
        max_length=80, unique=True, help_text="Part of the page's address."
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order in the navigation."
    )

    # The URL name of the page, which takes the slug.
    page: str

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return remembered_reverse(self.page, slug=self.slug)

    @property
    def local_name(self) -> str:
        """The name in the active language: the Urdu name on Urdu pages when
        there is one, the English name otherwise."""
        if self.name_ur and translation.get_language() == "ur":
            return self.name_ur
        return self.name


class Section(StoryGroup):
    description = models.TextField(
        blank=True, help_text="One or two sentences shown on the section page."
    )
    # Sections are also the front page's blocks (and the field stays after
    # the description in the admin's form).
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order in the navigation and on the front page."
    )

    page = "articles:section-detail"


class Region(StoryGroup):
    page = "articles:region-detail"


class Source(models.Model):
    name = models.CharField(
        max_length=120, unique=True, help_text="Shown as “Source: …” under a story."
    )
    url = WebAddressField(blank=True, help_text="The agency's or outlet's website.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Image(models.Model):
    file = models.ImageField(
        upload_to="images/%Y/%m/", width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    alt_text = models.CharField(
        max_length=300,
        help_text="Describe what the picture shows for readers who cannot see it.",
    )
    caption = models.CharField(
        max_length=500, blank=True, help_text="Shown under the picture."
    )
    credit = models.CharField(
        max_length=200,
        blank=True,
        help_text="Photographer and agency, e.g. “Reuters / Jim Borg”.",
    )
    focal_x = models.PositiveSmallIntegerField(
        default=50,
        validators=[MaxValueValidator(100)],
        help_text="Horizontal point to keep when cropping, in % from the left.",
    )
    focal_y = models.PositiveSmallIntegerField(
        default=50,
        validators=[MaxValueValidator(100)],
        help_text="Vertical point to keep when cropping, in % from the top.",
    )
    renditions = models.JSONField(default=list, editable=False)
    # Cropped renditions per slot (thumbnail, card, lead), made around the
    # focal point; see images.make_crops().
    crops = models.JSONField(default=dict, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Changes with every save; part of the key of the story cards showing
    # the picture (see articles/cards.py).
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.caption or self.alt_text

    def save(self, *args, **kwargs) -> None:
        # A new upload is not yet committed to storage; renditions follow it,
        # and the crops follow it and the focal point.
        new_file = self.file and not self.file._committed
        if self.file and (new_file or not self.renditions):
            self.renditions = make_renditions(self.file)
        focal = [self.focal_x, self.focal_y]
        if self.file and (new_file or self.crops.get("focal") != focal):
            self.crops = make_crops(self.file, self.focal_x, self.focal_y)
        super().save(*args, **kwargs)


class Author(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(
        max_length=120,
        unique=True,
        allow_unicode=True,
        help_text="Part of the author's page address.",
    )
    bio = models.TextField(blank=True, help_text="A sentence or two about the author.")
    photo = models.ForeignKey(
        Image, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return remembered_reverse("articles:author-detail", slug=self.slug)


VIDEO_HOSTS = {
    "youtube.com": "youtube",
    "www.youtube.com": "youtube",
    "m.youtube.com": "youtube",
    "youtu.be": "youtube",
    "vimeo.com": "vimeo",
    "www.vimeo.com": "vimeo",
}


def tag_url(tag) -> str:
    """The address of a tag's page: Tag.get_absolute_url() (see
    ABSOLUTE_URL_OVERRIDES in settings; tags are django-taggit's model)."""
    return remembered_reverse("articles:tag-detail", slug=tag.slug)


def video_embed_url(url: str) -> str:
    """The player address for a YouTube or Vimeo page URL; "" for anything else."""
    parts = urlsplit(url)
    provider = VIDEO_HOSTS.get(parts.netloc.lower())
    if parts.scheme not in ("http", "https") or provider is None:
        return ""
    path = parts.path.strip("/").split("/")
    if provider == "youtube":
        if parts.netloc.lower() == "youtu.be":
            video_id = path[0]
        elif path[0] == "watch":
            video_id = parse_qs(parts.query).get("v", [""])[0]
        elif path[0] in ("embed", "shorts", "live") and len(path) > 1:
            video_id = path[1]
        else:
            video_id = ""
        if video_id.replace("-", "").replace("_", "").isalnum():
            return f"https://www.youtube-nocookie.com/embed/{video_id}"
    elif path[-1].isdigit():
        return f"https://player.vimeo.com/video/{path[-1]}?dnt=1"
    return ""


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Kind(models.TextChoices):
        STORY = "story", "Story"
        VIDEO = "video", "Video"
        GALLERY = "gallery", "Photo gallery"

    headline = models.CharField(max_length=255)
    language = models.CharField(
        max_length=5,
        choices=settings.LANGUAGES,
        default="en",
        help_text="The language the story is written in. Urdu stories appear "
        "on the Urdu pages (/ur/), English ones on the English pages.",
    )
    translation = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The same story in the other language. Readers get a link to "
        "it, and the link is kept on both stories.",
    )
    slug = models.SlugField(
        max_length=255,
        unique=True,
        allow_unicode=True,
        help_text="Part of the story's address. Changing it later is safe: "
        "the old address redirects to the new one.",
    )
    standfirst = models.TextField(
        max_length=600,
        help_text="One or two sentences summing up the story, shown under the "
        "headline and on story cards.",
    )
    body = models.TextField(
        blank=True,
        help_text="Story text in HTML. Scripts, styles and unsafe links are "
        "removed on save.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STORY)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="stories"
    )
    regions = models.ManyToManyField(Region, blank=True, related_name="stories")
    source = models.ForeignKey(
        Source,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stories",
        help_text="Where the story comes from; shown as “Source: …”.",
    )
    authors = models.ManyToManyField(
        Author, through="Byline", blank=True, related_name="stories"
    )
    lead_image = models.ForeignKey(
        Image,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_stories",
        help_text="Shown at the top of the story and on its card. For a video "
        "story it is the poster.",
    )
    lead_image_caption = models.CharField(
        max_length=500,
        blank=True,
        help_text="Caption for this story only; leave empty to use the image's.",
    )
    video_url = WebAddressField(
        blank=True,
        help_text="YouTube or Vimeo page address, e.g. "
        "https://www.youtube.com/watch?v=…",
    )
    video_file = models.FileField(
        upload_to="video/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(["mp4"])],
        help_text="Or an MP4 file; the lead image is its poster.",
    )
    video_duration = models.DurationField(
        null=True,
        blank=True,
        help_text="Length of the video, e.g. 2:35 or 1:02:10. Search engines "
        "show it next to the video.",
    )
    tags = TaggableManager(blank=True, related_name="stories")
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="When the story goes live. A time in the future schedules it: "
        "it appears by itself at that time.",
    )
    updated_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Time of the last significant update, shown to readers. "
        "Leave alone for typo fixes.",
    )
    is_breaking = models.BooleanField(
        "breaking", default=False, help_text="Show in the breaking-news bar."
    )
    breaking_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The story leaves the breaking-news bar by itself at this time.",
    )
    front_page_rank = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Pin to the front page: 1 is the lead story, 2 and up are "
        "top stories in that order. A rank another published story holds is "
        "taken from it (it is unpinned). Leave empty for newest-first.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="created_stories",
        help_text="The account that started the story; writers edit only their own.",
    )
    # Weighted full-text document for search on PostgreSQL, refreshed after
    # each change by articles.search; unused (empty) on SQLite. Its GIN index
    # and the trigram index on the headline are created by migration
    # 0003_discovery on PostgreSQL only.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        # What the newsroom calls them: "Add story", "Select story to change".
        verbose_name = "story"
        verbose_name_plural = "stories"
        ordering = ["-published_at", "-pk"]
        permissions = [
            (
                "publish_article",
                "Can publish, schedule, withdraw and curate stories",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="articles_article_published_has_date",
            ),
            # One published story per front-page rank: a second lead would be
            # demoted by the front page without a word. Saving a story at a
            # held rank takes it (take_front_page_rank()). Scheduled stories
            # count, as the database cannot know when a time has come.
            # Each language has its own front page, so its own ranks.
            models.UniqueConstraint(
                fields=["language", "front_page_rank"],
                condition=Q(status="published", front_page_rank__isnull=False),
                name="articles_article_unique_front_page_rank",
                violation_error_message="Another published story already has "
                "this front-page rank in this language.",
            ),
        ]
        indexes = [
            # Front page, latest lists and feeds: newest published stories. The id
            # breaks ties, as in newest_first(), so the index gives the order.
            models.Index(
                "language",
                F("published_at").desc(),
                F("id").desc(),
                condition=Q(status="published"),
                name="articles_article_live_idx",
            ),
            # Section pages and front-page section blocks.
            models.Index(
                "language",
                "section",
                F("published_at").desc(),
                F("id").desc(),
                condition=Q(status="published"),
                name="articles_article_section_idx",
            ),
            # Breaking-news bar.
            models.Index(
                "language",
                F("published_at").desc(),
                condition=Q(status="published", is_breaking=True),
                name="articles_article_breaking_idx",
            ),
            # Front-page pins.
            models.Index(
                "language",
                "front_page_rank",
                condition=Q(front_page_rank__isnull=False),
                name="articles_article_pinned_idx",
            ),
            # Video page and video strip.
            models.Index(
                "language",
                "kind",
                F("published_at").desc(),
                F("id").desc(),
                condition=Q(status="published"),
                name="articles_article_kind_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.headline

    def save(self, *args, **kwargs) -> None:
        self.body = sanitize(self.body)
        fields = kwargs.get("update_fields")
        if fields is not None and "translation" not in fields:
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            # A translation link is kept on both stories: each story has at
            # most one, so linking unlinks whatever either story had before.
            # Saved one by one, so each unlinked story's pages are purged.
            if self.translation_id:
                self._unlink(translation_id=self.translation_id)
            super().save(*args, **kwargs)
            partner = self.translation
            self._unlink(translation_id=self.pk, keep=self.translation_id)
            if partner is not None and partner.translation_id != self.pk:
                partner.translation = self
                partner.save(update_fields=["translation", "modified_at"])

    def get_absolute_url(self) -> str:
        # Whatever page links to a story shows it: its key goes with the page.
        shows(f"s{self.pk}")
        # In the story's own language, whichever page links to it.
        return remembered_reverse(
            "articles:article-detail", self.language, pk=self.pk, slug=self.slug
        )

    def _unlink(self, translation_id: int, keep: int | None = None) -> None:
        linked = Article.objects.filter(translation_id=translation_id)
        for story in linked.exclude(pk__in=[self.pk, keep]):
            story.translation = None
            story.save(update_fields=["translation", "modified_at"])

    def clean(self) -> None:
        errors = {}
        if self.status == self.Status.PUBLISHED and not self.published_at:
            errors["published_at"] = "A published story needs a publication time."
        if self.translation_id and self.translation_id == self.pk:
            errors["translation"] = "A story cannot be its own translation."
        elif self.translation and self.translation.language == self.language:
            errors["translation"] = (
                "A translation is in the other language: this story and "
                f"“{self.translation}” are both in {self.get_language_display()}."
            )
        if self.video_url and not video_embed_url(self.video_url):
            errors["video_url"] = (
                "Only YouTube and Vimeo video page addresses can be embedded."
            )
        if self.kind == self.Kind.VIDEO and not (self.video_url or self.video_file):
            errors["video_url"] = "A video story needs a video address or file."
        # A lead picture uploaded with the story is not saved yet (forms.py).
        if self.video_file and not (self.lead_image_id or self.lead_image):
            errors["lead_image"] = (
                "An uploaded video needs a lead image: it is the poster shown "
                "before the video plays."
            )
        if errors:
            raise ValidationError(errors)

    def take_front_page_rank(self) -> list["Article"]:
        """Unpin the other published stories at this story's rank, so that
        saving this one can take it; returns them, unpinned and saved (their
        history shows it). Call it inside the transaction that saves this
        story: the rows stay locked until then."""
        if self.status != self.Status.PUBLISHED or self.front_page_rank is None:
            return []
        holders = list(
            Article.objects.select_for_update()
            .filter(
                status=self.Status.PUBLISHED,
                language=self.language,
                front_page_rank=self.front_page_rank,
            )
            .exclude(pk=self.pk)
        )
        for holder in holders:
            holder.front_page_rank = None
            holder.save(update_fields=["front_page_rank", "modified_at"])
        return holders

    @property
    def is_live(self) -> bool:
        """Whether readers may see the story: querysets.is_published(), the
        rule of ArticleQuerySet.published(), for a story in hand."""
        return bool(
            self.status == self.Status.PUBLISHED
            and self.published_at
            and self.published_at <= timezone.now()
        )

    @property
    def is_scheduled(self) -> bool:
        """Published for a time still to come: it goes live by itself then."""
        return self.status == self.Status.PUBLISHED and not self.is_live

    @property
    def video_embed(self) -> str:
        return video_embed_url(self.video_url) if self.video_url else ""

    @property
    def lead_caption(self) -> str:
        if self.lead_image_caption:
            return self.lead_image_caption
        return self.lead_image.caption if self.lead_image else ""

    @property
    def is_updated(self) -> bool:
        return bool(
            self.updated_at
            and self.published_at
            and self.updated_at > self.published_at
        )

    def body_blocks(self) -> list[tuple[str, list["ReadMoreLink"]]]:
        """The body as (block HTML, "read more" links after it) pairs.

        Uses the `read_more` links loaded by `load_parts()`; without them
        this runs a query. A link placed past the last block goes after it.
        """
        # Sanitised again: save() did it, but an import (bulk_create,
        # update()) may have stored a body without save(). Each block gets
        # its reading direction here, so stories stored before that get it.
        blocks = split_blocks(set_directions(sanitize(self.body)))
        pairs = [(block, []) for block in blocks]
        links = getattr(self, "read_more", None)
        for link in self.read_more_links.all() if links is None else links:
            if not pairs:
                break
            index = min(max(link.after_paragraph, 1), len(pairs)) - 1
            pairs[index][1].append(link)
        return pairs


class Byline(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="bylines"
    )
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="+")
    # Positions are not unique in the database: reordering in the admin saves
    # rows one at a time, and a swap would collide halfway through.
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "author"], name="articles_byline_author_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author} on {self.article}"


class ReadMoreLink(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="read_more_links"
    )
    target = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="read_more_backlinks",
        help_text="The story to point readers to. Its current headline is shown.",
    )
    after_paragraph = models.PositiveSmallIntegerField(
        default=1, help_text="Place the link after this paragraph of the body."
    )

    class Meta:
        ordering = ["after_paragraph", "pk"]
        verbose_name = "“read more” link"
        constraints = [
            models.CheckConstraint(
                condition=~Q(target=F("article")), name="articles_readmorelink_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"Read more: {self.target}"

    def clean(self) -> None:
        if self.target_id and self.target_id == self.article_id:
            raise ValidationError({"target": "A story cannot point to itself."})


class SeeAlsoLink(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="see_also_links"
    )
    position = models.PositiveSmallIntegerField(default=0)
    target = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="see_also_backlinks",
        help_text="A story on this site…",
    )
    url = WebAddressField(blank=True, help_text="…or a page elsewhere.")
    title = models.CharField(
        max_length=255, blank=True, help_text="Link text for a page elsewhere."
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "“See also” link"
        constraints = [
            models.CheckConstraint(
                condition=(Q(target__isnull=False) & Q(url=""))
                | (Q(target__isnull=True) & ~Q(url="") & ~Q(title="")),
                name="articles_seealsolink_story_or_url",
            ),
            models.CheckConstraint(
                condition=~Q(target=F("article")), name="articles_seealsolink_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"See also: {self.target or self.title}"

    def clean(self) -> None:
        if self.target_id and self.url:
            raise ValidationError("Choose a story or give an address, not both.")
        if not self.target_id and not self.url:
            raise ValidationError("Choose a story or give an address.")
        if self.url and not self.title:
            raise ValidationError({"title": "Give the link text for the address."})
        if self.target_id and self.target_id == self.article_id:
            raise ValidationError({"target": "A story cannot list itself."})

    @property
    def link_title(self) -> str:
        return self.target.headline if self.target_id else self.title

    @property
    def link_url(self) -> str:
        return self.target.get_absolute_url() if self.target_id else self.url


class GalleryImage(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="gallery_items"
    )
    image = models.ForeignKey(Image, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    caption = models.CharField(
        max_length=500,
        blank=True,
        help_text="Caption for this gallery only; leave empty to use the image's.",
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "gallery photo"

    def __str__(self) -> str:
        return f"{self.image} in {self.article}"

    @property
    def display_caption(self) -> str:
        return self.caption or self.image.caption


class ArticleNote(models.Model):
    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correction")
        UPDATE = "update", _("Update")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.TextField(
        help_text="What was wrong and what is right now, or what is new. "
        "Shown at the end of the story with its date."
    )
    created_at = models.DateTimeField(
        "date", default=timezone.now, help_text="Shown to readers."
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "correction or update"
        verbose_name_plural = "corrections and updates"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"


class StoryViews(models.Model):
    """How many readers opened a story on one day (local date), as counted by
    the beacon on story pages. One row per story per day; no reader data."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="daily_views"
    )
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "story views"
        verbose_name_plural = "story views"
        constraints = [
            models.UniqueConstraint(
                fields=["article", "day"], name="articles_storyviews_once_a_day"
            ),
        ]
        indexes = [
            # "Most read" lists: the counts of the last few days.
            models.Index(fields=["day"], name="articles_storyviews_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} on {self.day}: {self.views}"


class Purge(models.Model):
    """Keys of pages a committed change made out of date (see purge.py).

    Written in the same transaction as the change, so no purge is lost:
    every worker reads new rows to forget its cached pages, and the rows
    not yet sent to Varnish or the CDN are sent, and retried, from here."""

    keys = models.TextField(help_text="Space-separated page keys, e.g. s12 front.")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When Varnish or the CDN took it."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # A scheduled change's own purge, made once by whichever worker notices
    # its moment first, e.g. "due:12:1767225600".
    event = models.CharField(max_length=60, null=True, blank=True, unique=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="articles_purge_created_idx"),
            models.Index(
                fields=["created_at"],
                condition=Q(sent_at__isnull=True),
                name="articles_purge_unsent_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.keys
