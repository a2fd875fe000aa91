"""The database unreachable: readers get 503 and the branded page, cached
pages are still served, an editor's save fails saying so and keeps their
text (newsroom/outage.py).

The first tests make every new database connection fail in this process;
the last runs the site in gunicorn against a PostgreSQL cluster of its own
(bench/faults.py) and stops that cluster for real.
"""

import logging
import os
import shutil
from contextlib import contextmanager

import pytest
from django.db import IntegrityError, OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from articles import purge
from bench.faults import EDITED, FaultSite, database_down
from bench.services import postgres_bin
from newsroom import outage

from .factories import make_article


@pytest.fixture(autouse=True)
def outage_not_logged_yet(monkeypatch):
    """Each test's outage is logged as a new one."""
    monkeypatch.setattr(outage, "_last_logged", -outage.LOG_EVERY_SECONDS)


@contextmanager
def database_unreachable(monkeypatch):
    """Every query from here on finds the server gone, as after a restart
    of PostgreSQL: the open connection is dropped and a new one refused."""

    def refuse(self):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')

    with monkeypatch.context() as patch:
        patch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
        yield


def assert_branded_503(response) -> str:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "Pakistan Christian TV" in page
    assert 'class="masthead"' in page
    assert "Something went wrong" not in page
    return page


@pytest.mark.django_db
def test_readers_get_503_with_retry_after_and_cached_pages_still_come(
    client, monkeypatch, caplog
):
    cached = make_article(headline="Kept in the page cache").get_absolute_url()
    uncached = make_article(headline="Never read before").get_absolute_url()
    client.get(cached)
    caplog.set_level(logging.WARNING)
    with database_unreachable(monkeypatch):
        hit = client.get(cached)
        assert hit.status_code == 200
        assert hit["X-Page-Cache"] == "hit"
        assert "Kept in the page cache" in hit.content.decode()
        for _ in range(3):
            page = assert_branded_503(client.get(uncached))
        assert "We'll be back in a moment" in page
        assert "NOT saved" not in page
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["database"] == "unreachable"
    # Three 503s, one line saying why.
    outage_lines = [r for r in caplog.records if r.name == "newsroom.outage"]
    assert len(outage_lines) == 1
    assert "Database unreachable" in outage_lines[0].getMessage()
    assert client.get(uncached).status_code == 200


@pytest.mark.django_db
def test_an_unreadable_purge_log_is_logged_once_and_cached_pages_served(
    client, monkeypatch, settings, caplog
):
    cached = make_article(headline="Kept in the page cache").get_absolute_url()
    client.get(cached)
    settings.PURGE_POLL_SECONDS = 0  # Every request reads the purge log.
    purge.log.next_poll = 0
    caplog.set_level(logging.WARNING, logger="articles.purge")
    with database_unreachable(monkeypatch):
        for _ in range(5):
            response = client.get(cached)
            assert response.status_code == 200
            assert response["X-Page-Cache"] == "hit"
    assert client.get(cached).status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "articles.purge"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("Could not read the purge log")
    assert lines[1] == "The purge log can be read again."


@pytest.mark.django_db
def test_a_failed_save_says_nothing_was_saved_and_gives_the_text_back(
    editor_client, monkeypatch
):
    story = make_article(headline="As it was")
    # The signed-in session is read in middleware (two-step sign-in), so the
    # error reaches handler500 there rather than the view; as a browser sees.
    editor_client.raise_request_exception = False
    form = {
        "csrfmiddlewaretoken": "ignored-by-the-test-client",
        "headline": "A new <b>headline</b>",
        "standfirst": "A standfirst typed during the outage.",
        "body": "<p>Two hours of work.</p>\n<p>Second paragraph.</p>",
        "gallery_items-TOTAL_FORMS": "0",
        "_save": "Save",
    }
    with database_unreachable(monkeypatch):
        response = editor_client.post(
            f"/admin/articles/article/{story.pk}/change/", form
        )
    page = assert_branded_503(response)
    assert "The database could not be reached, so your changes were NOT saved" in page
    assert "your browser keeps the form" in page
    assert "A new &lt;b&gt;headline&lt;/b&gt;</textarea>" in page
    assert "A standfirst typed during the outage.</textarea>" in page
    assert "&lt;p&gt;Two hours of work.&lt;/p&gt;\n&lt;p&gt;Second paragraph." in page
    assert "readonly" in page
    assert "TOTAL_FORMS" not in page
    assert "_save" not in page
    story.refresh_from_db()
    assert story.headline == "As it was"


@pytest.mark.django_db
def test_a_sign_in_during_the_outage_never_shows_the_password(client, monkeypatch):
    with database_unreachable(monkeypatch):
        response = client.post(
            "/admin/login/", {"username": "desk", "password": "hunter2-secret"}
        )
    page = assert_branded_503(response)
    assert "hunter2-secret" not in page


@pytest.mark.django_db
def test_an_error_the_database_answered_is_still_a_500(client, monkeypatch):
    """Only "cannot reach the database" is a 503: a refused query is a bug."""
    url = make_article().get_absolute_url()

    def broken(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr("articles.views.Article.objects.published", broken)
    client.raise_request_exception = False
    response = client.get(url)
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


@pytest.mark.django_db
def test_a_lost_connection_in_middleware_is_a_503_too(
    editor_client, monkeypatch, settings
):
    """An error after the view, in SessionMiddleware saving the session,
    never reaches the view's exception handling; handler500 knows it too."""

    def lost(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    settings.SESSION_SAVE_EVERY_REQUEST = True
    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.save", lost)
    editor_client.raise_request_exception = False
    assert_branded_503(editor_client.get("/admin/"))


def require_postgres_and_redis() -> None:
    missing = [
        what
        for what, there in (
            ("PostgreSQL (initdb, pg_ctl)", postgres_bin()),
            ("redis-server", shutil.which("redis-server")),
        )
        if not there
    ]
    if missing:
        message = f"{' and '.join(missing)} needed to stop a database of its own"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_with_postgresql_stopped_the_site_degrades_and_recovers_by_itself():
    """gunicorn in production mode on PostgreSQL and Redis of its own: the
    fault run of `make faults`, checked."""
    require_postgres_and_redis()
    site = FaultSite(workers=1)
    try:
        site.start()
        seen = database_down(site, seconds=1)
    finally:
        site.stop()
        connections.close_all()

    for reading in seen.cached:
        assert reading.status == 200
        assert reading.headers["X-Page-Cache"] == "hit"
        assert "Story 0 before the fault" in reading.body
    for reading in seen.uncached:
        assert reading.status == 503
        assert reading.headers["Retry-After"] == "30"
        assert "We'll be back in a moment" in reading.body
        assert 'class="masthead"' in reading.body

    saved = seen.admin_post
    assert saved.status == 503
    assert "The database could not be reached, so your changes were NOT saved" in (
        saved.body
    )
    for text in EDITED.values():
        assert text.replace("<", "&lt;").replace(">", "&gt;") in saved.body

    assert seen.healthz.status == 200
    assert seen.readyz.status == 503
    assert '"database": "unreachable"' in seen.readyz.body

    assert [reading.status for reading in seen.after] == [200] * len(seen.after)
    assert seen.stored.split("|")[1] == "Story 0 before the fault"
    assert EDITED["standfirst"] not in seen.stored
    assert EDITED["body"] not in seen.stored
