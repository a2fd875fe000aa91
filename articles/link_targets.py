"""Stories as the targets of "Read more" and "See also" links.

A link shows only while its target is live (querysets.story_part()), so
the pickers in the story form say which candidates are not, and saving a
story warns about each link that will not show yet."""

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.http import HttpRequest
from django.utils import timezone

from .models import Article

# Under these headings the story form (and the story page) lists the links.
PLACES = {"read_more_links": "Read more", "see_also_links": "See also"}


def when(moment) -> str:
    """A time as the desk reads it: "9 Dec 14:00", with the year when it is
    not this year's."""
    local = timezone.localtime(moment)
    text = f"{local.day} {local:%b %H:%M}"
    if local.year != timezone.localtime().year:
        text = f"{local.day} {local:%b %Y %H:%M}"
    return text


def hidden_state(story: Article) -> str:
    """Why readers cannot see the story ("draft", "scheduled 9 Dec 14:00"),
    or "" when they can."""
    if story.is_live:
        return ""
    if story.is_scheduled:
        # clean() refuses a published story without a time; an import may
        # have stored one all the same.
        return f"scheduled {when(story.published_at)}" if story.published_at else ""
    return story.get_status_display().lower()


def story_label(story: Article) -> str:
    """The headline, followed by its state when the story is not live."""
    state = hidden_state(story)
    return f"{story.headline} — {state}" if state else story.headline


class StoryChoiceField(forms.ModelChoiceField):
    """The link target chosen when the form was loaded shows its state too."""

    def label_from_instance(self, obj: Article) -> str:
        return story_label(obj)


class StoryAutocompleteJsonView(AutocompleteJsonView):
    def serialize_result(self, obj, to_field_name) -> dict:
        result = super().serialize_result(obj, to_field_name)
        if isinstance(obj, Article):
            result["text"] = story_label(obj)
        return result


class StoryAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete, asking StoryAutocompleteJsonView (registered by
    ArticleAdmin.get_urls under this name) instead of the site's own."""

    url_name = "%s:articles_article_link_autocomplete"


def translation_label(story: Article) -> str:
    """A translation candidate: its language, then its headline and state."""
    return f"{story.get_language_display()}: {story_label(story)}"


class TranslationChoiceField(forms.ModelChoiceField):
    """The story's translation, shown with its language."""

    def label_from_instance(self, obj: Article) -> str:
        return translation_label(obj)


class TranslationAutocompleteJsonView(StoryAutocompleteJsonView):
    """The translation picker's search: only stories in another language
    than ?language= (the language of the story being edited)."""

    def get_queryset(self):
        stories = super().get_queryset()
        language = self.request.GET.get("language", "")
        if language in dict(settings.LANGUAGES):
            stories = stories.exclude(language=language)
        return stories

    def serialize_result(self, obj, to_field_name) -> dict:
        result = super().serialize_result(obj, to_field_name)
        result["text"] = translation_label(obj)
        return result


class TranslationAutocompleteSelect(AutocompleteSelect):
    """Asks TranslationAutocompleteView for stories in another language than
    `language`; static/js/article-admin.js changes it with the language
    select."""

    url_name = "%s:articles_article_translation_autocomplete"
    language = settings.LANGUAGE_CODE

    def get_url(self) -> str:
        return f"{super().get_url()}?{urlencode({'language': self.language})}"


class LinkTargetInline:
    """For the inlines of links to stories: the picker shows states."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "target":
            kwargs["widget"] = StoryAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
            kwargs["form_class"] = StoryChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def link_warning(place: str, target: Article) -> str:
    """What an editor is told about a link that does not show, or ""."""
    state = hidden_state(target)
    start = f"“{target.headline}” is linked under {place} but is"
    if not state:
        return ""
    if target.is_scheduled:
        return (
            f"{start} scheduled for {when(target.published_at)}: "
            "the link shows from then."
        )
    if target.status == Article.Status.WITHDRAWN:
        return (
            f"{start} withdrawn: the link will not show unless it is published again."
        )
    article = "a" if target.status == Article.Status.DRAFT else ""
    state = f"{article} {state}".strip()
    return f"{start} {state}: the link will not show until it is published."


def warn_about_hidden_links(request: HttpRequest, story: Article) -> None:
    """After a save: one warning for each story linked that readers cannot
    see yet (each target once per heading)."""
    seen = set()
    for relation, place in PLACES.items():
        links = (
            getattr(story, relation)
            .filter(target__isnull=False)
            .select_related("target")
        )
        for link in links:
            if (place, link.target_id) in seen:
                continue
            seen.add((place, link.target_id))
            if warning := link_warning(place, link.target):
                messages.warning(request, warning)
