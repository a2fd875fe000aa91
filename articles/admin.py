from datetime import datetime
from typing import Literal

import reversion
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.forms import BaseModelFormSet
from django.forms.utils import pretty_name
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from reversion.admin import VersionAdmin
from reversion.models import Version

from accounts import audit
from alerts.admin import send_breaking_alert
from newsroom.security import CheckedLookups, with_nonce

from .desk import MyStoriesFilter, NeedsReviewFilter, PublicationFilter, is_breaking_now
from .forms import (
    ArticleActionForm,
    ArticleAdminForm,
    ArticleListForm,
    ImageAdminForm,
    draft_key,
    local_zone_name,
)
from .history import field_changes, related_changes
from .link_targets import (
    LinkTargetInline,
    StoryAutocompleteJsonView,
    TranslationAutocompleteJsonView,
    TranslationAutocompleteSelect,
    TranslationChoiceField,
    warn_about_hidden_links,
)
from .models import (
    Article,
    ArticleNote,
    Author,
    Byline,
    GalleryImage,
    Image,
    ReadMoreLink,
    Region,
    Section,
    SeeAlsoLink,
    Source,
)
from .roles import PUBLISHING_FIELDS, may_edit, may_publish, may_view, stories_for
from .templatetags.articles_tags import rendition_url

