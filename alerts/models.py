import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


def new_token() -> str:
    return secrets.token_urlsafe(32)


class EmailSubscriberQuerySet(models.QuerySet):
    def active(self):
        """Confirmed and not unsubscribed: who may be sent alerts."""
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)


class EmailSubscriber(models.Model):
    # Stored in lower case (the form lowers it), so unique regardless of case.
    email = models.EmailField(unique=True)
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text="The language of the page the reader subscribed from.",
    )
    wants_breaking = models.BooleanField("breaking news", default=True)
    wants_digest = models.BooleanField("daily digest", default=False)
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    objects = EmailSubscriberQuerySet.as_manager()

    class Meta:
        verbose_name = "e-mail subscriber"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.email


class EmailSend(models.Model):
    class Kind(models.TextChoices):
        BREAKING = "breaking", "Breaking news"
        DIGEST = "digest", "Daily digest"
        CONFIRM = "confirm", "Confirmation"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    story = models.ForeignKey(
        "articles.Article",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="email_sends",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="email_sends",
    )
    # The digest's day (one per language and day) or empty.
    language = models.CharField(max_length=8, blank=True)
    day = models.DateField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    sent_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "e-mail send"
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["language", "day"],
                condition=Q(kind="digest"),
                name="alerts_one_digest_per_day",
            )
        ]

    def __str__(self) -> str:
        at = timezone.localtime(self.started_at)
        return f"{self.get_kind_display()} at {at:%Y-%m-%d %H:%M}"


class PushSubscription(models.Model):
    """One browser's breaking-news notifications: where its push service
    takes messages (`endpoint`) and the keys they are encrypted with."""

    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField("public key", max_length=100)
    auth = models.CharField("auth secret", max_length=40)
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text="Alerts are sent for stories in this language.",
    )
    sections = models.ManyToManyField(
        "articles.Section",
        blank=True,
        related_name="+",
        help_text="Breaking stories of these sections only; none means all.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "push subscription"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return urlsplit(self.endpoint).hostname or self.endpoint[:40]


class PushSend(models.Model):
    """One breaking alert sent by web push: who sent it and what came of it."""

    story = models.ForeignKey(
        "articles.Article",
        null=True,
        on_delete=models.SET_NULL,
        related_name="push_sends",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="push_sends",
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    sent_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    removed_count = models.PositiveIntegerField(
        "expired",
        default=0,
        help_text="Subscriptions the push service said are gone (404 or 410), "
        "now deleted.",
    )
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "push alert"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Push alert at {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"
