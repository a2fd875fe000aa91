"""Checks for files uploaded in the admin: pictures and MP4 videos.

Files are judged by their content, never by their name. A picture is
re-encoded, which drops EXIF (GPS position, camera serial numbers) and any
other metadata, so nothing a photographer did not mean to publish is stored.
"""

import warnings
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from PIL import Image as PILImage
from PIL import ImageOps

# Pillow format name -> file extension and save options.
IMAGE_FORMATS = {
    "JPEG": ("jpg", {"quality": 92, "optimize": True}),
    "PNG": ("png", {"optimize": True}),
    "WEBP": ("webp", {"quality": 90}),
    "GIF": ("gif", {}),
}
# An MP4 names its brands in the "ftyp" box at the start of the file; plain
# QuickTime ("qt  ") and other ISO media files are not accepted.
MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1"}


def _too_big(file, limit: int) -> ValidationError:
    return ValidationError(
        "The file is %(size)s; the limit is %(limit)s.",
        code="too_big",
        params={"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
    )


def clean_image_upload(file) -> ContentFile:
    """Check an uploaded picture and return it re-encoded without metadata.

    Refuses (ValidationError) files over IMAGE_UPLOAD_MAX_BYTES, anything that
    is not a JPEG, PNG, WebP or GIF, pictures over IMAGE_UPLOAD_MAX_PIXELS
    (checked from the header, before decoding, so decompression bombs cost
    nothing) and truncated or corrupt files.
    """
    name = getattr(file, "name", "") or "picture"
    if file.size > settings.IMAGE_UPLOAD_MAX_BYTES:
        raise _too_big(file, settings.IMAGE_UPLOAD_MAX_BYTES)
    not_a_picture = ValidationError(
        "“%(name)s” is not a JPEG, PNG, WebP or GIF picture (or it is damaged).",
        code="not_an_image",
        params={"name": name},
    )
    file.seek(0)
    content = file.read()
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice that.
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            picture = PILImage.open(BytesIO(content))
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except Exception:
        raise not_a_picture from None
    with picture:
        if picture.format not in IMAGE_FORMATS:
            raise not_a_picture
        width, height = picture.size
        # Every frame of an animation is decoded: count them all.
        frames = getattr(picture, "n_frames", 1)
        if width * height * frames > settings.IMAGE_UPLOAD_MAX_PIXELS:
            raise _too_many_pixels(name, width, height)
        try:
            cleaned = _reencode(picture)
        except Exception:
            raise not_a_picture from None
    extension = IMAGE_FORMATS[picture.format][0]
    stem = get_valid_filename(Path(name).stem) or "picture"
    return ContentFile(cleaned, name=f"{stem[:80]}.{extension}")


def _too_many_pixels(name: str, width: int = 0, height: int = 0) -> ValidationError:
    size = f" ({width}×{height})" if width else ""
    megapixels = settings.IMAGE_UPLOAD_MAX_PIXELS // 1_000_000
    return ValidationError(
        "“%(name)s” has too many pixels%(size)s; the limit is %(limit)s "
        "megapixels. Resize it before uploading.",
        code="too_many_pixels",
        params={"name": name, "size": size, "limit": megapixels},
    )


def _reencode(picture: PILImage.Image) -> bytes:
    """The picture saved again in its own format with no metadata but its
    colour profile; EXIF orientation is applied to the pixels first."""
    pil_format = picture.format
    options = dict(IMAGE_FORMATS[pil_format][1])
    if icc_profile := picture.info.get("icc_profile"):
        options["icc_profile"] = icc_profile
    buffer = BytesIO()
    if pil_format == "GIF" and getattr(picture, "n_frames", 1) > 1:
        frames = []
        durations = []
        for index in range(picture.n_frames):
            picture.seek(index)
            frame = picture.copy()
            # Keep what plays the animation, drop comments and extensions.
            frame.info = {
                key: value
                for key, value in frame.info.items()
                if key in ("duration", "transparency", "background")
            }
            frames.append(frame)
            durations.append(picture.info.get("duration", 100))
        frames[0].save(
            buffer,
            "GIF",
            save_all=True,
            append_images=frames[1:],
            duration=durations,
            loop=picture.info.get("loop", 0),
        )
        return buffer.getvalue()
    picture.load()
    upright = ImageOps.exif_transpose(picture)
    # Pillow copies info (EXIF, XMP, comments) along; start from bare pixels.
    bare = PILImage.new(upright.mode, upright.size)
    bare.paste(upright)
    if upright.mode == "P":
        bare.putpalette(upright.getpalette())
        if "transparency" in upright.info:
            options["transparency"] = upright.info["transparency"]
    if pil_format == "JPEG" and bare.mode not in ("RGB", "L", "CMYK"):
        bare = bare.convert("RGB")
    bare.save(buffer, pil_format, **options)
    return buffer.getvalue()


def check_mp4_upload(file) -> None:
    """Refuse (ValidationError) a video over VIDEO_UPLOAD_MAX_BYTES or one
    whose content is not an MP4 file."""
    if file.size > settings.VIDEO_UPLOAD_MAX_BYTES:
        raise _too_big(file, settings.VIDEO_UPLOAD_MAX_BYTES)
    file.seek(0)
    head = file.read(64)
    file.seek(0)
    box_size = int.from_bytes(head[:4], "big")
    brands = {head[8:12]}
    brands.update(head[i : i + 4] for i in range(16, min(box_size, len(head)), 4))
    if head[4:8] != b"ftyp" or not brands & MP4_BRANDS:
        raise ValidationError(
            "“%(name)s” is not an MP4 video. Upload an MP4 file (H.264), or "
            "give a YouTube or Vimeo address instead.",
            code="not_mp4",
            params={"name": getattr(file, "name", "") or "file"},
        )
