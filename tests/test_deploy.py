"""The production stack on 127.0.0.1, from the shipped files with only
addresses and paths changed (bench/local_stack.py).

- Varnish with deploy/varnish.vcl in front of a stand-in app server (a
  small http.server in this process that answers with the app's cache
  headers and counts requests): what it keeps, for how long, what a purge
  removes, what it never keeps. Runs everywhere; fails without varnishd
  and the xkey vmod (`make varnish`).
- The same with nginx and deploy/nginx.conf in front (needs nginx).
- Two gunicorn app servers in production mode, sharing one PostgreSQL test
  database and one Redis, behind the recommended stack (nginx with
  deploy/nginx.conf, TLS with a throwaway certificate, Varnish) and behind
  today's shipped stack (bench/nginx-microcache.conf, nginx's micro-cache).
  Runs only when DATABASE_URL is PostgreSQL and REDIS_URL is set, as in
  .ci/run; needs nginx, Varnish and openssl (`make nginx varnish`).
"""

import gzip
import http.client
import os
import re
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import connection

from articles.models import Purge
from bench.local_stack import (
    BASE_DIR,
    MICROCACHE_SITE,
    SAMPLE_SITE,
    LocalStack,
    free_port,
    nginx_binary,
    nginx_main_config,
    production_env,
    render_site,
    render_vcl,
    start_nginx,
    start_varnish,
    stop,
    varnishd_binary,
)
from tests.factories import make_article, make_image, make_section
from tests.test_browser import browser  # noqa: F401 (fixture)

ON_POSTGRES_AND_REDIS = os.environ.get("DATABASE_URL", "").startswith(
    "postgres"
) and bool(os.environ.get("REDIS_URL"))

needs_postgres_and_redis = pytest.mark.skipif(
    not ON_POSTGRES_AND_REDIS,
    reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL: app servers share them",
)

# What the app sends with a public page (see /work/notes/purge-spec.md).
PUBLIC = {
    "Cache-Control": "public, max-age=60",
    "Surrogate-Control": "max-age=3600",
    "CDN-Cache-Control": "max-age=3600",
    "Surrogate-Key": "site",
    "Vary": "Accept-Encoding, Cookie",
}
# Headers that are for caches only.
CACHE_ONLY = ("xkey", "Surrogate-Key", "Surrogate-Control", "CDN-Cache-Control")


def require_varnish() -> None:
    if varnishd_binary() is None:
        pytest.fail("varnishd is not installed (make varnish)")


def require_nginx() -> None:
    if nginx_binary() is None:
        message = "nginx is not installed (make nginx)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


