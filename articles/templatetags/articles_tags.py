from datetime import datetime

from django import template
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.dateformat import format as format_date

register = template.Library()


@register.filter
def srcset(image, image_format: str = "jpeg") -> str:
    """`srcset` value listing the image's renditions in one format."""
    if not image:
        return ""
    return ", ".join(
        f"{default_storage.url(r[image_format])} {r['width']}w"
        for r in image.renditions
    )


@register.filter
def rendition_url(image, width: int = 640) -> str:
    """URL of the smallest JPEG rendition at least `width` pixels wide (or the
    largest there is); the original file when there are none."""
    if not image:
        return ""
    if not image.renditions:
        return image.file.url
    for rendition in image.renditions:
        if rendition["width"] >= int(width):
            break
    return default_storage.url(rendition["jpeg"])


@register.filter
def short_time(moment: datetime | None) -> str:
    """ "14:05" for a time today, "27 Nov" for an earlier day (local time)."""
    if not moment:
        return ""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return format_date(local, "H:i")
    return format_date(local, "j M")


@register.filter
def iso(moment: datetime | None) -> str:
    """Machine-readable time for `<time datetime>`, to the second, local zone."""
    if not moment:
        return ""
    return timezone.localtime(moment).isoformat(timespec="seconds")