# Set on the response to a good save of a story; read and removed by
# static/js/story-autosave.js.
DRAFT_SAVED_COOKIE = "story_draft_saved"


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "story_count"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        # Meta.ordering is not applied to aggregating queries.
        return (
            super()
            .get_queryset(request)
            .annotate(story_count=Count("stories"))
            .order_by("position", "name")
        )

    @admin.display(description="Stories", ordering="story_count")
    def story_count(self, obj: Section) -> int:
        return obj.story_count


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "url"]
    search_fields = ["name"]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "bio"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["photo"]


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    form = ImageAdminForm
    list_display = ["thumbnail", "__str__", "credit", "size", "created_at"]
    list_display_links = ["thumbnail", "__str__"]
    search_fields = ["alt_text", "caption", "credit"]
    date_hierarchy = "created_at"
    readonly_fields = ["preview", "width", "height", "created_at"]
    fields = [
        "file",
        "kept",
        "preview",
        "alt_text",
        "caption",
        "credit",
        ("focal_x", "focal_y"),
        ("width", "height"),
        "created_at",
    ]

    class Media:
        js = ["js/focal-point.js"]

    def render_change_form(self, request: HttpRequest, context: dict, *args, **kw):
        if request.method == "POST":
            # A refused save: the picture chosen need not be chosen again.
            context["adminform"].form.keep_chosen_files()
        name_fields_with_errors(request, context)
        return super().render_change_form(request, context, *args, **kw)

    def save_model(self, request, obj: Image, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        form.discard_kept_files()

    @admin.display(description="")
    def thumbnail(self, obj: Image):
        return format_html(
            '<img src="{}" alt="" width="80" style="height:auto">',
            rendition_url(obj, 320),
        )

    @admin.display(description="Preview")
    def preview(self, obj: Image):
        if not obj.pk:
            return "—"
        # static/js/focal-point.js lets editors click the subject to set the
        # focal point; the crops below follow it once saved.
        return format_html(
            '<div class="focal-picker" data-focal-x="{}" data-focal-y="{}">'
            '<img src="{}" alt="{}" style="max-width:480px;height:auto">'
            '<span class="focal-picker__mark" aria-hidden="true"></span></div>'
            '<p class="help">Click the subject to set the focal point; crops '
            "keep it in view.</p>{}",
            obj.focal_x,
            obj.focal_y,
            rendition_url(obj, 640),
            obj.alt_text,
            self.crop_previews(obj),
        )

    def crop_previews(self, obj: Image):
        crops = [
            (slot, entries[-1])
            for slot, entries in obj.crops.items()
            if slot != "focal" and entries
        ]
        if not crops:
            return ""
        return format_html(
            '<div class="crop-previews">{}</div>',
            format_html_join(
                "",
                '<figure><img src="{}" alt="" height="90"><figcaption>{}'
                "</figcaption></figure>",
                ((default_storage.url(entry["jpeg"]), slot) for slot, entry in crops),
            ),
        )

    @admin.display(description="Size")
    def size(self, obj: Image) -> str:
        return f"{obj.width}×{obj.height}"


def times_are_local() -> str:
    """The one note on the newsroom's time zone. Django's own warning under
    each time box ("You are 5 hours behind server time") is hidden
    (static/css/admin.css): times are typed and shown in the newsroom's
    zone, whatever the editor's device is set to."""
    return (
        f"Times are {local_zone_name()} time ({timezone.localtime().tzname()}), "
        "whatever your device's clock says."
    )


def publication_state(story: Article) -> tuple:
    """The status and publication time a story has in the database now."""
    if story.pk is None:
        return (None, None)
    saved = Article.objects.filter(pk=story.pk).values_list("status", "published_at")
    return saved.first() or (None, None)


def audit_publication(request: HttpRequest, story: Article, before: tuple) -> None:
    """Record a story going live (now or at a time to come) or withdrawn by
    this save; a save that leaves it as it was (a draft, a correction to a
    published story) records nothing."""
    status, published_at = before
    now = timezone.now()
    target = f"story {story.pk}: {story.headline}"
    was_live = status == Article.Status.PUBLISHED and published_at <= now
    if (
        story.status == Article.Status.PUBLISHED
        and not was_live
        and (status != story.status or published_at != story.published_at)
    ):
        when = story.published_at
        if when > now:
            local = timezone.localtime(when).strftime("%d %b %Y %H:%M")
            detail = f"scheduled for {local}"
        else:
            detail = "published now"
        audit.record(
            audit.Action.PUBLISHED, request=request, target=target, detail=detail
        )
    elif story.status == Article.Status.WITHDRAWN and status != story.status:
        audit.record(audit.Action.WITHDRAWN, request=request, target=target)


def draft_saved(request: HttpRequest, response: HttpResponse, key: str) -> HttpResponse:
    """Tell static/js/story-autosave.js, on whichever page comes next, that
    the typing it kept under `key` is saved: a save that fails in any way
    (refused, a lost connection, an expired session) leaves it kept."""
    response.set_cookie(
        DRAFT_SAVED_COOKIE,
        key,
        max_age=120,
        secure=request.is_secure(),
        samesite="Lax",
    )
    return response


def is_rank_clash(error: IntegrityError) -> bool:
    """Whether the database refused a save for a front-page rank held by
    another published story (PostgreSQL names the constraint, SQLite the
    column)."""
    return "front_page_rank" in str(error)


class KeepsRelatedRecords:
    """No red cross beside Author, Section, Source and other related fields
    in the story form: it deletes the record itself (a whole section), not
    its link to the story. The add and change links stay."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(
            formfield.widget, RelatedFieldWidgetWrapper
        ):
            formfield.widget.can_delete_related = False
        return formfield


class RankListFormSet(BaseModelFormSet):
    """The story list's rank boxes: one save may not give two published
    stories in the same language the same rank (which of them would keep
    it?). Each language has its own front page."""

    def clean(self) -> None:
        super().clean()
        holders = {}
        for form in self.forms:
            rank = form.cleaned_data.get("front_page_rank")
            if rank is None or form.instance.status != Article.Status.PUBLISHED:
                continue
            place = (form.instance.language, rank)
            if place in holders:
                raise ValidationError(
                    f"“{holders[place]}” and “{form.instance}” cannot both be at "
                    f"{rank} on the front page: give one of them another rank."
                )
            holders[place] = form.instance


def fields_with_errors(context: dict) -> list[str]:
    """The names of the fields a refused save marked, in the form's order:
    the story's own fields by label, inline rows as "Links, row 2: URL" (or
    "Links, row 2" for an error about the whole row). An error about the
    whole story is shown above the form and not named here."""

    def marked(form) -> list[str]:
        return [
            capfirst(field.label or pretty_name(name))
            for name, field in form.fields.items()
            if name in form.errors
        ]

    named = marked(context["adminform"].form)
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        title = capfirst(inline.opts.verbose_name_plural)
        for number, row in enumerate(formset.forms, start=1):
            named += [f"{title}, row {number}: {label}" for label in marked(row)]
            if row.non_field_errors():
                named.append(f"{title}, row {number}")
        if formset.non_form_errors():
            named.append(title)
    return named


def name_fields_with_errors(request: HttpRequest, context: dict) -> None:
    """On a refused save, a message at the top naming the fields to correct:
    Django's own note only says "the error below", and on a long form the
    editor has to hunt for it. admin.css hides that note when this shows."""
    named = fields_with_errors(context) if context.get("errors") else []
    if named:
        noun = "error" if len(named) == 1 else "errors"
        messages.error(
            request,
            f"Please correct the {noun} below: {', '.join(named)}.",
            extra_tags="form-errors",
        )


class CardInline(admin.TabularInline):
    """A table on a laptop, a card per row on a phone: the template names
    each cell's column so the narrow layout in admin.css can show it."""

    template = "admin/articles/edit_inline/tabular.html"


