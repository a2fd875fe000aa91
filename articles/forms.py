import json
from datetime import UTC, date, datetime

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.widgets import (
    AdminFileWidget,
    AdminSplitDateTime,
    AutocompleteSelectMultiple,
)
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from django_prose_editor.fields import ProseEditorFormField
from django_prose_editor.widgets import AdminProseEditorWidget
from reversion.models import Version
from taggit.models import Tag
from taggit.utils import parse_tags

from .history import text_of, word_diff
from .html import sanitize
from .kept import discard, keep, kept_files
from .models import Article, Image, Region, Section
from .roles import EDITOR_ONLY_FIELDS, WRITER_STATUSES, may_publish
from .search import MAX_QUERY_LENGTH
from .uploads import check_mp4_upload, clean_image_upload

# The story form's fields written in the story's language: shown in its
# direction (right to left for Urdu).
WRITTEN_IN_LANGUAGE = ["headline", "standfirst", "slug", "body"]

# What the body editor offers. html.ALLOWED_TAGS must allow everything these
# produce (a test checks it); sanitize() runs on whatever the browser sends.
BODY_EDITOR_EXTENSIONS = {
    "Heading": {"levels": [2, 3, 4]},
    "Bold": True,
    "Italic": True,
    "Underline": True,
    "Strike": True,
    "Subscript": True,
    "Superscript": True,
    # Tiptap's link is "inclusive" (text typed at its end joins it) exactly
    # when autolink is on, so a full stop typed after a link went inside it.
    # Without autolink a typed address stays text until linked with the
    # button (or pasted over a selection).
    "Link": {
        "enableTarget": False,
        "protocols": ["http", "https", "mailto"],
        "autolink": False,
    },
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HorizontalRule": True,
    "HardBreak": True,
}


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several pictures at once, each checked by clean_image_upload()."""

    widget = MultipleFileInput

    def has_changed(self, initial, data) -> bool:
        return bool(data)

    def clean(self, data, initial=None) -> list:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        cleaned, errors = [], []
        for file in files:
            file = super().clean(file, initial)
            try:
                cleaned.append(clean_image_upload(file))
            except ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise ValidationError(errors)
        return cleaned


class NewPictureInput(forms.FileInput):
    """A file box for a picture not yet uploaded. focal-point.js lets a file
    be dropped on it and previews the chosen picture for its focal point."""

    class Media:
        js = ["js/focal-point.js"]


class KeepsChosenFiles(forms.Form):
    """A form whose checked uploads survive a refused save (kept.py).

    `kept_fields` maps each file field to the hidden field that carries the
    token of its kept files. The field's clean method passes the files just
    chosen (after their checks) through checked_or_kept(); the admin calls
    keep_chosen_files() when it shows a refused form again and
    discard_kept_files() after a good save.
    """

    kept_fields: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.checked_uploads = {}  # field: [(checked file, chosen name)]
        self.kept = {}  # field: [(file, path in storage, chosen name)]
        self.kept_paths = {}  # field: [path in storage], once kept again
        if not self.is_bound:
            return
        for field, token_field in self.kept_fields.items():
            files = kept_files(self.data.get(self.add_prefix(token_field), ""))
            if files:
                self.kept[field] = files
                # The files are there, though the browser sends none.
                self.fields[field].required = False

    def checked_or_kept(self, field: str, checked: list) -> list:
        """The files chosen now, else the kept ones (else none)."""
        if checked:
            names = [file.name for file in self.files.getlist(self.add_prefix(field))]
            self.checked_uploads[field] = list(zip(checked, names, strict=True))
            return checked
        return [file for file, _, _ in self.kept.get(field, [])]

    def keep_chosen_files(self) -> None:
        """After a refused save: keep the files that passed their checks and
        say so beside their fields."""
        for field, token_field in self.kept_fields.items():
            if field in self.checked_uploads:
                # A new choice replaces what was kept.
                discard(path for _, path, _ in self.kept.get(field, []))
                token, paths = keep(self.checked_uploads[field])
                names = [chosen for _, chosen in self.checked_uploads[field]]
            elif field in self.kept:
                token = self.data[self.add_prefix(token_field)]
                paths = [path for _, path, _ in self.kept[field]]
                names = [chosen for _, _, chosen in self.kept[field]]
            else:
                continue
            self.kept_paths[field] = paths
            self.data = self.data.copy()  # a request's QueryDict is read-only
            self.data[self.add_prefix(token_field)] = token
            if len(names) == 1:
                note = f"{names[0]} is kept; you need not choose it again."
            else:
                note = f"{', '.join(names)} are kept; you need not choose them again."
            # The bound field copied the help text when validation made it.
            self[field].help_text = note

    def forget_chosen_files(self, field: str) -> None:
        """Drop the files chosen or kept for `field`: they are not used and
        not kept for the next save."""
        self.checked_uploads.pop(field, None)
        discard(path for _, path, _ in self.kept.pop(field, []))
        self.data = self.data.copy()
        self.data[self.add_prefix(self.kept_fields[field])] = ""

    def discard_kept_files(self) -> None:
        """After a good save: the kept files are stored where they belong."""
        for files in self.kept.values():
            discard(path for _, path, _ in files)


# The fields an edit conflict shows side by side, and the box that lets the
# next save replace the other person's version.
CONFLICT_FIELDS = ["headline", "standfirst", "body"]
OVERWRITE_FIELD = "overwrite_modified_at"


def draft_key(user_id: int, story_id: int | None) -> str:
    """Where the browser keeps an account's unsaved typing in a story form."""
    return f"story-draft.{user_id}.{story_id or 'new'}"


