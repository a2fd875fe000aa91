"""Chosen files that outlive a refused save.

Browsers cannot refill a file input, so a form refused for a missing alt
text would make the editor find and choose the picture again. Instead a
picture that passed its checks (uploads.py) is kept in storage under
KEPT_DIR and the form carries a signed token naming it in a hidden field;
the next save uses the kept file when no new one is chosen.

The token is signed with SECRET_KEY, so a forged one cannot name any other
stored file, and it expires after KEPT_MAX_AGE. Kept files sit in a folder
with a random name, as stories' pictures do before they are published.
"""

import secrets
from datetime import timedelta
from pathlib import PurePosixPath

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

KEPT_DIR = "tmp-uploads"
KEPT_MAX_AGE = 24 * 60 * 60  # a day: a refused form is corrected the same day
SALT = "articles.kept-upload"


def keep(files: list[tuple]) -> tuple[str, list[str]]:
    """Store checked files, each given with the name the editor chose it by;
    return the token that names them and their paths in storage."""
    sweep()
    kept = []
    for file, chosen in files:
        file.seek(0)
        folder = f"{KEPT_DIR}/{secrets.token_urlsafe(16)}"
        name = PurePosixPath(file.name).name
        kept.append([default_storage.save(f"{folder}/{name}", file), chosen])
    return signing.dumps(kept, salt=SALT), [path for path, _ in kept]


def kept_files(token: str) -> list[tuple[ContentFile, str, str]]:
    """The kept files a token names, each with its path in storage and the
    name it was chosen by; none when the token is empty, forged or expired,
    or a file is gone."""
    if not token:
        return []
    try:
        kept = signing.loads(token, salt=SALT, max_age=KEPT_MAX_AGE)
        pairs = [(str(path), str(chosen)) for path, chosen in kept]
    except (signing.BadSignature, TypeError, ValueError):
        return []
    files = []
    for path, chosen in pairs:
        if not path.startswith(f"{KEPT_DIR}/") or not default_storage.exists(path):
            return []
        with default_storage.open(path) as stored:
            content = stored.read()
        files.append(
            (ContentFile(content, name=PurePosixPath(path).name), path, chosen)
        )
    return files


def discard(paths) -> None:
    """Remove kept files once the form that kept them has been saved."""
    for path in paths:
        default_storage.delete(path)


def sweep() -> None:
    """Remove kept files older than their tokens: forms given up on."""
    try:
        folders, _ = default_storage.listdir(KEPT_DIR)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - timedelta(seconds=KEPT_MAX_AGE)
    for folder in folders:
        for name in default_storage.listdir(f"{KEPT_DIR}/{folder}")[1]:
            path = f"{KEPT_DIR}/{folder}/{name}"
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
