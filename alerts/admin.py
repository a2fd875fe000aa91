"""Editors send a breaking alert from a published breaking story, by web push,
e-mail or both: the story form's "Send breaking alert" link and the stories'
action lead to /<admin>/alerts/pushsend/breaking/<pk>/, which shows how many
devices and subscribers will get it; confirming starts the sending after the
response. At most one push alert per ALERT_PUSH_MIN_INTERVAL seconds and one
breaking e-mail per ALERT_EMAIL_MIN_INTERVAL; the logs are the push alerts
and e-mail sends lists."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator

from articles.models import Article
from articles.roles import may_publish

from . import push, sending
from .models import EmailSend, EmailSubscriber, PushSend, PushSubscription


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


def last_within(model, seconds: int, **filters):
    """The latest send of `model` in the last `seconds`, if any: the rate
    limit's answer."""
    since = timezone.now() - timedelta(seconds=seconds)
    return (
        model.objects.filter(started_at__gt=since, **filters)
        .order_by("-started_at")
        .first()
    )


class SendAdmin(admin.ModelAdmin):
    """The sends' logs: read-only, written by the sending."""

    list_select_related = ["story", "sent_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list:
        return [field.name for field in self.model._meta.fields]


@admin.register(EmailSend)
class EmailSendAdmin(SendAdmin):
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


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "language", "section_names", "created_at"]
    list_filter = ["language", "sections"]
    readonly_fields = ["endpoint", "p256dh", "auth", "created_at", "updated_at"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("sections")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="sections")
    def section_names(self, obj: PushSubscription) -> str:
        return ", ".join(section.name for section in obj.sections.all()) or "All"


@admin.register(PushSend)
class PushSendAdmin(SendAdmin):
    list_display = [
        "__str__",
        "story",
        "sent_by",
        "sent_count",
        "failed_count",
        "removed_count",
        "finished_at",
    ]

    def get_urls(self) -> list:
        return [
            path(
                "breaking/<int:pk>/",
                self.admin_site.admin_view(self.send_breaking_view),
                name="alerts_breaking",
            ),
            *super().get_urls(),
        ]

    @method_decorator(transaction.atomic)
    def send_breaking_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not may_publish(request.user):
            raise PermissionDenied
        stories = Article.objects.published().filter(pk=pk, is_breaking=True)
        if request.method == "POST":
            # Two editors confirming the same story at once: the second
            # waits here, then finds the first one's send and is refused.
            stories = stories.select_for_update(of=("self",))
        story = stories.first()
        if story is None:
            raise Http404("No published breaking story.")
        channels = breaking_channels(story)
        data = request.POST if request.method == "POST" else None
        form = BreakingAlertForm(data, channels=channels)
        if request.method == "POST" and form.is_valid():
            sent = []
            if form.cleaned_data["push"]:
                row = PushSend.objects.create(story=story, sent_by=request.user)
                sending.in_background(push.send_breaking, row.pk)
                count = channels["push"]["count"]
                sent.append(f"{count} device{pluralize(count)} by push")
            if form.cleaned_data["email"]:
                row = EmailSend.objects.create(
                    kind=EmailSend.Kind.BREAKING, story=story, sent_by=request.user
                )
                sending.in_background(sending.send_breaking, row.pk)
                count = channels["email"]["count"]
                sent.append(f"{count} subscriber{pluralize(count)} by e-mail")
            messages.success(
                request,
                f"Sending the breaking alert to {' and '.join(sent)}; the push "
                "alerts and e-mail sends lists show the outcome.",
            )
            return redirect("admin:articles_article_change", story.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": "Send breaking alert",
            "story": story,
            "form": form,
            "channels": channels,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/alerts/confirm_breaking.html", context)


def breaking_channels(story: Article) -> dict:
    """Each channel's audience for `story`, and why it cannot be used now
    (not set up, or the rate limit), for the confirmation page."""
    channels = {
        "push": {
            "count": push.subscribers(story).count(),
            "interval": settings.ALERT_PUSH_MIN_INTERVAL,
            "last": last_within(PushSend, settings.ALERT_PUSH_MIN_INTERVAL),
            "off": ""
            if push.public_key()
            else "Web push is not set up (VAPID_PRIVATE_KEY).",
        },
        "email": {
            "count": sending.breaking_subscribers(story).count(),
            "interval": settings.ALERT_EMAIL_MIN_INTERVAL,
            "last": last_within(
                EmailSend,
                settings.ALERT_EMAIL_MIN_INTERVAL,
                kind=EmailSend.Kind.BREAKING,
            ),
            "off": "",
        },
    }
    for channel in channels.values():
        if channel["last"] is not None and not channel["off"]:
            at = timezone.localtime(channel["last"].started_at)
            channel["off"] = (
                f"Not now: one went out at {at:%H:%M}; at most one every "
                f"{channel['interval'] // 60} minutes."
            )
    return channels


class BreakingAlertForm(forms.Form):
    push = forms.BooleanField(required=False)
    email = forms.BooleanField(required=False)

    def __init__(self, *args, channels: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for name, channel in channels.items():
            field = self.fields[name]
            field.label = (
                f"Web push to {channel['count']} device{pluralize(channel['count'])}"
                if name == "push"
                else f"E-mail to {channel['count']} confirmed subscriber"
                f"{pluralize(channel['count'])}"
            )
            field.help_text = channel["off"]
            field.disabled = bool(channel["off"])
            field.initial = not channel["off"] and channel["count"] > 0

    def clean(self) -> dict:
        data = super().clean()
        if not (data.get("push") or data.get("email")):
            raise forms.ValidationError("Choose how to send the alert.")
        return data


@admin.action(description="Send breaking alert", permissions=["publish"])
def send_breaking_alert(
    modeladmin, request: HttpRequest, queryset
) -> HttpResponse | None:
    """For ArticleAdmin.actions: one story at a time, to its confirmation."""
    if queryset.count() != 1:
        modeladmin.message_user(
            request, "Choose one breaking story to send an alert for.", messages.ERROR
        )
        return None
    return redirect("admin:alerts_breaking", pk=queryset.get().pk)
