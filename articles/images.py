"""Image renditions: smaller copies of an upload, in WebP and JPEG, made with Pillow."""

import hashlib
from functools import partial
from io import BytesIO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image as PILImage
from PIL import ImageOps

# Widths a rendition is made at; none is wider than the original.
RENDITION_WIDTHS = (320, 640, 960, 1280, 1920)
FORMATS = {
    "webp": ("WEBP", {"quality": 80, "method": 4}),
    "jpeg": ("JPEG", {"quality": 82, "optimize": True, "progressive": True}),
}
# Cropped slots: (width / height, widths). The "full" slot is the uncropped
# renditions above.
SLOTS = {
    "thumbnail": (1.0, (160, 320)),
    "card": (16 / 9, (320, 640, 960)),
    "lead": (16 / 9, (640, 960, 1280, 1920)),
}

# The widest rendition, and the height of the widest 16:9 lead crop.
DRAFT_SIZE = (RENDITION_WIDTHS[-1], round(SLOTS["lead"][1][-1] * 9 / 16))


def _read(file) -> tuple[bytes, str]:
    """The file's bytes and the storage folder named after their hash.

    A stored file (say, when only the focal point changed) is opened and
    closed again; a new upload stays open for storage to save it.
    """
    was_closed = file.closed
    if was_closed:
        file.open("rb")
    file.seek(0)
    content = file.read()
    file.seek(0)
    if was_closed:
        file.close()
    return content, f"renditions/{hashlib.sha256(content).hexdigest()[:16]}"


def _open_rgb(content: bytes) -> PILImage.Image:
    """The first frame, upright (EXIF orientation applied), in RGB on white."""
    with PILImage.open(BytesIO(content)) as original:
        # A JPEG decodes at 1/2, 1/4 or 1/8 scale where that still covers
        # the largest rendition and lead crop: far less memory and time.
        original.draft("RGB", DRAFT_SIZE)
        image = ImageOps.exif_transpose(original)
        if image.mode not in ("RGB", "L"):
            background = PILImage.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            return background
        return image.convert("RGB")


def _resize(image: PILImage.Image, width: int, height: int) -> PILImage.Image:
    # reducing_gap shrinks by whole factors first: several times faster than
    # plain Lanczos on big pictures, with no visible difference.
    return image.resize((width, height), PILImage.Resampling.LANCZOS, reducing_gap=3.0)


def _stored(prefix: str) -> set[str]:
    """Names of the files already stored in the folder `prefix`: one listing
    rather than a check per file, which counts on object storage."""
    try:
        return {f"{prefix}/{name}" for name in default_storage.listdir(prefix)[1]}
    except FileNotFoundError:
        return set()


def _save(stem: str, width: int, height: int, draw, stored: set[str]) -> dict:
    """Write the picture `draw()` makes as WebP and JPEG named `stem`, unless
    already `stored`: names derive from the original's content, so a stored
    file is this very picture and need not be resized or encoded again."""
    entry = {"width": width, "height": height}
    image = None
    for ext, (pil_format, options) in FORMATS.items():
        name = f"{stem}.{'jpg' if ext == 'jpeg' else ext}"
        if name in stored:
            size = default_storage.size(name)
        else:
            image = image or draw()
            buffer = BytesIO()
            image.save(buffer, pil_format, **options)
            default_storage.save(name, ContentFile(buffer.getvalue()))
            size = buffer.tell()
        entry[ext] = name
        # Byte sizes serve feeds, whose enclosures state a length.
        entry[f"{ext}_size"] = size
    return entry


def _widths(widths: tuple[int, ...], available: int) -> list[int]:
    """The widths narrower than `available`, then `available` itself capped at
    the largest width: never an upscale, never the same width twice."""
    smaller = [w for w in widths if w < available]
    return list(dict.fromkeys([*smaller, min(available, widths[-1])]))


def make_renditions(file) -> list[dict]:
    """Write renditions of the image `file` to default storage and describe them.

    Returns one entry per width: {"width", "height", "webp", "jpeg",
    "webp_size", "jpeg_size"}: storage names and their sizes in bytes (feeds
    give the size of an enclosure; entries made before sizes were recorded
    lack them). Names derive from the file's content, so a changed original
    gets new renditions and caches never serve stale ones.
    """
    content, prefix = _read(file)
    original = _open_rgb(content)
    stored = _stored(prefix)
    renditions = []
    for width in _widths(RENDITION_WIDTHS, original.width):
        height = round(original.height * width / original.width)
        renditions.append(
            _save(
                f"{prefix}/{width}",
                width,
                height,
                partial(_resize, original, width, height),
                stored,
            )
        )
    return renditions


def crop_box(
    size: tuple[int, int], ratio: float, focal_x: int, focal_y: int
) -> tuple[int, int, int, int]:
    """The largest box of aspect `ratio` inside `size`, centred on the focal
    point (in % of width and height) as far as the edges allow."""
    width, height = size
    crop_width = min(width, round(height * ratio))
    crop_height = min(height, round(crop_width / ratio))
    left = round(width * focal_x / 100 - crop_width / 2)
    top = round(height * focal_y / 100 - crop_height / 2)
    left = min(max(left, 0), width - crop_width)
    top = min(max(top, 0), height - crop_height)
    return left, top, left + crop_width, top + crop_height


def make_crops(file, focal_x: int, focal_y: int) -> dict:
    """Write cropped renditions for each slot in SLOTS and describe them.

    Returns {"focal": [x, y], slot: [{"width", "height", "webp", "jpeg"}, ...]}.
    Names derive from the content and the focal point, so moving the focal
    point or replacing the file makes new files.
    """
    content, prefix = _read(file)
    original = _open_rgb(content)
    stored = _stored(prefix)
    crops: dict = {"focal": [focal_x, focal_y]}
    for slot, (ratio, slot_widths) in SLOTS.items():
        cropped = original.crop(crop_box(original.size, ratio, focal_x, focal_y))
        entries = []
        for width in _widths(slot_widths, cropped.width):
            height = round(width / ratio)
            stem = f"{prefix}/{slot}-{focal_x}-{focal_y}-{width}"
            entries.append(
                _save(
                    stem,
                    width,
                    height,
                    partial(_resize, cropped, width, height),
                    stored,
                )
            )
        crops[slot] = entries
    return crops


def rendition_for(image, width: int) -> dict | None:
    """The smallest rendition of `image` at least `width` pixels wide, or the
    largest there is; None for an image without renditions."""
    if not image or not image.renditions:
        return None
    for rendition in image.renditions:
        if rendition["width"] >= width:
            return rendition
    return image.renditions[-1]
