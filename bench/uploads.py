"""Wall time and peak memory of one picture upload: the check and
re-encoding (clean_image_upload) and the renditions and crops an Image
save makes, each picture in a fresh process so peaks do not add up.

    DJANGO_DEV=1 python -m bench.uploads

The pictures are drawn (gradients and noise, so they compress like
photographs, under the 20 MB upload limit): a 6300 x 6300 RGBA PNG, just
under the 40 megapixel limit, and a 7000 x 5000 JPEG from a camera.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image as PILImage


def draw(path: Path, size: tuple[int, int], mode: str, pil_format: str) -> None:
    width, height = size
    noise = PILImage.effect_noise((width // 16, height // 16), 30).resize(size)
    ramp = PILImage.linear_gradient("L").resize(size)
    ring = PILImage.radial_gradient("L").resize(size)
    bands = [ramp, ring, noise, ramp.transpose(PILImage.Transpose.ROTATE_90)]
    PILImage.merge(mode, bands[: len(mode)]).save(path, pil_format, quality=90)


def upload(path: str) -> None:
    """In the child: what the admin does with an uploaded picture."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import override_settings

    import bench  # noqa: F401  (sets Django up)
    from articles.images import make_crops, make_renditions
    from articles.uploads import clean_image_upload

    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        content = Path(path).read_bytes()
        started = time.perf_counter()
        cleaned = clean_image_upload(SimpleUploadedFile(Path(path).name, content))
        checked = time.perf_counter()
        make_renditions(cleaned)
        make_crops(cleaned, 50, 50)
        done = time.perf_counter()
        with PILImage.open(cleaned) as stored:
            kept = f"{stored.width}x{stored.height} {stored.format}"
        print(
            f"check and re-encode {checked - started:.2f} s, renditions and "
            f"crops {done - checked:.2f} s; original kept as {kept} "
            f"({len(cleaned) / 2**20:.1f} MB)"
        )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        pictures = [
            (Path(folder) / "big.png", (6300, 6300), "RGBA", "PNG"),
            (Path(folder) / "camera.jpg", (7000, 5000), "RGB", "JPEG"),
        ]
        for path, size, mode, pil_format in pictures:
            # Drawn in a child too: a child's peak counts the memory it
            # was forked with.
            subprocess.run(
                [sys.executable, "-m", "bench.uploads", "--draw", str(path)]
                + [str(size[0]), str(size[1]), mode, pil_format],
                check=True,
            )
            started = time.perf_counter()
            child = subprocess.Popen(
                [sys.executable, "-m", "bench.uploads", str(path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            output = child.stdout.read()
            # wait4 gives this child's own peak (ru_maxrss, in KB on Linux).
            _, _, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - started
            print(
                f"{path.name} {size[0]}x{size[1]} {mode} "
                f"({path.stat().st_size / 2**20:.1f} MB): {wall:.2f} s in all, "
                f"peak memory {usage.ru_maxrss / 1024:.0f} MB"
            )
            print("  " + output.strip()[-600:])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--draw"]:
        path, width, height, mode, pil_format = sys.argv[2:]
        draw(Path(path), (int(width), int(height)), mode, pil_format)
    elif len(sys.argv) > 1:
        upload(sys.argv[1])
    else:
        main()
