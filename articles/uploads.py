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
# Larger PNGs are stored quickly compressed, not "optimize"d.
PNG_OPTIMIZE_MAX_PIXELS = 4_000_000
# An MP4 names its brands in the "ftyp" box at the start of the file; plain
# QuickTime ("qt  ") and other ISO media files are not accepted.
MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1"}
# A fragmented MP4 of three hours in one-second fragments has some 43,000
# top-level boxes; a file of millions of tiny boxes is refused before the
# walk over it takes seconds.
MP4_MAX_BOXES = 200_000


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
    (all frames of an animation together) or decoding to more than
    IMAGE_UPLOAD_MAX_DECODED_BYTES of pixels in memory (both checked from the
    header, before decoding, so decompression bombs cost nothing) and
    truncated or corrupt files. A still picture with a side longer than
    IMAGE_UPLOAD_MAX_EDGE is kept at that size: renditions are made from the
    stored original, and none is nearly as large.
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
        raise ValidationError(
            "“%(name)s” has more than %(pillow)s; the limit is %(limit)s. "
            "Resize it before uploading.",
            code="too_many_pixels",
            params={
                "name": name,
                "pillow": _pixels(PILImage.MAX_IMAGE_PIXELS),
                "limit": _pixels(settings.IMAGE_UPLOAD_MAX_PIXELS),
            },
        ) from None
    except Exception:
        raise not_a_picture from None
    with picture:
        if picture.format not in IMAGE_FORMATS:
            raise not_a_picture
        _check_size(picture, name)
        try:
            cleaned = _reencode(picture)
        except Exception:
            raise not_a_picture from None
    extension = IMAGE_FORMATS[picture.format][0]
    stem = get_valid_filename(Path(name).stem) or "picture"
    return ContentFile(cleaned, name=f"{stem[:80]}.{extension}")


def _pixels(count: int) -> str:
    """ "40 megapixels", "39.7 megapixels", "12,000 pixels"."""
    if count < 1_000_000:
        return f"{count:,} pixels"
    return f"{count / 1_000_000:.1f}".removesuffix(".0") + " megapixels"


def _bytes_per_pixel(mode: str, frames: int) -> int:
    """Bytes a pixel takes in Pillow's memory: one for bilevel, grey and
    palette pictures, two for 16-bit grey, four for the rest (RGB included).
    Pillow decodes the frames of an animation after the first in RGB(A)."""
    if frames > 1 or mode not in ("1", "L", "P") and not mode.startswith("I;16"):
        return 4
    return 2 if mode.startswith("I;16") else 1