class BylineInline(KeepsRelatedRecords, CardInline):
    model = Byline
    extra = 0
    autocomplete_fields = ["author"]
    fields = ["author", "position"]
    verbose_name = "author"
    verbose_name_plural = "byline (in order)"


class ReadMoreLinkInline(LinkTargetInline, KeepsRelatedRecords, CardInline):
    model = ReadMoreLink
    fk_name = "article"
    extra = 0
    autocomplete_fields = ["target"]
    fields = ["target", "after_paragraph"]
    verbose_name_plural = "“read more” links inside the body"


class SeeAlsoLinkInline(LinkTargetInline, KeepsRelatedRecords, CardInline):
    model = SeeAlsoLink
    fk_name = "article"
    extra = 0
    autocomplete_fields = ["target"]
    fields = ["target", "url", "title", "position"]
    verbose_name_plural = "“See also” links (in order)"


class GalleryImageInline(KeepsRelatedRecords, CardInline):
    model = GalleryImage
    extra = 0
    classes = ["collapse"]
    autocomplete_fields = ["image"]
    fields = ["thumbnail", "image", "caption", "position"]
    readonly_fields = ["thumbnail"]
    verbose_name_plural = "gallery photos (in order of position)"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("image")

    @admin.display(description="")
    def thumbnail(self, obj: GalleryImage):
        if not obj.pk:
            return ""
        return format_html(
            '<img src="{}" alt="" width="96" style="height:auto">',
            rendition_url(obj.image, 320),
        )


class ArticleNoteInline(KeepsRelatedRecords, CardInline):
    model = ArticleNote
    extra = 0
    classes = ["collapse"]
    fields = ["kind", "text", "created_at"]