class StandIn:
    """A stand-in app server on a free port. Every path answers 200 with a
    body naming the path and how many requests it has had, gzipped when
    the request accepts gzip, and the headers of a public page (PUBLIC)
    changed by what a test gave for that path (None removes one). /healthz
    answers 200 while `healthy`, 503 otherwise (and so do pages)."""

    def __init__(self) -> None:
        self.headers: dict[str, dict[str, str | None]] = {}
        self.requests: Counter[str] = Counter()
        self.received: dict[str, http.client.HTTPMessage] = {}
        self.healthy = True
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                stand_in.answer(self)

            do_POST = do_GET

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        )
        self.thread.start()

    def page(self, path: str, **headers: str | None) -> None:
        self.headers[path] = {name.replace("_", "-"): v for name, v in headers.items()}

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        status = 200 if self.healthy else 503
        if path == "/healthz":
            headers, body = {"Cache-Control": "no-cache, no-store, private"}, b"ok"
        else:
            with self.lock:
                self.requests[path] += 1
                self.received[path] = handler.headers
                count = self.requests[path]
            headers = {**PUBLIC, **self.headers.get(path, {})}
            body = f"{path} answer {count}\n".encode() * 20
            if "gzip" in handler.headers.get("Accept-Encoding", ""):
                body = gzip.compress(body)
                headers["Content-Encoding"] = "gzip"
        if handler.command == "POST":
            handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        handler.send_response(status)
        for name, value in headers.items():
            if value is not None:
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        # As gunicorn's sync workers do; and a stopped stand-in is gone.
        handler.send_header("Connection", "close")
        handler.close_connection = True
        handler.end_headers()
        handler.wfile.write(body)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Varnish:
    """varnishd with the shipped VCL in front of stand-in app servers."""

    def __init__(self, folder: Path, backends: list[StandIn], **render) -> None:
        self.backends = backends
        self.port = free_port()
        vcl = folder / "varnish.vcl"
        vcl.write_text(render_vcl([backend.port for backend in backends], **render))
        self.process = start_varnish(vcl, self.port, folder)

    def request(
        self,
        path: str,
        method: str = "GET",
        source: str | None = None,
        **headers: str,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request: status, headers and body as sent (not unpacked)."""
        connection = http.client.HTTPConnection(
            "127.0.0.1",
            self.port,
            timeout=10,
            source_address=(source, 0) if source else None,
        )
        try:
            headers = {name.replace("_", "-"): v for name, v in headers.items()}
            connection.request(method, path, headers=headers)
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def purge(self, keys: str, source: str | None = None) -> tuple[int, bytes]:
        status, _, body = self.request("/", "PURGE", source, xkey_purge=keys)
        return status, body

    def x_cache(self, path: str, **headers: str) -> str:
        status, answer, _ = self.request(path, **headers)
        assert status == 200
        return answer["X-Cache"]

    def stop(self) -> None:
        stop(self.process)


@pytest.fixture
def start_varnish_before(tmp_path):
    """Varnish (with render_vcl's options) in front of n stand-in servers."""
    require_varnish()
    started: list = []

    def start(servers: int = 1, **render) -> Varnish:
        backends = [StandIn() for _ in range(servers)]
        started.extend(backends)
        varnish = Varnish(tmp_path, backends, **render)
        started.append(varnish)
        return varnish

    yield start
    for thing in reversed(started):
        thing.stop()


@pytest.fixture
def varnish(start_varnish_before) -> Varnish:
    return start_varnish_before()


def test_varnish_keeps_pages_and_readers_never_see_the_keys(varnish):
    app = varnish.backends[0]
    answers = [varnish.request("/section/harbours/") for _ in "abc"]
    assert [headers["X-Cache"] for _, headers, _ in answers] == ["MISS", "HIT", "HIT"]
    assert answers[2][1]["X-Cache-Hits"] == "2"
    assert app.requests["/section/harbours/"] == 1
    assert answers[0][2] == answers[2][2] == b"/section/harbours/ answer 1\n" * 20
    for _, headers, _ in answers:
        for name in CACHE_ONLY:
            assert name not in headers
        # Browsers keep it as the app said, counted from now.
        assert headers["Cache-Control"] == "public, max-age=60"
        assert "Age" not in headers
    # HEAD is answered from the same copy.
    status, headers, body = varnish.request("/section/harbours/", "HEAD")
    assert (status, headers["X-Cache"], body) == (200, "HIT", b"")
    assert app.requests["/section/harbours/"] == 1
    # Other cookies than the session's do not matter: they are not sent on
    # and do not split the cache.
    assert varnish.x_cache("/section/harbours/", Cookie="_ga=GA1.2.3") == "HIT"
    assert varnish.x_cache("/tag/tides/", Cookie="consent=yes") == "MISS"
    assert "Cookie" not in app.received["/tag/tides/"]
    assert varnish.x_cache("/tag/tides/") == "HIT"


def test_purge_removes_exactly_the_objects_with_the_keys(varnish):
    app = varnish.backends[0]
    app.page("/s1/", Surrogate_Key="s1 nav site")
    app.page("/", Surrogate_Key="s1 s2 front nav site")
    app.page("/s2/", Surrogate_Key="s2 nav site")
    app.page("/s3/", Surrogate_Key="s3 nav site")
    for path in ("/s1/", "/", "/s2/", "/s3/"):
        assert [varnish.x_cache(path) for _ in "ab"] == ["MISS", "HIT"]

    assert varnish.purge("s1") == (200, b"2\n")
    assert varnish.x_cache("/s2/") == "HIT"
    assert varnish.x_cache("/s3/") == "HIT"
    assert varnish.x_cache("/s1/") == "MISS"
    assert varnish.x_cache("/") == "MISS"
    assert app.requests == {"/s1/": 2, "/": 2, "/s2/": 1, "/s3/": 1}
    # The fresh copies are kept again, and several keys go at once.
    assert varnish.x_cache("/s1/") == "HIT"
    assert varnish.purge("s3 front") == (200, b"2\n")
    assert [varnish.x_cache(p) for p in ("/s1/", "/s2/")] == ["HIT", "HIT"]
    assert [varnish.x_cache(p) for p in ("/", "/s3/")] == ["MISS", "MISS"]
    assert varnish.purge("nothing-has-this") == (200, b"0\n")
    # `site` is on everything.
    assert varnish.purge("site") == (200, b"4\n")
    assert varnish.x_cache("/s2/") == "MISS"


def test_purge_only_from_the_acl_and_only_with_keys(varnish):
    varnish.backends[0].page("/s1/", Surrogate_Key="s1 site")
    assert varnish.x_cache("/s1/") == "MISS"
    # 127.0.0.2 is this machine too, but not in the purge ACL.
    status, body = varnish.purge("s1", source="127.0.0.2")
    assert status == 403
    status, _, _ = varnish.request("/", "PURGE")
    assert status == 403
    assert varnish.x_cache("/s1/") == "HIT"


def test_lifetime_follows_surrogate_control_not_cache_control(varnish):
    app = varnish.backends[0]
    app.page("/short/", Surrogate_Control="max-age=2", CDN_Cache_Control="max-age=2")
    assert [varnish.x_cache("/short/") for _ in "ab"] == ["MISS", "HIT"]
    time.sleep(2.2)
    # Past its lifetime a healthy site never serves it, even with grace.
    assert varnish.x_cache("/short/") == "MISS"
    assert app.requests["/short/"] == 2
    status, _, body = varnish.request("/short/")
    assert body == b"/short/ answer 2\n" * 20

    # A lifetime of 0 (a scheduled change is due) is never served again.
    app.page("/due/", Surrogate_Control="max-age=0")
    assert [varnish.x_cache("/due/") for _ in "ab"] == ["MISS", "MISS"]
    assert app.requests["/due/"] == 2

    # Without Surrogate-Control, Varnish's defaults: Cache-Control.
    app.page("/plain/", Surrogate_Control=None, Cache_Control="public, max-age=1")
    assert [varnish.x_cache("/plain/") for _ in "ab"] == ["MISS", "HIT"]
    time.sleep(1.2)
    assert varnish.x_cache("/plain/") == "MISS"


def test_editors_the_newsroom_and_health_checks_always_reach_the_app(varnish):
    app = varnish.backends[0]
    assert varnish.x_cache("/tag/ferries/") == "MISS"
    paths = [
        "/admin/login/",
        "/preview/12/",
        "/stats/view/",
        "/ur/preview/12/",
        "/ur/stats/view/",
        "/healthz",
        "/readyz",
        "/readyz?full=1",
    ]
    for path in paths:
        for _ in "ab":
            # The stand-in answers all with a public page's headers.
            assert varnish.x_cache(path) == "MISS"
    assert all(app.requests[path] == 2 for path in paths if path != "/healthz")

    for _ in "ab":
        # An editor never gets the stored copy, and what they get is not kept.
        cookie = "csrftoken=abc; sessionid=not-a-session"
        assert varnish.x_cache("/tag/ferries/", Authorization="Basic eDp5") == "MISS"
        assert varnish.x_cache("/tag/ferries/", Cookie=cookie) == "MISS"
    assert app.requests["/tag/ferries/"] == 5
    # The session cookie reaches the app; the anonymous copy is still there.
    assert "sessionid=not-a-session" in app.received["/tag/ferries/"]["Cookie"]
    assert varnish.x_cache("/tag/ferries/") == "HIT"

    # Posts go through.
    for _ in "ab":
        status, headers, _ = varnish.request("/search/", "POST", Content_Length="0")
        assert (status, headers["X-Cache"]) == (200, "MISS")
    assert app.requests["/search/"] == 2


def test_answers_that_set_a_cookie_or_are_private_are_not_kept(varnish):
    app = varnish.backends[0]
    app.page("/cookie/", Set_Cookie="csrftoken=abc; Path=/")
    # Private even though Surrogate-Control says an hour (Varnish's own
    # rules would follow Surrogate-Control and keep it).
    app.page("/private/", Cache_Control="private, no-cache, no-store, max-age=0")
    app.page("/no-store/", Cache_Control="no-store")
    for path in ("/cookie/", "/private/", "/no-store/"):
        assert [varnish.x_cache(path) for _ in "abc"] == ["MISS"] * 3
        assert app.requests[path] == 3
    _, headers, _ = varnish.request("/cookie/")
    assert headers["Set-Cookie"] == "csrftoken=abc; Path=/"


def test_one_gzip_copy_serves_readers_with_and_without_gzip(varnish):
    app = varnish.backends[0]
    plain = b"/video/ answer 1\n" * 20
    status, headers, body = varnish.request("/video/")
    assert (headers["X-Cache"], body) == ("MISS", plain)
    assert "Content-Encoding" not in headers
    # The app was asked for gzip; that copy is the one kept.
    assert app.received["/video/"]["Accept-Encoding"] == "gzip"
    status, headers, body = varnish.request("/video/", Accept_Encoding="gzip, br")
    assert (headers["X-Cache"], headers["Content-Encoding"]) == ("HIT", "gzip")
    assert gzip.decompress(body) == plain
    status, headers, body = varnish.request("/video/", Accept_Encoding="gzip;q=0")
    assert (headers["X-Cache"], body) == ("HIT", plain)
    assert app.requests["/video/"] == 1


def test_stale_pages_only_while_every_app_server_is_down(start_varnish_before):
    varnish = start_varnish_before(probe_interval="0.1s")
    app = varnish.backends[0]
    app.page("/front/", Surrogate_Control="max-age=1")
    assert varnish.x_cache("/front/") == "MISS"

    app.healthy = False
    deadline = time.monotonic() + 5
    while varnish.request("/healthz")[0] != 503:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(1.1)  # Past its lifetime.
    # The site is down: the copy Varnish has is better than an error.
    status, headers, body = varnish.request("/front/")
    assert (status, headers["X-Cache"]) == (200, "HIT")
    assert body == b"/front/ answer 1\n" * 20
    # What it never had, it cannot serve.
    assert varnish.request("/never-seen/")[0] == 503

    app.healthy = True
    while varnish.request("/healthz")[0] != 200:
        assert time.monotonic() < deadline + 5
        time.sleep(0.05)
    status, headers, body = varnish.request("/front/")
    assert headers["X-Cache"] == "MISS"
    assert body.startswith(b"/front/ answer ")
    assert body != b"/front/ answer 1\n" * 20


def test_requests_take_turns_and_skip_a_server_that_went_away(start_varnish_before):
    varnish = start_varnish_before(servers=2)
    first, second = varnish.backends
    for _ in range(4):
        assert varnish.request("/admin/")[0] == 200
    assert first.requests["/admin/"] == second.requests["/admin/"] == 2

    # Gone before the health probe has noticed: each GET tries the next.
    first.stop()
    for number in range(6):
        assert varnish.request(f"/story-{number}/")[0] == 200
        assert varnish.request("/admin/")[0] == 200
    assert second.requests["/admin/"] == 8


def test_nginx_sends_pages_to_varnish_and_refuses_purges(
    start_varnish_before, tmp_path
):
    require_nginx()
    varnish = start_varnish_before()
    app = varnish.backends[0]
    app.page("/story/", Surrogate_Key="s1 site")
    app.page("/static/css/site.css", Cache_Control="max-age=315360000, immutable")
    http_port, https_port = free_port(), free_port()
    (tmp_path / "media").mkdir()
    site = render_site(
        tmp_path, [varnish.port], http_port, https_port, tmp_path / "media"
    )
    nginx = start_nginx(nginx_main_config(tmp_path, site), https_port)
    tls = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))

    def get(path, method="GET", **headers):
        connection = http.client.HTTPSConnection(
            "127.0.0.1", https_port, context=tls, timeout=10
        )
        try:
            connection.request(method, path, headers=headers)
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    try:
        answers = [get("/story/") for _ in "ab"]
        assert [headers["X-Cache"] for _, headers, _ in answers] == ["MISS", "HIT"]
        for _, headers, _ in answers:
            for name in CACHE_ONLY:
                assert name not in headers
        # What the app is told: the reader's address only (not nginx's, as
        # Varnish would add), https, and the id of the request nginx logs.
        received = app.received["/story/"]
        assert received["X-Forwarded-For"] == "127.0.0.1"
        assert received["X-Forwarded-Proto"] == "https"
        assert received["X-Request-ID"] == answers[0][1]["X-Request-ID"]
        assert answers[1][1]["X-Request-ID"] != answers[0][1]["X-Request-ID"]

        # Readers cannot purge, though nginx is inside Varnish's ACL.
        status, _, _ = get("/", "PURGE", **{"xkey-purge": "s1"})
        assert status == 405
        assert get("/story/")[1]["X-Cache"] == "HIT"

        # Static files pass Varnish untouched (brotli stays possible) and
        # nginx keeps them.
        statics = [get("/static/css/site.css", **{"Accept-Encoding": "br"})[1]]
        statics.append(get("/static/css/site.css", **{"Accept-Encoding": "br"})[1])
        assert [headers["X-Cache-Status"] for headers in statics] == ["MISS", "HIT"]
        assert app.requests["/static/css/site.css"] == 1
        assert app.received["/static/css/site.css"]["Accept-Encoding"] == "br"

        # Uploads are served, but not the pictures kept after a refused save
        # (articles/kept.py): they are not published.
        (tmp_path / "media" / "tmp-uploads" / "k").mkdir(parents=True)
        for name in ("photo.jpg", "tmp-uploads/k/photo.jpg"):
            (tmp_path / "media" / name).write_bytes(b"picture")
        assert get("/media/photo.jpg")[0] == 200
        assert get("/media/tmp-uploads/k/photo.jpg")[0] == 404
    finally:
        stop(nginx)