def _token(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat() if moment else ""


class TakesFrontPageRank:
    """A story saved at a front-page rank another published story holds
    takes the rank (ArticleAdmin.save_model unpins the other and says so),
    so the form does not refuse it as a constraint violation. The database
    constraint still guards the save; ArticleAdmin turns a clash it reports
    (two editors at once) into `rank_clash`, a form error."""

    rank_clash = None

    def _get_validation_exclusions(self) -> set[str]:
        return super()._get_validation_exclusions() | {"front_page_rank"}

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.rank_clash is not None:
            self.add_error(
                "front_page_rank",
                f"While you were saving, another editor put “{self.rank_clash}” "
                f"at {self.rank_clash.front_page_rank} on the front page, so "
                "nothing was saved. Save again to put this story there instead "
                "(the other is then unpinned), or choose another rank.",
            )
        return cleaned


class ArticleListForm(TakesFrontPageRank, forms.ModelForm):
    """A row of the story list's front-page ranks."""


class ArticleAdminForm(TakesFrontPageRank, KeepsChosenFiles, forms.ModelForm):
    """The story form. ArticleAdmin sets `user`; writers get fewer choices."""

    user = None

    body = ProseEditorFormField(
        required=False,
        extensions=BODY_EDITOR_EXTENSIONS,
        sanitize=sanitize,
        widget=AdminProseEditorWidget,
        help_text="Headings, bold, italic, links, lists and quotes. Scripts, "
        "styles and unsafe links are removed on save.",
    )
    tags = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.all(),
        required=False,
        widget=AutocompleteSelectMultiple(Article._meta.get_field("tags"), admin.site),
        help_text="Start typing to find an existing tag.",
    )
    new_tags = forms.CharField(
        required=False,
        max_length=500,
        help_text="Tags that do not exist yet, separated by commas.",
    )
    significant_update = forms.BooleanField(
        required=False,
        label="Significant update",
        help_text="Tick when the story changed in substance: readers see "
        "“Updated” with the time of this save. Leave unticked for typo fixes.",
    )
    gallery_photos = MultipleImageField(
        required=False,
        label="Add photos to the gallery",
        help_text="Choose several pictures at once (JPEG, PNG, WebP or GIF). "
        "They are added after the gallery's current photos; reorder them "
        "below.",
    )
    gallery_alt_text = forms.CharField(
        required=False,
        max_length=280,
        label="Alt text for the added photos",
        help_text="Required with new photos; each gets it with its number "
        "(“…, photo 2”). Refine it per photo under Images.",
    )
    kept_gallery_photos = forms.CharField(required=False, widget=forms.HiddenInput)
    # A new lead picture, uploaded from the story form: saved as an Image
    # (checked as the Image form checks it) and made the lead in the same
    # save. focal-point.js previews it and sets the focal point on a click.
    new_lead_picture = forms.FileField(
        required=False,
        label="Or upload a new picture",
        widget=NewPictureInput(
            attrs={
                "accept": "image/jpeg,image/png,image/webp,image/gif",
                "data-focal-x": "id_new_lead_focal_x",
                "data-focal-y": "id_new_lead_focal_y",
            }
        ),
        help_text="JPEG, PNG, WebP or GIF; location and camera data are "
        "removed. It replaces the lead image when the story is saved.",
    )
    kept_lead_picture = forms.CharField(required=False, widget=forms.HiddenInput)
    new_lead_alt_text = Image._meta.get_field("alt_text").formfield(
        required=False,
        label="Alt text of the new picture",
        help_text="Required with a new picture: describe what it shows for "
        "readers who cannot see it.",
    )
    new_lead_caption = Image._meta.get_field("caption").formfield(
        label="Caption", help_text="The picture's own caption, shown under it."
    )
    new_lead_credit = Image._meta.get_field("credit").formfield(label="Credit")
    new_lead_focal_x = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=100,
        initial=50,
        label="Focal point, from the left (%)",
    )
    new_lead_focal_y = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=100,
        initial=50,
        label="from the top (%)",
        help_text="The part of the picture crops keep in view. Click the "
        "subject in the preview to set it.",
    )
    loaded_modified_at = forms.CharField(required=False, widget=forms.HiddenInput)
    kept_fields = {
        "gallery_photos": "kept_gallery_photos",
        "new_lead_picture": "kept_lead_picture",
    }

    class Meta:
        model = Article
        # ArticleAdmin passes the full field list from its fieldsets.
        fields = ["tags"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        loaded = self.fields["loaded_modified_at"]
        loaded.initial = _token(self.instance.modified_at)
        if self.user is not None:
            # static/js/story-autosave.js keeps unsaved typing in the browser
            # under this key, per account and story.
            loaded.widget.attrs |= {
                "data-draft-key": draft_key(self.user.pk, self.instance.pk),
                "data-time-zone": str(timezone.get_current_timezone()),
            }
        if "language" in self.fields:
            self._set_direction(self["language"].value())
        if not may_publish(self.user) and "status" in self.fields:
            self.fields["status"].choices = [
                (status.value, status.label) for status in WRITER_STATUSES
            ]
            self.fields["status"].help_text = (
                "Set “In review” when the story is ready: an editor then "
                "checks and publishes it."
            )

    def _get_validation_exclusions(self) -> set[str]:
        # Choosing a story that has a translation already is allowed: saving
        # links the two and unlinks their old partners (Article.save()).
        # Article.clean() still refuses a story in the same language.
        return super()._get_validation_exclusions() | {"translation"}

    def _set_direction(self, language: str) -> None:
        """Write the story's text fields in its language and direction
        (right to left for Urdu), and offer translations in the others.
        static/js/article-admin.js does the same when the language changes."""
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        direction = "rtl" if get_language_info(language)["bidi"] else "ltr"
        self.fields["language"].widget.attrs["data-directions"] = json.dumps(
            {
                code: "rtl" if get_language_info(code)["bidi"] else "ltr"
                for code, _name in settings.LANGUAGES
            }
        )
        for name in WRITTEN_IN_LANGUAGE:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs |= {"lang": language, "dir": direction}
        if "translation" in self.fields:
            picker = self.fields["translation"].widget
            getattr(picker, "widget", picker).language = language

    def clean_new_tags(self) -> list[str]:
        names = parse_tags(self.cleaned_data["new_tags"])
        too_long = [name for name in names if len(name) > 100]
        if too_long:
            raise forms.ValidationError("A tag can be at most 100 characters long.")
        return names

    def clean_gallery_photos(self) -> list:
        return self.checked_or_kept(
            "gallery_photos", self.cleaned_data["gallery_photos"]
        )

    def keep_chosen_files(self) -> None:
        super().keep_chosen_files()
        if kept := self.kept_paths.get("new_lead_picture"):
            # focal-point.js shows the kept picture to set its focal point.
            widget = self.fields["new_lead_picture"].widget
            widget.attrs["data-kept-url"] = default_storage.url(kept[0])

    def clean_new_lead_picture(self):
        upload = self.cleaned_data["new_lead_picture"]
        checked = [clean_image_upload(upload)] if upload else []
        chosen = self.checked_or_kept("new_lead_picture", checked)
        return chosen[0] if chosen else None

    def clean_video_file(self):
        video = self.cleaned_data.get("video_file")
        if video and video is not self.initial.get("video_file"):
            check_mp4_upload(video)
        return video

    def clean(self) -> dict:
        cleaned = super().clean()
        if not may_publish(self.user):
            self._refuse_editor_only_fields()
        if cleaned.get("gallery_photos") and not cleaned.get("gallery_alt_text"):
            self.add_error(
                "gallery_alt_text",
                "Describe the new photos for readers who cannot see them.",
            )
        if cleaned.get("video_url") and cleaned.get("video_file"):
            self.add_error(
                "video_file", "Give a video address or an MP4 file, not both."
            )
        self._new_lead_picture(cleaned)
        self._refuse_stale_edit()
        return cleaned

    def _new_lead_picture(self, cleaned: dict) -> None:
        """An uploaded picture becomes the lead image, unsaved until save():
        the story's own checks (a video's poster) see it. A picture also
        chosen from the library is refused, and the upload dropped."""
        picture = cleaned.get("new_lead_picture")
        if not picture:
            return
        if cleaned.get("lead_image") and "lead_image" in self.changed_data:
            self.add_error(
                "new_lead_picture",
                "Choose a picture from the library or upload a new one, not "
                "both. The upload was dropped: save again to use the picture "
                "chosen above, or clear it and choose the file again.",
            )
            self.forget_chosen_files("new_lead_picture")
            return
        if not cleaned.get("new_lead_alt_text"):
            self.add_error(
                "new_lead_alt_text",
                "Describe the new picture for readers who cannot see it.",
            )
            return
        focal = [cleaned.get(f"new_lead_focal_{axis}") for axis in "xy"]
        cleaned["lead_image"] = Image(
            file=picture,
            alt_text=cleaned["new_lead_alt_text"],
            caption=cleaned.get("new_lead_caption", ""),
            credit=cleaned.get("new_lead_credit", ""),
            focal_x=50 if focal[0] is None else focal[0],
            focal_y=50 if focal[1] is None else focal[1],
        )

    def save(self, commit: bool = True) -> Article:
        picture = self.cleaned_data.get("lead_image")
        if picture is not None and picture.pk is None:
            picture.save()  # the new lead picture, with renditions and crops
            self.instance.lead_image = picture
        return super().save(commit)

    def _refuse_editor_only_fields(self) -> None:
        # A date and time field comes as two inputs, name_0 and name_1.
        forged = [
            name
            for name in EDITOR_ONLY_FIELDS
            if any(
                self.data.get(self.add_prefix(key))
                for key in (name, f"{name}_0", f"{name}_1")
            )
        ]
        if forged:
            raise ValidationError(
                "Only editors can publish, schedule, withdraw or curate stories "
                "(refused: %(fields)s).",
                code="editor_only",
                params={"fields": ", ".join(forged)},
            )

    def _refuse_stale_edit(self) -> None:
        """Refuse the save when the story changed since this form was loaded,
        showing the saved version beside the one typed; ticking "Save mine
        over theirs" (the token of the version shown) lets the next save
        replace it, unless yet another save came in between.

        Locks the row (on PostgreSQL) for the rest of the admin's transaction,
        so two saves cannot both pass the check.
        """
        if not self.instance.pk:
            return
        theirs = (
            Article.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values("modified_at", *CONFLICT_FIELDS)
            .first()
        )
        if theirs is None:
            return
        current = _token(theirs["modified_at"])
        if current == self.cleaned_data.get("loaded_modified_at"):
            return
        if current == self.data.get(self.add_prefix(OVERWRITE_FIELD)):
            # The choice holds if the save is refused for another reason.
            self.data = self.data.copy()  # a request's QueryDict is read-only
            self.data[self.add_prefix("loaded_modified_at")] = current
            return
        latest = (
            Version.objects.get_for_object_reference(Article, self.instance.pk)
            .select_related("revision__user")
            .order_by("-pk")
            .first()
        )
        who = ""
        link = reverse("admin:articles_article_history", args=[self.instance.pk])
        if latest:
            user = latest.revision.user
            who = f" by {user.get_full_name() or user.get_username()}" if user else ""
            link = reverse(
                "admin:articles_article_changes", args=[self.instance.pk, latest.pk]
            )
        when = timezone.localtime(theirs["modified_at"]).strftime(
            "%H:%M:%S on %d %b %Y"
        )
        raise ValidationError(
            render_to_string(
                "admin/articles/article/edit_conflict.html",
                {
                    "who": who,
                    "when": when,
                    "changes_url": link,
                    "reload_url": reverse(
                        "admin:articles_article_change", args=[self.instance.pk]
                    ),
                    "rows": self._conflict_rows(theirs),
                    "overwrite_field": self.add_prefix(OVERWRITE_FIELD),
                    "token": current,
                },
            ),
            code="edit_conflict",
        )

    def _conflict_rows(self, theirs: dict) -> list[dict]:
        """Their saved text and the typed text of each field, with the
        typed one's differences from theirs marked."""
        rows = []
        for name in CONFLICT_FIELDS:
            html = name == "body"
            their_text = text_of(theirs[name] or "", html)
            field = self.fields.get(name)
            if field is None:
                yours = their_text
            else:
                typed = self.cleaned_data.get(name, self[name].value())
                yours = text_of(str(typed or ""), html)
            rows.append(
                {
                    "label": capfirst(Article._meta.get_field(name).verbose_name),
                    "theirs": their_text,
                    "same": yours == their_text,
                    "diff": word_diff(their_text, yours),
                }
            )
        return rows

    def _save_m2m(self) -> None:
        super()._save_m2m()
        if self.cleaned_data.get("new_tags"):
            self.instance.tags.add(*self.cleaned_data["new_tags"])


class ImageAdminForm(KeepsChosenFiles, forms.ModelForm):
    """Pictures are checked and re-encoded without metadata before storing."""

    file = forms.FileField(
        label="Picture",
        widget=AdminFileWidget,
        help_text="JPEG, PNG, WebP or GIF. Location and camera data are removed.",
    )

    kept = forms.CharField(required=False, widget=forms.HiddenInput)
    kept_fields = {"file": "kept"}

    class Meta:
        model = Image
        fields = ["file", "alt_text", "caption", "credit", "focal_x", "focal_y"]

    def clean_file(self):
        upload = self.files.get(self.add_prefix("file"))
        checked = [clean_image_upload(upload)] if upload else []
        chosen = self.checked_or_kept("file", checked)
        # Else the stored picture, unchanged.
        return chosen[0] if chosen else self.cleaned_data["file"]


class ActionBarDateTime(AdminSplitDateTime):
    """The story form's date and time boxes (calendar, clock, "Today" and
    "Now"), side by side to fit the list's action bar."""

    template_name = "admin/articles/widgets/action_datetime.html"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.widgets[0].attrs["aria-label"] = "Date"
        self.widgets[1].attrs["aria-label"] = "Time"


def local_zone_name() -> str:
    """The newsroom's time zone (TIME_ZONE) as editors call it."""
    zone = str(timezone.get_current_timezone())
    return {"Asia/Karachi": "Pakistan"}.get(zone, zone)


class ArticleActionForm(ActionForm):
    # The story form's date and time boxes, not the browser's own input in
    # its locale's format.
    when = forms.SplitDateTimeField(
        required=False,
        label="Time",
        widget=ActionBarDateTime,
        help_text="For “Schedule” and “Mark as breaking until”.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The action bar shows labels, not help texts: say the zone there.
        self.fields["when"].label = f"Time ({timezone.localtime().tzname()})"


# Dates outside these bounds cannot be stories, and date.max plus a day
# would overflow.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2100, 12, 31)


class LocalNameChoiceField(forms.ModelChoiceField):
    """Sections or regions by their names in the page's language."""

    def label_from_instance(self, obj: Section | Region) -> str:
        return obj.local_name


class SearchForm(forms.Form):
    """The reader's search: words, and optional section, region and dates."""

    q = forms.CharField(
        label=_("Search for"),
        max_length=MAX_QUERY_LENGTH,
        required=False,
        error_messages={
            "max_length": _("Please use at most %(limit_value)d characters.")
        },
    )
    section = LocalNameChoiceField(
        Section.objects.only("name", "name_ur", "slug"),
        label=_("Section"),
        to_field_name="slug",
        required=False,
        empty_label=_("All sections"),
    )
    region = LocalNameChoiceField(
        Region.objects.only("name", "name_ur", "slug"),
        label=_("Region"),
        to_field_name="slug",
        required=False,
        empty_label=_("All regions"),
    )
    since = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    # A search finds stories in the page's language; ?lang=all finds them in
    # every language (English and Urdu).
    lang = forms.ChoiceField(
        label=_("Languages"),
        choices=[("", _("This language")), ("all", _("All languages"))],
        required=False,
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in ("since", "until"):
            day = cleaned.get(name)
            if day and not EARLIEST_DAY <= day <= LATEST_DAY:
                self.add_error(name, _("Please choose a date between 1900 and 2100."))
                cleaned[name] = None
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The “From” date must come before “To”."))
        return cleaned
