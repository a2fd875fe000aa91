"""Two gunicorn app servers in production mode, sharing one PostgreSQL test
database and one Redis, behind nginx running the sample site
deploy/nginx.conf (TLS with a throwaway certificate, only addresses and
paths changed).

Runs only when DATABASE_URL is PostgreSQL and REDIS_URL is set, as in
.ci/run; needs nginx and openssl (`make nginx`).
"""

import os
import re
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.db import connection

from newsroom.local_stack import (
    BASE_DIR,
    free_port,
    nginx_binary,
    nginx_main_config,
    production_env,
    render_site,
    start_gunicorn,
    start_nginx,
    stop,
)
from tests.factories import make_article, make_section

ON_POSTGRES_AND_REDIS = os.environ.get("DATABASE_URL", "").startswith(
    "postgres"
) and bool(os.environ.get("REDIS_URL"))

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES_AND_REDIS,
    reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL: app servers share them",
)


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """collectstatic once, as a deployment does before starting the servers."""
    if nginx_binary() is None:
        message = "nginx is not installed (make nginx)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("staticfiles")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=production_env(STATIC_ROOT=str(root)),
        check=True,
    )
    return root


class Stack:
    def __init__(self, folder: Path, static_root: Path, cache_prefix: str):
        self.folder = folder
        self.app_ports = [free_port(), free_port()]
        self.http_port, self.https_port = free_port(), free_port()
        db = connection.settings_dict
        self.env = production_env(
            DATABASE_URL=(
                f"postgres://{db['USER']}:{db['PASSWORD'] or ''}"
                f"@{db['HOST']}:{db['PORT']}/{db['NAME']}"
            ),
            DATABASE_CONN_MAX_AGE="0",
            CACHE_KEY_PREFIX=cache_prefix,
            STATIC_ROOT=str(static_root),
            GUNICORN_WORKERS="1",
            GUNICORN_GRACEFUL_TIMEOUT="2",
        )
        self.media_root = folder / "media"
        self.media_root.mkdir()
        self.processes: list[subprocess.Popen] = []

    def start(self) -> None:
        site = render_site(
            self.folder,
            self.app_ports,
            self.http_port,
            self.https_port,
            self.media_root,
        )
        self.tls = ssl.create_default_context(cafile=str(self.folder / "cert.pem"))
        for port in self.app_ports:
            self.processes.append(start_gunicorn(port, self.env, self.app_log(port)))
        config = nginx_main_config(self.folder, site)
        self.processes.append(start_nginx(config, self.https_port))

    def stop(self) -> None:
        for process in reversed(self.processes):
            stop(process)

    def app_log(self, port: int) -> Path:
        return self.folder / f"gunicorn-{port}.log"

    def get(self, url: str, **headers: str) -> tuple[int, dict, str]:
        """One request, redirects not followed: status, headers, body."""
        request = urllib.request.Request(url, headers=headers)
        opener = urllib.request.build_opener(
            NoRedirect, urllib.request.HTTPSHandler(context=self.tls)
        )
        try:
            with opener.open(request, timeout=10) as response:
                body = response.read()
                return response.status, response.headers, body.decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode(errors="replace")

    def via_nginx(self, path: str, **headers: str) -> tuple[int, dict, str]:
        return self.get(f"https://127.0.0.1:{self.https_port}{path}", **headers)

    def via_app(self, index: int, path: str, **headers: str) -> tuple[int, dict, str]:
        """Straight to one app server, with the header nginx would add."""
        url = f"http://127.0.0.1:{self.app_ports[index]}{path}"
        return self.get(url, **{"X-Forwarded-Proto": "https", **headers})


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def stack(transactional_db, static_root, tmp_path, settings):
    # A fresh key prefix, so nothing cached by an earlier run (with other
    # rows under the same ids) can be served; this process uses it too, so
    # the version bumps made by saves here reach the app servers.
    prefix = f"deploy-test-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": prefix}}
    stack = Stack(tmp_path, static_root, prefix)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def test_pages_come_through_nginx_from_both_app_servers(stack):
    story = make_article(headline="Harbour opens at dawn")

    status, headers, page = stack.via_nginx("/")
    assert status == 200
    assert "Harbour opens at dawn" in page

    # A logged-in reader's requests skip the micro-cache, so each reaches
    # an app server; nginx takes turns, and each server logs the request id
    # nginx sent.
    request_ids = []
    for _ in range(6):
        status, headers, page = stack.via_nginx(
            story.get_absolute_url(), Cookie="sessionid=not-a-session"
        )
        assert status == 200
        assert "Harbour opens at dawn" in page
        request_ids.append(headers["X-Request-ID"])
    time.sleep(0.2)
    logs = [stack.app_log(port).read_text() for port in stack.app_ports]
    for request_id in request_ids:
        assert sum(request_id in log for log in logs) == 1
    assert all(any(rid in log for rid in request_ids) for log in logs)

    # One app server stops (a deploy, a crash): readers do not notice.
    stop(stack.processes[0])
    for _ in range(4):
        status, headers, page = stack.via_nginx(
            story.get_absolute_url(), Cookie="sessionid=not-a-session"
        )
        assert status == 200
        assert "Harbour opens at dawn" in page

    assert stack.via_nginx("/healthz")[0] == 200
    status, headers, body = stack.via_nginx("/readyz")
    assert status == 200

    # Plain http only redirects to https.
    status, headers, _ = stack.get(f"http://127.0.0.1:{stack.http_port}/section/x/")
    assert status == 301
    assert headers["Location"] == "https://127.0.0.1/section/x/"


