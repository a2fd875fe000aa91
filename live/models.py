"""Live coverage of a developing story: short timestamped updates on its
page, newest first, with key points pinned to the top."""

import reversion
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.html import linebreaks, strip_tags

from articles.html import sanitize
from articles.models import Article, Image, WebAddressField, video_embed_url


class LiveCoverage(models.Model):
    """A story is live while it has coverage that has not ended."""

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, related_name="live_coverage"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Once set, the story's page says the coverage has ended.",
    )

    class Meta:
        verbose_name_plural = "live coverage"

    def __str__(self) -> str:
        return f"Live coverage of {self.article_id}"

    @property
    def is_live(self) -> bool:
        return self.ended_at is None


class LiveUpdateQuerySet(models.QuerySet):
    def published(self) -> "LiveUpdateQuerySet":
        """Updates readers may see: published, at a time that has come."""
        return self.filter(
            status=LiveUpdate.Status.PUBLISHED, published_at__lte=timezone.now()
        )

    def for_readers(self) -> "LiveUpdateQuerySet":
        """Published updates as the story page lists them: key points first,
        then newest first, each with its picture, in one query."""
        return (
            self.published()
            .select_related("image")
            .order_by("-is_key_point", "-published_at", "-pk")
        )


@reversion.register()
class LiveUpdate(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="live_updates"
    )
    text = models.TextField(
        help_text="A few sentences. Plain text (blank lines start paragraphs) "
        "or simple HTML; scripts, styles and unsafe links are removed on save."
    )
    image = models.ForeignKey(
        Image,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="live_updates",
        help_text="Optional picture, shown under the text.",
    )
    embed_url = WebAddressField(
        blank=True,
        help_text="Optional YouTube or Vimeo address, shown as a player.",
    )
    is_key_point = models.BooleanField(
        "key point",
        default=False,
        help_text="Pinned to the top of the coverage.",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="The time readers see on the update."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="live_updates",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = LiveUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [
            # The story page's list of updates.
            models.Index(
                fields=["article", "status", "published_at"],
                name="live_update_story_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="published")
                | models.Q(published_at__isnull=False),
                name="live_liveupdate_published_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"Update {self.pk} on story {self.article_id}"

    def save(self, *args, **kwargs) -> None:
        text = self.text if "<" in self.text else linebreaks(self.text)
        self.text = sanitize(text)
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"{self.article.get_absolute_url()}#update-{self.pk}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.embed_url and not video_embed_url(self.embed_url):
            raise ValidationError(
                {"embed_url": "Only YouTube and Vimeo addresses can be embedded."}
            )

    @property
    def plain_text(self) -> str:
        # Blocks apart by a space: "<p>One.</p><p>Two.</p>" is "One. Two."
        return strip_tags(self.text.replace("><", "> <")).strip()

    @property
    def embed(self) -> str:
        """The player address, or "" for anything but YouTube and Vimeo."""
        return video_embed_url(self.embed_url) if self.embed_url else ""
