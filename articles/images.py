"""Image renditions: smaller copies of an upload, in WebP and JPEG, made with Pillow."""

import hashlib
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


def make_renditions(file) -> list[dict]:
    """Write renditions of the image `file` to default storage and describe them.

    Returns one entry per width: {"width", "height", "webp", "jpeg"}, the last
    two being storage names. Names derive from the file's content, so a
    changed original gets new renditions and caches never serve stale ones.
    """
    file.seek(0)
    content = file.read()
    prefix = f"renditions/{hashlib.sha256(content).hexdigest()[:16]}"
    with PILImage.open(BytesIO(content)) as original:
        original = ImageOps.exif_transpose(original)
        if original.mode not in ("RGB", "L"):
            background = PILImage.new("RGB", original.size, "white")
            rgba = original.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            original = background
        else:
            original = original.convert("RGB")
        widths = [w for w in RENDITION_WIDTHS if w < original.width]
        widths.append(min(original.width, RENDITION_WIDTHS[-1]))
        renditions = []
        for width in widths:
            height = round(original.height * width / original.width)
            resized = original.resize((width, height), PILImage.Resampling.LANCZOS)
            entry = {"width": width, "height": height}
            for ext, (pil_format, options) in FORMATS.items():
                name = f"{prefix}/{width}.{'jpg' if ext == 'jpeg' else ext}"
                if not default_storage.exists(name):
                    buffer = BytesIO()
                    resized.save(buffer, pil_format, **options)
                    default_storage.save(name, ContentFile(buffer.getvalue()))
                entry[ext] = name
            renditions.append(entry)
    file.seek(0)
    return renditions
