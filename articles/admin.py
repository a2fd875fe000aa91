from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html

from .forms import ArticleAdminForm
from .models import (
    Article,
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
from .templatetags.articles_tags import rendition_url


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "story_count"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(story_count=Count("stories"))

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
    list_display = ["thumbnail", "__str__", "credit", "size", "created_at"]
    list_display_links = ["thumbnail", "__str__"]
    search_fields = ["alt_text", "caption", "credit"]
    date_hierarchy = "created_at"
    readonly_fields = ["preview", "width", "height", "created_at"]
    fields = [
        "file",
        "preview",
        "alt_text",
        "caption",
        "credit",
        ("focal_x", "focal_y"),
        ("width", "height"),
        "created_at",
    ]

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
        return format_html(
            '<img src="{}" alt="{}" style="max-width:480px;height:auto">',
            rendition_url(obj, 640),
            obj.alt_text,
        )

    @admin.display(description="Size")
    def size(self, obj: Image) -> str:
        return f"{obj.width}×{obj.height}"


class BylineInline(admin.TabularInline):
    model = Byline
    extra = 0
    autocomplete_fields = ["author"]
    fields = ["author", "position"]
    verbose_name = "author"
    verbose_name_plural = "byline (in order)"


class ReadMoreLinkInline(admin.TabularInline):
    model = ReadMoreLink
    fk_name = "article"
    extra = 0
    autocomplete_fields = ["target"]
    fields = ["target", "after_paragraph"]


class SeeAlsoLinkInline(admin.TabularInline):
    model = SeeAlsoLink
    fk_name = "article"
    extra = 0
    autocomplete_fields = ["target"]
    fields = ["target", "url", "title", "position"]


class GalleryImageInline(admin.TabularInline):
    model = GalleryImage
    extra = 0
    autocomplete_fields = ["image"]
    fields = ["image", "caption", "position"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    list_display = [
        "headline",
        "status",
        "kind",
        "section",
        "published_at",
        "is_breaking",
        "front_page_rank",
    ]
    list_filter = ["status", "kind", "is_breaking", "section", "regions", "source"]
    list_select_related = ["section"]
    search_fields = ["headline", "standfirst", "slug"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section", "regions", "source", "lead_image"]
    readonly_fields = ["created_at", "modified_at"]
    save_on_top = True
    list_per_page = 50
    fieldsets = [
        ("Story", {"fields": ["headline", "slug", "standfirst", "body", "kind"]}),
        (
            "Classification",
            {"fields": ["section", "regions", "source", "tags", "new_tags"]},
        ),
        (
            "Media",
            {"fields": ["lead_image", "lead_image_caption", "video_url", "video_file"]},
        ),
        (
            "Publishing",
            {
                "fields": [
                    "status",
                    "published_at",
                    "updated_at",
                    ("is_breaking", "breaking_until"),
                    "front_page_rank",
                    ("created_at", "modified_at"),
                ]
            },
        ),
    ]
    inlines = [BylineInline, ReadMoreLinkInline, SeeAlsoLinkInline, GalleryImageInline]
