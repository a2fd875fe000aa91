"""Editors send a breaking e-mail from a published breaking story: the
stories' action (or /<admin>/alerts/emailsend/breaking/<pk>/) shows how many
subscribers will get it; confirming starts the sending after the response.
At most one breaking e-mail per ALERT_EMAIL_MIN_INTERVAL seconds."""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from articles.models import Article
from articles.roles import may_publish

from . import sending
from .models import EmailSend, EmailSubscriber


@admin.register(EmailSubscriber)
class EmailSubscriberAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "language",
        "wants_breaking",
        "wants_digest",
        "confirmed_at",
        "unsubscribed_at",
    ]
    list_filter = ["language", "wants_breaking", "wants_digest"]
    search_fields = ["email"]
    readonly_fields = ["token", "created_at", "confirmation_sent_at"]


def too_soon() -> EmailSend | None:
    since = timezone.now() - timedelta(seconds=settings.ALERT_EMAIL_MIN_INTERVAL)
    return (
        EmailSend.objects.filter(kind=EmailSend.Kind.BREAKING, started_at__gt=since)
        .order_by("-started_at")
        .first()
    )


@admin.register(EmailSend)
class EmailSendAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "kind",
        "story",
        "sent_by",
        "sent_count",
        "failed_count",
        "finished_at",
    ]
    list_filter = ["kind"]
    list_select_related = ["story", "sent_by"]
    readonly_fields = [field.name for field in EmailSend._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self) -> list:
        return [
            path(
                "breaking/<int:pk>/",
                self.admin_site.admin_view(self.send_breaking_view),
                name="alerts_emailsend_breaking",
            ),
            *super().get_urls(),
        ]

    def send_breaking_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not may_publish(request.user):
            raise PermissionDenied
        story = Article.objects.published().filter(pk=pk, is_breaking=True).first()
        if story is None:
            raise Http404("No published breaking story.")
        story_admin = reverse("admin:articles_article_change", args=[story.pk])
        last = too_soon()
        if last is not None:
            minutes = settings.ALERT_EMAIL_MIN_INTERVAL // 60
            messages.error(
                request,
                f"Not sent: a breaking e-mail went out at "
                f"{timezone.localtime(last.started_at):%H:%M}; at most one every "
                f"{minutes} minutes.",
            )
            return redirect(story_admin)
        count = sending.breaking_subscribers(story).count()
        if request.method == "POST":
            send = EmailSend.objects.create(
                kind=EmailSend.Kind.BREAKING, story=story, sent_by=request.user
            )
            sending.in_background(sending.send_breaking, send.pk)
            messages.success(
                request,
                f"Sending the breaking e-mail to {count} subscribers; "
                "the e-mail sends list shows the outcome.",
            )
            return redirect(story_admin)
        context = {
            **self.admin_site.each_context(request),
            "title": "Send breaking e-mail",
            "story": story,
            "count": count,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/alerts/confirm_breaking.html", context)


@admin.action(description="Send breaking e-mail", permissions=["publish"])
def send_breaking_email(
    modeladmin, request: HttpRequest, queryset
) -> HttpResponse | None:
    """For ArticleAdmin.actions: one story at a time, to its confirmation."""
    if queryset.count() != 1:
        modeladmin.message_user(
            request, "Choose one breaking story to send by e-mail.", messages.ERROR
        )
        return None
    return redirect("admin:alerts_emailsend_breaking", pk=queryset.get().pk)