# The real app servers.


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """collectstatic once, as a deployment does before starting the servers."""
    require_nginx()
    require_varnish()
    root = tmp_path_factory.mktemp("staticfiles")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=production_env(STATIC_ROOT=str(root)),
        check=True,
    )
    return root


class Stack(LocalStack):
    """LocalStack on the test database, with requests to it."""

    def __init__(self, folder, static_root, cache_prefix, site_file):
        db = connection.settings_dict
        env = production_env(
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
        super().__init__(folder, env, site_file)

    def start(self) -> None:
        super().start()
        self.tls = ssl.create_default_context(cafile=str(self.folder / "cert.pem"))

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


def running_stack(site_file, static_root, tmp_path, settings):
    # A fresh key prefix, so nothing cached by an earlier run (with other
    # rows under the same ids) can be served; this process uses it too, so
    # what saves here do reaches the app servers.
    prefix = f"deploy-test-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": prefix}}
    stack = Stack(tmp_path, static_root, prefix, site_file)
    if stack.varnish_port:
        # Saves made here purge the stack's Varnish, as the app servers' do.
        settings.VARNISH_URLS = [stack.varnish_url]
        # As on the app servers: edge purges wait one poll of the purge log.
        settings.PURGE_POLL_SECONDS = 0.5
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def stack(transactional_db, static_root, tmp_path, settings):
    """The recommended stack: nginx, Varnish, two app servers."""
    yield from running_stack(SAMPLE_SITE, static_root, tmp_path, settings)


