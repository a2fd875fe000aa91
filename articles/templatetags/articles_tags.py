import json
from datetime import datetime
from functools import lru_cache

from django import template
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import formats, timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from ..images import rendition_for

register = template.Library()


def media_url(name: str) -> str:
    """default_storage.url(), remembered: a page lists hundreds of renditions
    and their addresses never change (a new file gets a new name). Signed
    object-storage addresses expire, so those are made afresh each time."""
    if settings.STORAGES["default"].get("OPTIONS", {}).get("querystring_auth"):
        return default_storage.url(name)
    return remembered_media_url(name)


@lru_cache(maxsize=8192)
def remembered_media_url(name: str) -> str:
    return default_storage.url(name)


@receiver(setting_changed)
def forget_media_urls(setting: str, **kwargs) -> None:
    if setting in ("MEDIA_URL", "STORAGES") or setting.startswith("AWS_"):
        remembered_media_url.cache_clear()


@register.filter
def srcset(image, image_format: str = "jpeg") -> str:
    """`srcset` value listing the image's renditions in one format."""
    if not image:
        return ""
    return ", ".join(
        f"{media_url(r[image_format])} {r['width']}w" for r in image.renditions
    )


@register.filter
def rendition_url(image, width: int = 640) -> str:
    """URL of the smallest JPEG rendition at least `width` pixels wide (or the
    largest there is); the original file when there are none."""
    if not image:
        return ""
    rendition = rendition_for(image, int(width))
    if rendition is None:
        return image.file.url
    return media_url(rendition["jpeg"])


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
            "focus": focal_classes(image),
        }
    fallback = next((e for e in entries if e["width"] >= 640), entries[-1])
    return {
        "webp": ", ".join(f"{media_url(e['webp'])} {e['width']}w" for e in entries),
        "jpeg": ", ".join(f"{media_url(e['jpeg'])} {e['width']}w" for e in entries),
        "src": media_url(fallback["jpeg"]),
        "width": entries[-1]["width"],
        "height": entries[-1]["height"],
        "focus": focal_classes(image),
    }


def focal_classes(image) -> str:
    """Classes keeping the focal point in view where CSS crops the picture
    further (object-fit: cover), e.g. "fx-20 fy-35": its position rounded to
    5 %, one rule per step in static/css/site.css. A style attribute would
    need 'unsafe-inline' in the pages' style-src."""
    return f"fx-{5 * round(image.focal_x / 5)} fy-{5 * round(image.focal_y / 5)}"


def local_format(name: str) -> str:
    """The date format called `name` ("STORY_DATETIME_FORMAT") in the active
    language's module in newsroom/formats/ (FORMAT_MODULE_PATH); any other
    string is a format itself ("c", "H:i")."""
    for module in formats.get_format_modules(get_language() or settings.LANGUAGE_CODE):
        if name.isupper() and hasattr(module, name):
            return getattr(module, name)
    return name


@register.filter
def short_time(moment: datetime | None) -> str:
    """ "14:05" for a time today, "27 Nov" for an earlier day (local time),
    as the page's language writes them."""
    if not moment:
        return ""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return format_date(local, local_format("TIME_OF_DAY_FORMAT"))
    return format_date(local, local_format("DAY_MONTH_FORMAT"))


@register.filter
def iso(moment: datetime | None) -> str:
    """Machine-readable time for `<time datetime>`, to the second, local zone."""
    if not moment:
        return ""
    return timezone.localtime(moment).isoformat(timespec="seconds")


# The escapes of Django's json_script: no "</script>" or "<!--" can end or
# change the element early.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def json_ld(data) -> str:
    """`data` as a JSON-LD <script> element, escaped like json_script."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(text.translate(JSON_SCRIPT_ESCAPES)),
    )


@register.filter
def absolute_url(url: str, request) -> str:
    """`url` made absolute for the current request's scheme and host; an
    address that is already absolute (say, on a CDN) is kept."""
    if not url:
        return ""
    if not hasattr(request, "build_absolute_uri"):
        return url
    return request.build_absolute_uri(url)


@register.filter
def rendition(image, width: int = 1280) -> dict | None:
    """The rendition dict (url, width, height) nearest `width` pixels."""
    found = rendition_for(image, int(width))
    if found is None:
        return None
    return {
        "url": media_url(found["jpeg"]),
        "width": found["width"],
        "height": found["height"],
    }
