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


def keep(file, chosen_name: str) -> str:
    """Store a checked file and return the token that names it."""
    sweep()
    file.seek(0)
    folder = f"{KEPT_DIR}/{secrets.token_urlsafe(16)}"
    stored = default_storage.save(f"{folder}/{PurePosixPath(file.name).name}", file)
    return signing.dumps({"path": stored, "chosen": chosen_name}, salt=SALT)


def kept_file(token: str) -> tuple[ContentFile, str, str] | None:
    """The kept file a token names, its path in storage and the name the
    editor chose it by; None when the token is empty, forged or expired, or
    its file is gone."""
    if not token:
        return None
    try:
        kept = signing.loads(token, salt=SALT, max_age=KEPT_MAX_AGE)
        path, chosen = kept["path"], kept["chosen"]
    except (signing.BadSignature, KeyError, TypeError):
        return None
    if not path.startswith(f"{KEPT_DIR}/") or not default_storage.exists(path):
        return None
    with default_storage.open(path) as stored:
        content = stored.read()
    return ContentFile(content, name=PurePosixPath(path).name), path, chosen


def discard(path: str) -> None:
    """Remove a kept file once the form that kept it has been saved."""
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