@pytest.fixture
def microcache_stack(transactional_db, static_root, tmp_path, settings):
    """Today's shipped stack: nginx's micro-cache, two app servers."""
    yield from running_stack(MICROCACHE_SITE, static_root, tmp_path, settings)


@needs_postgres_and_redis
def test_pages_come_through_nginx_from_both_app_servers(stack):
    story = make_article(headline="Harbour opens at dawn")

    status, headers, page = stack.via_nginx("/")
    assert status == 200
    assert "Harbour opens at dawn" in page

    # A logged-in reader's requests skip Varnish's cache, so each reaches
    # an app server; Varnish takes turns, and each server logs the request
    # id nginx sent.
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


@needs_postgres_and_redis
def test_story_published_through_one_server_shows_on_the_other_within_a_second(
    microcache_stack,
):
    stack = microcache_stack
    section = make_section(name="Harbours", slug="harbours")
    make_article(headline="Old quay repainted", section=section)
    for index in (0, 1):
        status, headers, page = stack.via_app(index, "/section/harbours/")
        assert status == 200
        assert "Old quay repainted" in page
        assert "New ferry to Gwadar" not in page
    # Kept in the shared cache: a server that read the new stories' purges
    # after the other rendered the page renders it once more, then keeps it.
    deadline = time.monotonic() + 3
    while stack.via_app(1, "/section/harbours/")[1]["X-Page-Cache"] != "hit":
        assert time.monotonic() < deadline
        time.sleep(0.1)

    # Saved here and committed, as the admin on either server would. Each
    # app server reads the purge log once every PURGE_POLL_SECONDS (0.5 s).
    make_article(headline="New ferry to Gwadar", section=section)

    deadline = time.monotonic() + 3
    for index in (1, 0):
        while (
            "New ferry to Gwadar" not in stack.via_app(index, "/section/harbours/")[2]
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)
    # Through nginx the micro-cache may hold the old page for a second.
    deadline = time.monotonic() + 3
    while "New ferry to Gwadar" not in stack.via_nginx("/section/harbours/")[2]:
        assert time.monotonic() < deadline
        time.sleep(0.2)