def test_story_published_through_one_server_shows_on_the_other_at_once(stack):
    section = make_section(name="Harbours", slug="harbours")
    make_article(headline="Old quay repainted", section=section)
    for index in (0, 1, 1):
        status, headers, page = stack.via_app(index, "/section/harbours/")
        assert status == 200
        assert "Old quay repainted" in page
        assert "New ferry to Gwadar" not in page
    assert headers["X-Page-Cache"] == "hit"

    # Saved here and committed, as the admin on either server would.
    make_article(headline="New ferry to Gwadar", section=section)

    for index in (1, 0):
        status, headers, page = stack.via_app(index, "/section/harbours/")
        assert "New ferry to Gwadar" in page
    # Through nginx the micro-cache may hold the old page for a second.
    deadline = time.monotonic() + 3
    while "New ferry to Gwadar" not in stack.via_nginx("/section/harbours/")[2]:
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_canonical_links_are_https_behind_the_proxy(stack):
    story = make_article(headline="Lighthouse restored")
    status, headers, page = stack.via_nginx(story.get_absolute_url())
    assert status == 200
    assert (
        f'<link rel="canonical" href="https://127.0.0.1{story.get_absolute_url()}">'
        in page
    )
    # Reaching an app server over plain http without the proxy's header
    # is refused with a redirect to https.
    url = f"http://127.0.0.1:{stack.app_ports[0]}{story.get_absolute_url()}"
    status, headers, _ = stack.get(url)
    assert status == 301
    assert headers["Location"].startswith("https://")


def test_micro_cache_serves_repeats_but_never_stores_a_session_response(stack):
    make_article(headline="Tide tables for December", tags=["tides"])

    answers = [stack.via_nginx("/tag/tides/")[1] for _ in "ab"]
    assert [headers["X-Cache-Status"] for headers in answers] == ["MISS", "HIT"]
    # The copy served from the cache carries its own request's id, the one
    # nginx logged for it, not the id of the request that filled the cache.
    hit_id = answers[1]["X-Request-ID"]
    assert hit_id != answers[0]["X-Request-ID"]
    time.sleep(1.2)  # nginx writes its access log a second at a time
    log = (stack.folder / "newsroom.access.log").read_text()
    assert f"cache=HIT upstream=- id={hit_id} " in log

    # With a session cookie: straight to the app, private, and not kept
    # for the next reader.
    make_article(headline="Ferry timetable", tags=["ferries"])
    status, headers, page = stack.via_nginx("/tag/ferries/", Cookie="sessionid=x")
    assert "Ferry timetable" in page
    assert headers["X-Cache-Status"] == "BYPASS"
    assert "private" in headers["Cache-Control"]
    assert stack.via_nginx("/tag/ferries/")[1]["X-Cache-Status"] == "MISS"

    for _ in "ab":
        status, headers, page = stack.via_nginx("/admin/login/")
        assert status == 200
        assert "X-Cache-Status" not in headers


def test_micro_cache_keeps_compressed_and_plain_copies_apart(stack):
    make_article(headline="Monsoon forecast", tags=["monsoon"])
    gzip_reader = {"Accept-Encoding": "gzip, deflate, br"}
    plain_reader = {"Accept-Encoding": "identity"}

    packed = [stack.via_nginx("/tag/monsoon/", **gzip_reader)[1] for _ in "ab"]
    assert [headers["X-Cache-Status"] for headers in packed] == ["MISS", "HIT"]
    assert packed[1]["Content-Encoding"] == "gzip"
    # A reader who cannot unpack gzip never gets the stored gzip copy.
    for expected in ("MISS", "HIT"):
        status, headers, page = stack.via_nginx("/tag/monsoon/", **plain_reader)
        assert headers["X-Cache-Status"] == expected
        assert "Content-Encoding" not in headers
        assert "Monsoon forecast" in page


def test_static_files_are_hashed_compressed_and_cached_for_a_year(stack):
    page = stack.via_nginx("/")[2]
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page)[1]

    for encoding in ("br", "gzip"):
        status, headers, _ = stack.via_nginx(
            stylesheet, **{"Accept-Encoding": encoding}
        )
        assert status == 200
        assert headers["Content-Encoding"] == encoding
        max_age = re.search(r"max-age=(\d+)", headers["Cache-Control"])[1]
        assert int(max_age) >= 365 * 24 * 3600
        assert "immutable" in headers["Cache-Control"]
    # The second request for the same file and encoding comes from nginx.
    headers = stack.via_nginx(stylesheet, **{"Accept-Encoding": "gzip"})[1]
    assert headers["X-Cache-Status"] == "HIT"