class FrontPageFilter(admin.SimpleListFilter):
    title = "front page"
    parameter_name = "front_page"

    def lookups(self, request, model_admin):
        return [
            ("pinned", "Pinned (lead and top stories)"),
            ("breaking", "Breaking (until its expiry)"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "pinned":
            return queryset.filter(front_page_rank__isnull=False)
        if self.value() == "breaking":
            return queryset.filter(is_breaking_now())
        return queryset


@admin.register(Article)
class ArticleAdmin(CheckedLookups, KeepsRelatedRecords, VersionAdmin):
    """The story admin. Who may see, change and publish which story is
    decided in roles.py; the methods under "Who sees and edits what" and
    the history views only ask it. Every rule is checked on the server."""

    form = ArticleAdminForm
    action_form = ArticleActionForm
    list_display = [
        "headline",
        "language",
        "state",
        "section",
        "when",
        "front_page_rank",
        "created_by",
    ]
    list_editable = ["front_page_rank"]
    list_filter = [
        MyStoriesFilter,
        NeedsReviewFilter,
        "status",
        PublicationFilter,
        FrontPageFilter,
        "language",
        "kind",
        "section",
        "regions",
        "source",
    ]
    list_select_related = ["section", "created_by"]
    search_fields = ["headline", "standfirst", "slug"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section", "regions", "source", "lead_image"]
    list_per_page = 50
    history_latest_first = True
    object_history_template = "admin/articles/article/object_history.html"
    delete_confirmation_template = "admin/articles/article/delete_confirmation.html"
    inlines = [
        BylineInline,
        ReadMoreLinkInline,
        SeeAlsoLinkInline,
        GalleryImageInline,
        ArticleNoteInline,
    ]
    actions = [
        "publish_stories",
        "schedule_stories",
        "withdraw_stories",
        "mark_breaking",
        "unmark_breaking",
        send_breaking_alert,
    ]

    class Media:
        js = ["js/article-admin.js", "js/story-autosave.js"]
        css = {"all": ["css/story-versions.css"]}

    # Who sees and edits what.

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return may_publish(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return stories_for(request.user, super().get_queryset(request))

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or may_view(request.user, obj))

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_edit(request.user, obj))

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # A subclass per request, so the form knows who is saving (and
        # whether changeform_view met a rank clash).
        attrs = {
            "user": request.user,
            "rank_clash": getattr(request, "rank_clash", None),
        }
        return type(form.__name__, (form,), attrs)

    def get_changelist_form(self, request: HttpRequest, **kwargs):
        return super().get_changelist_form(request, form=ArticleListForm, **kwargs)

    def get_changelist_formset(self, request: HttpRequest, **kwargs):
        return super().get_changelist_formset(
            request, formset=RankListFormSet, **kwargs
        )

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        readonly = ["updated_at", "created_by", "created_at", "modified_at"]
        if not may_publish(request.user):
            readonly += PUBLISHING_FIELDS
        return readonly

    def get_fieldsets(self, request: HttpRequest, obj=None) -> list:
        publishing = [
            "status",
            "published_at",
            ("updated_at", "significant_update"),
            ("is_breaking", "breaking_until"),
            "front_page_rank",
            "loaded_modified_at",
        ]
        if not may_publish(request.user):
            publishing[2] = "updated_at"
        # The change form template puts the "story-writing" fieldsets first,
        # "story-publishing" in the panel with the Save buttons and the rest
        # after them.
        return [
            (
                "Story",
                {
                    "fields": [
                        "language",
                        "headline",
                        "standfirst",
                        "body",
                        "translation",
                    ],
                    "classes": ["story-writing"],
                },
            ),
            (
                "Lead picture",
                {
                    "fields": [
                        "lead_image",
                        "lead_image_caption",
                        "new_lead_picture",
                        "kept_lead_picture",
                        "new_lead_alt_text",
                        "new_lead_caption",
                        "new_lead_credit",
                        ("new_lead_focal_x", "new_lead_focal_y"),
                    ],
                    "classes": ["story-writing"],
                },
            ),
            (
                "Publishing",
                {
                    "fields": publishing,
                    "description": times_are_local(),
                    "classes": ["story-publishing"],
                },
            ),
            (
                "Classification",
                {
                    "fields": [
                        "kind",
                        "slug",
                        "section",
                        "regions",
                        "source",
                        "tags",
                        "new_tags",
                    ]
                },
            ),
            (
                "Video and gallery",
                {
                    "fields": [
                        "video_url",
                        "video_file",
                        "video_duration",
                        "gallery_photos",
                        "kept_gallery_photos",
                        "gallery_alt_text",
                    ],
                    "classes": ["collapse"],
                },
            ),
            (
                "Record",
                {
                    "fields": [("created_by", "created_at", "modified_at")],
                    "classes": ["collapse"],
                },
            ),
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "translation":
            # ArticleAdminForm tells the picker the story's language.
            kwargs["widget"] = TranslationAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
            kwargs["form_class"] = TranslationChoiceField
            kwargs["help_text"] = (
                "The same story in the other language: type a word of its "
                "headline. Saving links the two stories both ways; a story "
                "linked to either of them before is unlinked."
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changelist_instance(self, request: HttpRequest):
        changelist = super().get_changelist_instance(request)
        if not may_publish(request.user):
            # Front-page ranks are curation: writers get plain text, and a
            # forged "_save" POST finds no formset to save.
            changelist.list_editable = ()
        return changelist

    def render_change_form(self, request: HttpRequest, context: dict, *args, **kw):
        # The prose editor's inline import map needs the response's nonce
        # (add, change, and reversion's restore and recover forms).
        context["media"] = with_nonce(context["media"], request)
        if request.method == "POST" and "adminform" in context:
            # A refused save: the photos chosen need not be chosen again.
            context["adminform"].form.keep_chosen_files()
        name_fields_with_errors(request, context)
        return super().render_change_form(request, context, *args, **kw)

    def view_on_site(self, obj: Article) -> str | None:
        return obj.get_absolute_url() if obj.is_live else None

    # Columns.

    @admin.display(description="Status", ordering="status")
    def state(self, obj: Article) -> str:
        if obj.status == obj.Status.PUBLISHED and not obj.is_live:
            when = timezone.localtime(obj.published_at).strftime("%d %b %H:%M")
            state = f"Scheduled for {when}"
        else:
            state = obj.get_status_display()
        if not obj.is_breaking:
            return state
        if obj.breaking_until is None:
            return f"{state}, breaking"
        until = timezone.localtime(obj.breaking_until).strftime("%d %b %H:%M")
        if obj.breaking_until <= timezone.now():
            return f"{state}, breaking ended {until}"
        return f"{state}, breaking until {until}"

    @admin.display(description="Published", ordering="published_at")
    def when(self, obj: Article) -> str:
        if not obj.published_at:
            return "—"
        return timezone.localtime(obj.published_at).strftime("%d %b %Y %H:%M")

    # Saving.

    def save_model(self, request, obj: Article, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        if form.cleaned_data.get("significant_update"):
            obj.updated_at = timezone.now()
        before = publication_state(obj)
        self._take_rank(request, obj)
        super().save_model(request, obj, form, change)
        audit_publication(request, obj, before)

    # Front-page ranks: one published story per rank (a database
    # constraint). A story saved at a held rank takes it, the holder is
    # unpinned in the same transaction, and the editor is told.

    def _take_rank(self, request: HttpRequest, story: Article) -> None:
        for holder in story.take_front_page_rank():
            message = (
                f"Unpinned from the front page: “{story}” took rank "
                f"{story.front_page_rank}."
            )
            self.log_change(request, holder, message)
            unpinned = request.__dict__.setdefault("unpinned", [])
            unpinned.append((holder, story.front_page_rank))

    def _report_unpinned(self, request: HttpRequest) -> None:
        """Name each story this request unpinned and that is still unpinned
        (a list save that swaps two ranks unpins one for a moment)."""
        unpinned = request.__dict__.pop("unpinned", [])
        still = set(
            Article.objects.filter(
                pk__in=[holder.pk for holder, _ in unpinned],
                front_page_rank__isnull=True,
            ).values_list("pk", flat=True)
        )
        for holder, rank in unpinned:
            if holder.pk in still:
                self.message_user(
                    request,
                    f"“{holder}” was at {rank} on the front page; it is no "
                    "longer pinned.",
                    messages.WARNING,
                )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError as error:
            # Another editor's save took the rank between this form's check
            # and its save (the transaction is rolled back). The form is
            # shown again, as typed, saying so.
            holder = self._rank_holder(request, object_id)
            if not is_rank_clash(error) or holder is None:
                raise
            request.__dict__.pop("unpinned", None)
            request.rank_clash = holder
            return super().changeform_view(request, object_id, form_url, extra_context)

    def _rank_holder(self, request: HttpRequest, object_id) -> Article | None:
        try:
            rank = int(request.POST.get("front_page_rank", ""))
        except ValueError:
            return None
        holders = Article.objects.filter(
            status=Article.Status.PUBLISHED,
            language=request.POST.get("language", settings.LANGUAGE_CODE),
            front_page_rank=rank,
        )
        if object_id:
            holders = holders.exclude(pk=unquote(object_id))
        return holders.first()

    def save_related(self, request, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not isinstance(form, ArticleAdminForm):
            return  # a row of the story list's ranks
        self._add_gallery_photos(request, form)
        form.discard_kept_files()  # stored as the story's Images now

    def _add_gallery_photos(self, request: HttpRequest, form) -> None:
        photos = form.cleaned_data.get("gallery_photos") or []
        if not photos:
            return
        article = form.instance
        start = (article.gallery_items.aggregate(last=Max("position"))["last"] or 0) + 1
        alt_text = form.cleaned_data["gallery_alt_text"]
        for number, photo in enumerate(photos):
            image = Image(file=photo, alt_text=f"{alt_text}, photo {start + number}")
            image.save()
            GalleryImage.objects.create(
                article=article, image=image, position=start + number
            )
        messages.success(request, f"{len(photos)} photos added to the gallery.")

    # Before the "saved" message: a story this one took the rank from; after
    # it: the links that will not show yet.

    def response_add(self, request, obj: Article, *args, **kwargs):
        self._report_unpinned(request)
        response = super().response_add(request, obj, *args, **kwargs)
        warn_about_hidden_links(request, obj)
        return draft_saved(request, response, draft_key(request.user.pk, None))

    def response_change(self, request, obj: Article):
        self._report_unpinned(request)
        response = super().response_change(request, obj)
        warn_about_hidden_links(request, obj)
        return draft_saved(request, response, draft_key(request.user.pk, obj.pk))

    # Actions: editors only (permissions=["publish"]); each saves every story
    # in its own revision and reports how many changed.

    def _apply(self, request: HttpRequest, stories, change: dict, verb: str) -> int:
        changed = 0
        with transaction.atomic():
            for story in stories:
                if all(getattr(story, name) == value for name, value in change.items()):
                    continue
                before = (story.status, story.published_at)
                for name, value in change.items():
                    setattr(story, name, value)
                with reversion.create_revision():
                    reversion.set_user(request.user)
                    reversion.set_comment(f"{verb} from the story list.")
                    # A pinned draft published here takes its rank.
                    self._take_rank(request, story)
                    story.save()
                audit_publication(request, story, before)
                self.log_change(request, story, f"{verb} from the story list.")
                changed += 1
        return changed

    def _report(self, request: HttpRequest, count: int, what: str) -> None:
        noun = "story" if count == 1 else "stories"
        self.message_user(request, f"{count} {noun} {what}.", messages.SUCCESS)

    @admin.action(description="Publish now", permissions=["publish"])
    def publish_stories(self, request: HttpRequest, queryset: QuerySet) -> None:
        now = timezone.now()
        # Stories published before (and withdrawn) keep their first time;
        # drafts and scheduled ones go live now.
        earlier = queryset.filter(published_at__lte=now)
        changed = self._apply(
            request, earlier, {"status": Article.Status.PUBLISHED}, "Published"
        )
        changed += self._apply(
            request,
            queryset.filter(Q(published_at__isnull=True) | Q(published_at__gt=now)),
            {"status": Article.Status.PUBLISHED, "published_at": now},
            "Published",
        )
        self._report(request, changed, "published")

    @admin.action(description="Schedule for the time given", permissions=["publish"])
    def schedule_stories(self, request: HttpRequest, queryset: QuerySet) -> None:
        when = self._action_time(request)
        if not when or when <= timezone.now():
            self.message_user(
                request,
                "Give a time in the future in the “Time” box to schedule stories.",
                messages.ERROR,
            )
            return
        changed = self._apply(
            request,
            queryset,
            {"status": Article.Status.PUBLISHED, "published_at": when},
            "Scheduled",
        )
        local = timezone.localtime(when).strftime("%d %b %Y %H:%M")
        self._report(request, changed, f"scheduled for {local}")

    @admin.action(description="Withdraw (410 Gone)", permissions=["publish"])
    def withdraw_stories(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = self._apply(
            request,
            queryset,
            {"status": Article.Status.WITHDRAWN, "front_page_rank": None},
            "Withdrawn",
        )
        self._report(request, changed, "withdrawn")

    @admin.action(
        description="Mark as breaking (until the time given, if any)",
        permissions=["publish"],
    )
    def mark_breaking(self, request: HttpRequest, queryset: QuerySet) -> None:
        until = self._action_time(request)
        if until is False or (until is not None and until <= timezone.now()):
            self.message_user(
                request,
                "The breaking-news expiry in the “Time” box must be in the future "
                "(or leave it empty).",
                messages.ERROR,
            )
            return
        changed = self._apply(
            request,
            queryset,
            {"is_breaking": True, "breaking_until": until},
            "Marked as breaking",
        )
        self._report(request, changed, "marked as breaking")

    @admin.action(description="Remove from breaking news", permissions=["publish"])
    def unmark_breaking(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = self._apply(
            request,
            queryset,
            {"is_breaking": False, "breaking_until": None},
            "Removed from breaking news",
        )
        self._report(request, changed, "removed from breaking news")

    def response_action(self, request: HttpRequest, queryset: QuerySet):
        # Django says "No action selected." when any box of the action bar
        # is not valid; say what is wrong with the time instead.
        form = self.action_form(request.POST, auto_id=None)
        form.fields["action"].choices = self.get_action_choices(request)
        time_refused = "when" in form.errors and "action" not in form.errors
        if not form.is_valid() and time_refused:
            self.message_user(
                request,
                "The “Time” box needs a date (YYYY-MM-DD) and a time (HH:MM), "
                "or nothing at all; no story was changed.",
                messages.ERROR,
            )
            return None
        return super().response_action(request, queryset)

    def _action_time(self, request: HttpRequest) -> datetime | None | Literal[False]:
        """The "Time" box of the action bar: None when empty, False when it
        is not a valid time."""
        field = self.action_form.base_fields["when"]
        try:
            typed = field.widget.value_from_datadict(request.POST, {}, "when")
            return field.clean(typed)
        except ValidationError:
            return False

    # History: restoring is for editors; anyone who may see the story may
    # see what changed.

    def get_urls(self) -> list:
        return [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.compare_view),
                name="articles_article_compare",
            ),
            path(
                "<path:object_id>/history/<int:version_id>/changes/",
                self.admin_site.admin_view(self.changes_view),
                name="articles_article_changes",
            ),
            # The link pickers' search (articles/link_targets.py).
            path(
                "link-autocomplete/",
                self.admin_site.admin_view(
                    StoryAutocompleteJsonView.as_view(admin_site=self.admin_site)
                ),
                name="articles_article_link_autocomplete",
            ),
            # The translation picker's search: stories in the other language.
            path(
                "translation-autocomplete/",
                self.admin_site.admin_view(
                    TranslationAutocompleteJsonView.as_view(admin_site=self.admin_site)
                ),
                name="articles_article_translation_autocomplete",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        # reversion's "Recover deleted articles" button shows for anyone who
        # may change stories; recovering is for editors.
        context = {"has_change_permission": may_publish(request.user)}
        try:
            response = super().changelist_view(request, context | (extra_context or {}))
        except IntegrityError as error:
            # Another editor's save took a rank while this one was saving;
            # everything this save did is rolled back.
            if not is_rank_clash(error):
                raise
            request.__dict__.pop("unpinned", None)
            self.message_user(
                request,
                "Another editor changed the front page while you were saving, so "
                "nothing was saved. Check the ranks below and save again.",
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        self._report_unpinned(request)
        return response

    def revision_view(self, request, object_id, version_id, extra_context=None):
        if not may_publish(request.user):
            raise PermissionDenied
        return super().revision_view(request, object_id, version_id, extra_context)

    def recover_view(self, request, version_id, extra_context=None):
        if not may_publish(request.user):
            raise PermissionDenied
        return super().recover_view(request, version_id, extra_context)

    def recoverlist_view(self, request, extra_context=None):
        if not may_publish(request.user):
            raise PermissionDenied
        return super().recoverlist_view(request, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        versions = (
            Version.objects.get_for_object_reference(Article, unquote(object_id))
            .select_related("revision__user")
            .order_by("-pk")
        )
        action_list = [
            {
                "revision": version.revision,
                "version_id": version.pk,
                "url": reverse(
                    "admin:articles_article_revision",
                    args=[quote(version.object_id), version.pk],
                ),
            }
            for version in versions
        ]
        context = {"action_list": action_list, "can_restore": may_publish(request.user)}
        # Django's own view checks permissions; reversion's would list the
        # versions without their ids.
        return admin.ModelAdmin.history_view(
            self, request, object_id, context | (extra_context or {})
        )

    def changes_view(
        self, request: HttpRequest, object_id: str, version_id: int
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such story.")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        versions = list(
            Version.objects.get_for_object(obj)
            .select_related("revision__user")
            .order_by("pk")
        )
        index = next(
            (i for i, version in enumerate(versions) if version.pk == version_id), None
        )
        if index is None:
            raise Http404("No such revision of this story.")
        version = versions[index]
        previous = versions[index - 1] if index else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": f"What changed in “{obj}”",
            "version": version,
            "previous": previous,
            "newer": versions[index + 1] if index + 1 < len(versions) else None,
            "field_changes": field_changes(previous, version),
            "related_changes": related_changes(previous, version),
            "can_restore": may_publish(request.user),
        }
        return TemplateResponse(request, "admin/articles/article/changes.html", context)

    def compare_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Any two versions of a story, as chosen on its history page
        (?from=&to=, in either order)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such story.")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        ids = [request.GET.get(name, "") for name in ("from", "to")]
        # Digits only, and within what a database id can be.
        if not all(v.isascii() and v.isdigit() and len(v) < 19 for v in ids):
            raise BadRequest("Choose two versions to compare.")
        chosen = [int(v) for v in ids]
        history = reverse("admin:articles_article_history", args=[quote(obj.pk)])
        if chosen[0] == chosen[1]:
            self.message_user(
                request, "Choose two different versions to compare.", messages.ERROR
            )
            return HttpResponseRedirect(history)
        versions = list(
            Version.objects.get_for_object(obj)
            .filter(pk__in=chosen)
            .select_related("revision__user")
            .order_by("pk")
        )
        if len(versions) != 2:
            raise Http404("No such revision of this story.")
        older, newer = versions
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": f"Two versions of “{obj}”",
            "comparing": True,
            "version": newer,
            "previous": older,
            "field_changes": field_changes(older, newer),
            "related_changes": related_changes(older, newer),
            "can_restore": may_publish(request.user),
        }
        return TemplateResponse(request, "admin/articles/article/changes.html", context)

    # Deleting: name the stories whose links will go.

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        linking = []
        if obj is not None:
            linking = list(
                Article.objects.filter(
                    Q(read_more_links__target=obj) | Q(see_also_links__target=obj)
                )
                .exclude(pk=obj.pk)
                .distinct()
                .only("pk", "headline")
            )
        context = {"linking_stories": linking} | (extra_context or {})
        return super().delete_view(request, object_id, context)