def settled(seconds: float = 10) -> None:
    """Wait until Varnish has taken every purge made so far (the new
    stories' own, which would drop the pages cached next)."""
    deadline = time.monotonic() + seconds
    while Purge.objects.filter(sent_at__isnull=True).exists():
        assert time.monotonic() < deadline, "purges were not sent"
        time.sleep(0.1)


@needs_postgres_and_redis
def test_an_edit_purges_exactly_the_pages_that_show_the_story(stack):
    harbours = make_section(name="Harbours", slug="harbours")
    markets = make_section(name="Markets", slug="markets")
    story = make_article(headline="Old quay repainted", section=harbours)
    other = make_article(headline="Fish prices steady", section=markets)
    settled()
    changed = [story.get_absolute_url(), "/section/harbours/"]
    unchanged = [other.get_absolute_url(), "/section/markets/"]
    for path in changed + unchanged:
        answers = [stack.via_nginx(path)[1] for _ in "ab"]
        assert [headers["X-Cache"] for headers in answers] == ["MISS", "HIT"]
    # The app servers tell Varnish to keep pages for hours, by keys.
    headers = stack.via_app(0, story.get_absolute_url())[1]
    assert headers["Surrogate-Control"] == "max-age=14400"
    assert f"s{story.pk}" in headers["Surrogate-Key"].split()

    # Saved here, as the admin on either server would: after the commit
    # this process sends Varnish the story's keys.
    story.headline = "Quay repainted blue"
    story.save()

    deadline = time.monotonic() + 5
    for path in changed:
        while "Quay repainted blue" not in (answer := stack.via_nginx(path))[2]:
            assert "Old quay repainted" in answer[2]
            # Still old after 5 s: Varnish did not get the purge, or refilled
            # the page from an app server that had not read it yet.
            assert time.monotonic() < deadline, (path, dict(answer[1]))
            time.sleep(0.1)
    # The fresh pages are kept again; the others were never dropped.
    for path in changed:
        assert stack.via_nginx(path)[1]["X-Cache"] == "HIT"
    for path in unchanged:
        status, headers, page = stack.via_nginx(path)
        assert (status, headers["X-Cache"], headers["X-Cache-Hits"]) == (
            200,
            "HIT",
            "2",
        )
        assert "Fish prices steady" in page
    # Readers see neither the keys nor the edge lifetime.
    for name in CACHE_ONLY:
        assert name not in headers


