"""The editors' live page of a story: post an update in seconds, see the
story's updates newest first with their edit and delete links, publish
writers' drafts, and start or end the coverage. It is the update list at
?story=<pk>; each update's own form corrects it."""

import reversion
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from reversion.admin import VersionAdmin

from articles.models import Article
from articles.roles import may_publish, stories_for

from .models import LiveCoverage, LiveUpdate


def row_id(text: str) -> int | None:
    """A row id from a query or form parameter; None (no row) for anything
    that is not one, too large numbers included."""
    return int(text) if text.isdigit() and len(text) <= 18 else None


class PostUpdateForm(forms.ModelForm):
    class Meta:
        model = LiveUpdate
        fields = ["text", "is_key_point", "image", "embed_url"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 4, "cols": 60}),
            "image": AutocompleteSelect(
                LiveUpdate._meta.get_field("image"), admin.site
            ),
        }


@admin.register(LiveUpdate)
class LiveUpdateAdmin(VersionAdmin):
    list_display = ["__str__", "article", "status", "is_key_point", "published_at"]
    list_filter = ["status", "is_key_point"]
    list_select_related = ["article"]
    autocomplete_fields = ["article", "image"]
    fields = [
        "article",
        "text",
        "is_key_point",
        "image",
        "embed_url",
        "status",
        "published_at",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        readonly = [] if obj is None else ["article"]
        if not may_publish(request.user):
            readonly += ["status", "published_at"]
        return readonly

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Writers correct their drafts; a published update is the editors'.
        allowed = super().has_change_permission(request, obj)
        if obj is None or may_publish(request.user):
            return allowed
        return allowed and obj.status == LiveUpdate.Status.DRAFT

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "article":
            # Writers add updates to the stories they may open.
            kwargs["queryset"] = stories_for(request.user, Article.objects.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj: LiveUpdate, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        if not may_publish(request.user):
            obj.status = LiveUpdate.Status.DRAFT
        super().save_model(request, obj, form, change)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        if "story" in request.GET:
            return self.story_view(request, request.GET["story"])
        return super().changelist_view(request, extra_context)

    def story_view(self, request: HttpRequest, story: str) -> HttpResponse:
        """The story's live page, and its buttons (POST)."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        # The stories the user may open (writers: their own and published).
        stories = stories_for(request.user, Article.objects.all())
        article = stories.filter(pk=row_id(story)).first()
        if article is None:
            raise Http404("No such story.")
        address = f"{reverse('admin:live_liveupdate_changelist')}?story={article.pk}"
        form = PostUpdateForm()
        if request.method == "POST":
            if "_start" in request.POST or "_end" in request.POST:
                self.start_or_end(request, article)
                return redirect(address)
            if "publish" in request.POST:
                self.publish(request, article, request.POST["publish"])
                return redirect(address)
            if not self.has_add_permission(request):
                raise PermissionDenied
            form = PostUpdateForm(request.POST)
            if form.is_valid():
                self.post(request, article, form)
                return redirect(address)
        updates = LiveUpdate.objects.filter(article=article).select_related(
            "created_by"
        )
        try:
            coverage = article.live_coverage
        except LiveCoverage.DoesNotExist:
            coverage = None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Live updates: {article.headline}",
            "opts": self.opts,
            "article": article,
            "coverage": coverage,
            "updates": updates.order_by("-published_at", "-created_at", "-pk"),
            "form": form,
            "media": self.media + form.media,
            "may_publish": may_publish(request.user),
            "filters": f"story%3D{article.pk}",
        }
        return TemplateResponse(request, "admin/live/story_updates.html", context)

    def post(self, request: HttpRequest, article: Article, form) -> None:
        update = form.save(commit=False)
        update.article = article
        update.created_by = request.user
        publish = "_publish" in request.POST and may_publish(request.user)
        update.status = (
            LiveUpdate.Status.PUBLISHED if publish else LiveUpdate.Status.DRAFT
        )
        with transaction.atomic(), reversion.create_revision():
            reversion.set_user(request.user)
            update.save()
        if publish:
            messages.success(request, "The update is published.")
        else:
            messages.success(request, "The update is saved as a draft.")

    def publish(self, request: HttpRequest, article: Article, pk: str) -> None:
        if not may_publish(request.user):
            raise PermissionDenied
        update = LiveUpdate.objects.filter(article=article, pk=row_id(pk)).first()
        if update is None:
            raise Http404("No such update.")
        update.status = LiveUpdate.Status.PUBLISHED
        update.published_at = timezone.now()
        with transaction.atomic(), reversion.create_revision():
            reversion.set_user(request.user)
            update.save()
        messages.success(request, "The update is published.")

    def start_or_end(self, request: HttpRequest, article: Article) -> None:
        if not may_publish(request.user):
            raise PermissionDenied
        if "_start" in request.POST:
            coverage, _ = LiveCoverage.objects.get_or_create(article=article)
            coverage.ended_at = None
            coverage.save()
            messages.success(request, "The story is live.")
        else:
            coverage = LiveCoverage.objects.filter(article=article).first()
            if coverage is not None:
                coverage.ended_at = timezone.now()
                coverage.save()
            messages.success(request, "The coverage has ended.")


@admin.register(LiveCoverage)
class LiveCoverageAdmin(admin.ModelAdmin):
    list_display = ["article", "started_at", "ended_at"]
    list_select_related = ["article"]
    autocomplete_fields = ["article"]