def _fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """`size` shrunk to have no side longer than `edge`."""
    width, height = size
    scale = min(1.0, edge / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _check_size(picture: PILImage.Image, name: str) -> None:
    """Refuse a picture with too many pixels, or whose pixels would take too
    much memory, from its header; a JPEG is first set to decode at the
    smallest scale (1/2, 1/4, 1/8) that still covers IMAGE_UPLOAD_MAX_EDGE."""
    width, height = picture.size
    # Every frame of an animation is decoded: count them all.
    frames = getattr(picture, "n_frames", 1)
    pixels = width * height * frames
    if pixels > settings.IMAGE_UPLOAD_MAX_PIXELS:
        if frames > 1:
            what = (
                f"{frames} frames of {width}×{height} pixels, {_pixels(pixels)} in all"
            )
        else:
            what = f"{width}×{height} pixels, {_pixels(pixels)}"
        raise ValidationError(
            "“%(name)s” has %(what)s; the limit is %(limit)s. Resize it before "
            "uploading.",
            code="too_many_pixels",
            params={
                "name": name,
                "what": what,
                "limit": _pixels(settings.IMAGE_UPLOAD_MAX_PIXELS),
            },
        )
    if picture.format == "JPEG":
        picture.draft(picture.mode, _fit(picture.size, settings.IMAGE_UPLOAD_MAX_EDGE))
    width, height = picture.size
    decoded = width * height * frames * _bytes_per_pixel(picture.mode, frames)
    if decoded > settings.IMAGE_UPLOAD_MAX_DECODED_BYTES:
        raise ValidationError(
            "“%(name)s” decodes to %(decoded)s of pixels (%(what)s); the limit "
            "is %(limit)s. Resize it before uploading.",
            code="too_big_decoded",
            params={
                "name": name,
                "decoded": filesizeformat(decoded),
                "what": f"{frames} frames of {width}×{height} {picture.mode}"
                if frames > 1
                else f"{width}×{height} {picture.mode}",
                "limit": filesizeformat(settings.IMAGE_UPLOAD_MAX_DECODED_BYTES),
            },
        )


def _reencode(picture: PILImage.Image) -> bytes:
    """The picture saved again in its own format with no metadata but its
    colour profile; EXIF orientation is applied to the pixels first, and a
    still picture is shrunk to IMAGE_UPLOAD_MAX_EDGE."""
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
    edge = settings.IMAGE_UPLOAD_MAX_EDGE
    if max(picture.size) > edge:
        # In place, so the full-size pixels are freed at once. A palette
        # picture would be shrunk by dropping pixels; RGBA keeps its look.
        if picture.mode in ("1", "P"):
            picture = picture.convert(
                "RGBA" if picture.has_transparency_data else "RGB"
            )
        picture.thumbnail((edge, edge), PILImage.Resampling.LANCZOS, reducing_gap=3.0)
    upright = ImageOps.exif_transpose(picture)
    # Pillow copies info (EXIF, XMP, comments) along; start from bare pixels.
    bare = PILImage.new(upright.mode, upright.size)
    bare.paste(upright)
    del upright
    if bare.mode == "P":
        bare.putpalette(picture.getpalette())
        if "transparency" in picture.info:
            options["transparency"] = picture.info["transparency"]
    if pil_format == "JPEG" and bare.mode not in ("RGB", "L", "CMYK"):
        bare = bare.convert("RGB")
    if pil_format == "PNG" and bare.width * bare.height > PNG_OPTIMIZE_MAX_PIXELS:
        # optimize tries zlib settings for a small gain, and zlib's best
        # levels are slow on a big picture; the larger file at level 1
        # matters little, since renditions are what readers download.
        options.pop("optimize", None)
        options["compress_level"] = 1
    bare.save(buffer, pil_format, **options)
    return buffer.getvalue()


class _NotMP4(Exception):
    """Why a file is not an MP4 video, in words for the editor."""


def _boxes(file, start: int, end: int, top_level: bool = False):
    """(type, payload start, box end) of each ISO BMFF box from `start` to
    `end`, read by seeking from header to header. The boxes must fill the
    range exactly: a 32-bit size, 1 for a 64-bit size after the type, or 0
    for "to the end"."""
    position = start
    while position < end:
        file.seek(position)
        header = file.read(16)
        if len(header) < 8 or end - position < 8:
            raise _NotMP4(f"it is cut short at byte {position}")
        size = int.from_bytes(header[:4], "big")
        kind = header[4:8]
        payload = position + 8
        if size == 1:
            if len(header) < 16:
                raise _NotMP4(f"it is cut short at byte {position}")
            size = int.from_bytes(header[8:16], "big")
            payload = position + 16
        elif size == 0:
            size = end - position
        if size < payload - position or position + size > end:
            raise _NotMP4(
                f"a box at byte {position} claims {size} bytes, more than the "
                f"{end - position} left (the file is damaged or cut short)"
            )
        if top_level and not all(0x20 <= byte < 0x7F for byte in kind):
            raise _NotMP4(f"byte {position} does not start an MP4 box")
        yield kind, payload, position + size
        position += size


def _children(file, kind: bytes, start: int, end: int):
    return [box for box in _boxes(file, start, end) if box[0] == kind]


def _has_video_track(file, moov_start: int, moov_end: int) -> bool:
    for _, trak_start, trak_end in _children(file, b"trak", moov_start, moov_end):
        for _, mdia_start, mdia_end in _children(file, b"mdia", trak_start, trak_end):
            for _, hdlr_start, hdlr_end in _children(
                file, b"hdlr", mdia_start, mdia_end
            ):
                # Version and flags (4 bytes), pre_defined (4), handler type.
                file.seek(hdlr_start + 8)
                if hdlr_end - hdlr_start >= 12 and file.read(4) == b"vide":
                    return True
    return False


def _check_mp4_boxes(file) -> None:
    size = file.size
    file.seek(0)
    head = file.read(8)
    if len(head) < 8 or head[4:8] != b"ftyp":
        raise _NotMP4("it does not start with an MP4 “ftyp” box")
    seen = {}
    for count, (kind, payload, box_end) in enumerate(
        _boxes(file, 0, size, top_level=True)
    ):
        if count == 0:
            # Major brand, minor version, then compatible brands.
            file.seek(payload)
            ftyp = file.read(min(box_end - payload, 256))
            brands = {ftyp[:4]}
            brands.update(ftyp[i : i + 4] for i in range(8, len(ftyp) - 3, 4))
            if not brands & MP4_BRANDS:
                raise _NotMP4(
                    "its “ftyp” box names no MP4 brand (a QuickTime or other "
                    "ISO media file)"
                )
        elif count >= MP4_MAX_BOXES:
            raise _NotMP4(f"it has more than {MP4_MAX_BOXES:,} boxes")
        seen.setdefault(kind, (payload, box_end))
    if b"moov" not in seen:
        raise _NotMP4("it has no “moov” box (the description of its tracks)")
    if b"mdat" not in seen:
        raise _NotMP4("it has no “mdat” box (the video data)")
    if not _has_video_track(file, *seen[b"moov"]):
        raise _NotMP4("it has no video track (an audio-only file?)")


def check_mp4_upload(file) -> None:
    """Refuse (ValidationError) a video over VIDEO_UPLOAD_MAX_BYTES or one
    that is not an MP4 video.

    What is checked, over the whole file, by seeking from box header to box
    header (never reading it all): the file is a sequence of ISO base media
    boxes (32-bit size, or 64-bit "largesize", or 0 for "to the end of the
    file"; four printable type letters) that fill it exactly; the first is
    `ftyp` naming an MP4 brand (MP4_BRANDS); there are a `moov` and an `mdat`
    box; and `moov` holds a track (`trak/mdia/hdlr`) whose handler type is
    `vide`. The pictures themselves are not decoded: a file with the right
    boxes and garbage in `mdat` passes, and shows as a broken video.
    """
    if file.size > settings.VIDEO_UPLOAD_MAX_BYTES:
        raise _too_big(file, settings.VIDEO_UPLOAD_MAX_BYTES)
    try:
        _check_mp4_boxes(file)
    except _NotMP4 as reason:
        raise ValidationError(
            "“%(name)s” is not an MP4 video: %(reason)s. Upload an MP4 file "
            "(H.264), or give a YouTube or Vimeo address instead.",
            code="not_mp4",
            params={"name": getattr(file, "name", "") or "file", "reason": reason},
        ) from None
    finally:
        file.seek(0)