@needs_postgres_and_redis
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


@needs_postgres_and_redis
def test_varnish_serves_repeats_but_never_stores_a_session_response(stack):
    make_article(headline="Tide tables for December", tags=["tides"])

    answers = [stack.via_nginx("/tag/tides/")[1] for _ in "ab"]
    assert [headers["X-Cache"] for headers in answers] == ["MISS", "HIT"]
    for headers in answers:
        for name in CACHE_ONLY:
            assert name not in headers
        assert headers["Cache-Control"].startswith("public, max-age=")
    # The copy served from the cache carries its own request's id, the one
    # nginx logged for it, not the id of the request that filled the cache.
    hit_id = answers[1]["X-Request-ID"]
    assert hit_id != answers[0]["X-Request-ID"]
    time.sleep(1.2)  # nginx writes its access log a second at a time
    log = (stack.folder / "newsroom.access.log").read_text()
    assert f"varnish=HIT id={hit_id} " in log

    # With a session cookie: straight to the app, private, and not kept
    # for the next reader.
    make_article(headline="Ferry timetable", tags=["ferries"])
    status, headers, page = stack.via_nginx("/tag/ferries/", Cookie="sessionid=x")
    assert "Ferry timetable" in page
    assert headers["X-Cache"] == "MISS"
    assert "private" in headers["Cache-Control"]
    assert stack.via_nginx("/tag/ferries/")[1]["X-Cache"] == "MISS"

    for _ in "ab":
        status, headers, page = stack.via_nginx("/admin/login/")
        assert status == 200
        assert headers["X-Cache"] == "MISS"


