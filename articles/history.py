"""What changed between two saved revisions of a story (django-reversion)."""

import difflib
import re
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe
from reversion.models import Version

from .models import Article, Byline, GalleryImage

# Fields every save changes, or that only machines read.
SKIPPED_FIELDS = {"id", "modified_at", "created_at"}
_BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote|pre|tr)>|<br\s*/?>|<hr\s*/?>", re.I)
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass
class FieldChange:
    label: str
    before: str
    after: str
    diff: SafeString


def text_of(value: str, html: bool = False) -> str:
    """Readable text of a field value; body HTML keeps its paragraph breaks."""
    if html:
        value = strip_tags(_BLOCK_END.sub(lambda m: m.group(0) + "\n", value))
    return value.strip()


def word_diff(before: str, after: str) -> SafeString:
    """HTML of `after` with words removed since `before` in <del> and added
    ones in <ins>; all text escaped."""
    old, new = _TOKEN.findall(before), _TOKEN.findall(after)
    parts = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        removed = escape("".join(old[i1:i2]))
        added = escape("".join(new[j1:j2]))
        if tag == "equal":
            parts.append(added)
            continue
        if removed:
            parts.append(f"<del>{removed}</del>")
        if added:
            parts.append(f"<ins>{added}</ins>")
    # Every piece above was escaped.
    return mark_safe("".join(parts).replace("\n", "<br>"))


def _display(field: models.Field, value) -> str:
    """A field value as an editor would recognise it (queries for relations)."""
    if value in (None, "", []):
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.ManyToManyField):
        related = field.related_model.objects.filter(pk__in=value)
        names = sorted(str(obj) for obj in related)
        return ", ".join(names) or "—"
    if isinstance(field, models.ForeignKey):
        obj = field.related_model._base_manager.filter(pk=value).first()
        return str(obj) if obj else f"#{value} (deleted)"
    if isinstance(field, models.BooleanField):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    return str(value)


def field_changes(before: Version | None, after: Version) -> list[FieldChange]:
    """The story's fields that differ between two versions; for the first
    version (`before` is None), the fields it set, without markup."""
    old = before.field_dict if before else {}
    new = after.field_dict
    changes = []
    for field in Article._meta.get_fields():
        if not field.concrete or field.name in SKIPPED_FIELDS:
            continue
        key = field.attname
        if key not in new or old.get(key) == new[key]:
            continue
        if before is not None and key not in old:
            continue
        html = field.name == "body"
        is_text = isinstance(field, models.TextField | models.CharField)
        if is_text and not field.choices:
            old_text = text_of(old.get(key) or "", html)
            new_text = text_of(new[key] or "", html)
            diff = word_diff(old_text, new_text)
        else:
            old_text = _display(field, old.get(key)) if before else "—"
            new_text = _display(field, new[key])
            diff = format_html("<del>{}</del> <ins>{}</ins>", old_text, new_text)
        if before is None:
            if new[key] in (None, "", []):
                continue
            diff = format_html("{}", new_text)
        label = str(field.verbose_name)
        changes.append(
            FieldChange(label[:1].upper() + label[1:], old_text, new_text, diff)
        )
    return changes


def _row_label(version: Version) -> str:
    """A story's row named without the story's headline, which may change."""
    obj = version._object_version.object
    try:
        if isinstance(obj, Byline):
            return str(obj.author)
        if isinstance(obj, GalleryImage):
            return str(obj.image)
    except ObjectDoesNotExist:
        pass
    return version.object_repr


def related_changes(
    before: Version | None, after: Version
) -> list[tuple[str, list, list]]:
    """Bylines, links, gallery photos and notes added or removed between the
    two versions' revisions: [(kind, added, removed)]."""

    def rows(version: Version | None) -> dict[str, set[str]]:
        if version is None:
            return {}
        found: dict[str, set[str]] = {}
        for other in version.revision.version_set.exclude(pk=version.pk):
            model = other.content_type.model_class()
            if model is None or model is Article:
                continue
            name = str(model._meta.verbose_name_plural)
            found.setdefault(name, set()).add(_row_label(other))
        return found

    old, new = rows(before), rows(after)
    result = []
    for name in sorted(old.keys() | new.keys()):
        added = sorted(new.get(name, set()) - old.get(name, set()))
        removed = sorted(old.get(name, set()) - new.get(name, set()))
        if added or removed:
            result.append((name[:1].upper() + name[1:], added, removed))
    return result
