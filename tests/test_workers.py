"""The embedded default (SQLite, each worker's own page cache, no Redis) is
correct with several gunicorn workers and with changes made by management
commands: every worker serves an edit within two seconds."""

import subprocess
import sys
import time
import urllib.request

import pytest

from bench.local_stack import (
    BASE_DIR,
    free_port,
    production_env,
    start_gunicorn,
    stop,
)

EDIT = """
from articles.models import Article
story = Article.objects.get(slug="floods")
story.headline = "{headline}"
story.save()
"""

CREATE = """
from datetime import timedelta
from django.utils import timezone
from articles.models import Article, Section
section = Section.objects.create(name="World", slug="world")
Article.objects.create(
    headline="Floods in Sindh", slug="floods", standfirst="Thousands moved.",
    section=section, status="published",
    published_at=timezone.now() - timedelta(hours=1),
)
"""


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("embedded")
    env = production_env(
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        STATIC_ROOT=str(folder / "static"),
        MEDIA_ROOT=str(folder / "media"),
        GUNICORN_WORKERS="3",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
    )
    env.pop("REDIS_URL", None)

    def manage(*args: str) -> None:
        command = [sys.executable, "manage.py", *args]
        subprocess.run(command, cwd=BASE_DIR, env=env, check=True, capture_output=True)

    manage("migrate", "--noinput")
    manage("collectstatic", "--noinput")
    manage("shell", "-c", CREATE)
    port = free_port()
    server = start_gunicorn(port, env, folder / "gunicorn.log")
    try:
        yield f"http://127.0.0.1:{port}", manage
    finally:
        stop(server)


def headlines(base: str, count: int = 30) -> list[str]:
    """The story's headline as `count` requests see it, each on a new
    connection, so all three workers answer some of them."""
    seen = []
    for _ in range(count):
        with urllib.request.urlopen(f"{base}/news/1/floods/", timeout=5) as response:
            body = response.read().decode()
            cache = response.headers["X-Page-Cache"]
        seen.append(("new" if "Rescue under way" in body else "old", cache))
    return seen


def test_an_edit_by_a_management_command_reaches_every_worker(embedded):
    base, manage = embedded
    before = headlines(base)
    assert {state for state, _ in before} == {"old"}
    assert ("old", "hit") in before  # The workers keep the page.

    manage("shell", "-c", EDIT.format(headline="Floods in Sindh: Rescue under way"))
    edited_at = time.monotonic()
    time.sleep(2)
    after = headlines(base)
    assert {state for state, _ in after} == {"new"}, after
    assert ("new", "hit") in after  # Kept again, the new version.
    assert time.monotonic() - edited_at < 10