@needs_postgres_and_redis
def test_micro_cache_serves_repeats_but_never_stores_a_session_response(
    microcache_stack,
):
    stack = microcache_stack
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


@needs_postgres_and_redis
def test_micro_cache_keeps_compressed_and_plain_copies_apart(microcache_stack):
    stack = microcache_stack
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


@needs_postgres_and_redis
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


def directives(header: str) -> dict[str, str]:
    """A Content-Security-Policy as {directive: sources} ("" for none)."""
    parts = [part.split(None, 1) for part in header.split(";") if part.strip()]
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


@needs_postgres_and_redis
def test_security_headers_on_pages_the_admin_and_uploads(stack):
    picture = make_image()
    story = make_article(headline="Headers for every answer", lead_image=picture)
    rendition = picture.renditions[0]["jpeg"]
    answers = {
        "front": stack.via_nginx("/"),
        "story": stack.via_nginx(story.get_absolute_url()),
        "admin": stack.via_nginx("/admin/login/"),
        "again": stack.via_nginx("/admin/login/"),
        "upload": stack.via_nginx(picture.file.url),
        "rendition": stack.via_nginx(f"/media/{rendition}"),
    }
    ids = set()
    for name, (status, headers, _) in answers.items():
        assert status == 200, name
        # What Django sends with pages, nginx with uploads.
        assert headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        ), name
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", name
        assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"]), name
        ids.add(headers["X-Request-ID"])
        # No versions: nginx's without, Varnish's gone.
        assert headers["Server"] == "nginx", name
        assert "Via" not in headers and "X-Varnish" not in headers, name
        assert len(headers.get_all("Content-Security-Policy")) == 1, name
    assert len(ids) == len(answers)

    for name in ("front", "story"):
        headers = answers[name][1]
        policy = directives(headers["Content-Security-Policy"])
        assert policy["script-src"] == policy["style-src"] == "'self'"
        assert "nonce" not in headers["Content-Security-Policy"]
        assert "camera=()" in headers["Permissions-Policy"]
        assert "publickey-credentials-get=()" in headers["Permissions-Policy"]
    nonces = set()
    for name in ("admin", "again"):
        headers = answers[name][1]
        policy = directives(headers["Content-Security-Policy"])
        nonces.add(re.fullmatch(r"'self' 'nonce-(\S+)'", policy["script-src"])[1])
        assert "publickey-credentials-get=(self)" in headers["Permissions-Policy"]
        assert "camera=()" in headers["Permissions-Policy"]
    assert len(nonces) == 2
    for name in ("upload", "rendition"):
        headers = answers[name][1]
        assert headers["Content-Type"] == "image/jpeg"
        policy = directives(headers["Content-Security-Policy"])
        assert policy["default-src"] == policy["form-action"] == "'none'"
        assert policy["img-src"] == policy["media-src"] == "'self'"
        # Nothing runs in an upload, so no Permissions-Policy is needed.
        assert "Permissions-Policy" not in headers
        assert "max-age=604800" in headers["Cache-Control"]

    # nginx's own answers: no version on the error page either.
    status, headers, body = stack.via_nginx("/media/nothing-here.jpg")
    assert (status, headers["Server"]) == (404, "nginx")
    assert "<center>nginx</center>" in body
    assert not re.search(r"nginx/\d", body)
    # Nor in the app servers' own header (gunicorn sends no version).
    status, headers, _ = stack.via_app(0, "/healthz")
    assert (status, headers["Server"]) == (200, "gunicorn")


