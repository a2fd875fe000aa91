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
def picture(image, slot: str = "") -> dict:
    """What <picture> needs for one slot ("thumbnail", "card", "lead"; ""
    for the uncropped picture): both srcsets, a fallback src and the
    intrinsic size. Falls back to the uncropped renditions when the image has
    no crops for the slot."""
    if not image:
        return {}
    entries = image.crops.get(slot) if slot else None
    if not entries:
        return {
            "webp": srcset(image, "webp"),
            "jpeg": srcset(image, "jpeg"),
            "src": rendition_url(image, 640),
            "width": image.width,
            "height": image.height,
        }
    fallback = next((e for e in entries if e["width"] >= 640), entries[-1])
    return {
        "webp": ", ".join(
            f"{default_storage.url(e['webp'])} {e['width']}w" for e in entries
        ),
        "jpeg": ", ".join(
            f"{default_storage.url(e['jpeg'])} {e['width']}w" for e in entries
        ),
        "src": default_storage.url(fallback["jpeg"]),
        "width": entries[-1]["width"],
        "height": entries[-1]["height"],
    }


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