@needs_postgres_and_redis
@pytest.mark.browser
def test_uploads_open_in_the_browser_but_run_nothing(stack, browser):  # noqa: F811
    picture = make_image()
    # What a polyglot upload would be if it got past the checks: a page.
    (stack.media_root / "sneaky.html").write_text(
        "<!doctype html><title>x</title><script>window.ran = true</script>"
    )
    (stack.media_root / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    blocked = []
    page.on("console", lambda message: blocked.append(message.text))
    base = f"https://127.0.0.1:{stack.https_port}"

    page.goto(base + picture.file.url)
    assert page.evaluate("document.images[0].naturalWidth") == picture.width
    page.goto(base + "/media/clip.mp4")
    assert page.evaluate("document.querySelector('video').currentSrc").endswith(
        "/media/clip.mp4"
    )
    # Nothing in the viewers was refused (an MP4 would play).
    assert [text for text in blocked if "blocked" in text] == []

    page.goto(base + "/media/sneaky.html")
    # Read as a page, script and all, but the script did not run.
    assert page.evaluate("document.title") == "x"
    assert page.evaluate("document.scripts.length") == 1
    assert page.evaluate("window.ran === undefined")
    assert any("Content Security Policy" in text for text in blocked)
    context.close()


@needs_postgres_and_redis
def test_a_burst_of_sign_in_posts_gets_429_while_readers_are_served(stack):
    make_article(headline="Bells ring in Karachi")
    login = f"https://127.0.0.1:{stack.https_port}/admin/login/"

    def post(_) -> int:
        request = urllib.request.Request(
            login, data=b"username=editor&password=guess", method="POST"
        )
        try:
            with urllib.request.urlopen(request, context=stack.tls, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(post, range(20)))
    # nginx lets the burst of 5 (and the one the rate allows) through to the
    # app, which refuses them (no CSRF token); the rest never reach it.
    assert statuses.count(429) >= 14
    assert all(status in (403, 429) for status in statuses)
    access = (
        stack.app_log(stack.app_ports[0]).read_text()
        + stack.app_log(stack.app_ports[1]).read_text()
    )
    assert access.count("POST /admin/login/") <= 6

    # Readers, and the login page itself, are answered as usual.
    status, _, page = stack.via_nginx("/")
    assert status == 200
    assert "Bells ring in Karachi" in page
    assert stack.via_nginx("/admin/login/")[0] == 200
    # nginx's own answer for the refused ones.
    assert post(0) == 429
