"""Edge purge (articles/edge.py) against a local stand-in for Varnish and the
Fastly and Cloudflare APIs: the requests each vendor documents, and a clear
PurgeError for every way a backend can fail."""

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from articles import edge
from bench.local_stack import free_port

ROOT = Path(__file__).resolve().parent.parent
FASTLY_ID = "SU1Z0isxPaozGVKXdv0eY"
ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353"
FASTLY_OK = (200, {"s1": "108-1391560174-974124"})
CLOUDFLARE_OK = (200, {"success": True, "errors": [], "messages": [], "result": {}})


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class EdgeServer:
    """Records every request; answers by path from `answers`, Varnish's 200
    otherwise, after `delay` seconds."""

    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    answers: dict[str, tuple[int, object]] = field(default_factory=dict)
    delay: float = 0

    def to(self, path: str) -> list[Seen]:
        return [request for request in self.requests if request.path == path]


@pytest.fixture
def edge_server(settings, monkeypatch):
    """A server on 127.0.0.1 standing in for every backend; the settings
    point at it with nothing configured yet."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    state = EdgeServer()

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state.requests.append(
                Seen(
                    self.command,
                    self.path,
                    {name.lower(): value for name, value in self.headers.items()},
                    self.rfile.read(length),
                )
            )
            time.sleep(state.delay)
            status, body = state.answers.get(self.path, (200, "Purged 3 objects"))
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_PURGE = answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}"
    settings.VARNISH_URLS = []
    settings.FASTLY_SERVICE_ID = settings.FASTLY_API_TOKEN = ""
    settings.CLOUDFLARE_ZONE_ID = settings.CLOUDFLARE_API_TOKEN = ""
    settings.FASTLY_API_URL = state.url + "/fastly"
    settings.CLOUDFLARE_API_URL = state.url + "/cloudflare/client/v4"
    settings.PURGE_TIMEOUT = 3
    yield state
    server.shutdown()
    server.server_close()


def fastly(settings) -> str:
    settings.FASTLY_SERVICE_ID, settings.FASTLY_API_TOKEN = FASTLY_ID, "fastly-token"
    return f"/fastly/service/{FASTLY_ID}/purge"


def cloudflare(settings) -> str:
    settings.CLOUDFLARE_ZONE_ID, settings.CLOUDFLARE_API_TOKEN = ZONE_ID, "cf-token"
    return f"/cloudflare/client/v4/zones/{ZONE_ID}/purge_cache"


def keys(count: int) -> list[str]:
    return [f"s{number}" for number in range(count)]


def test_nothing_configured_sends_nothing(edge_server):
    assert not edge.is_configured()
    assert not edge.cloudflare_configured()
    edge.purge(["s1", "front", "site"])
    assert edge_server.requests == []


def test_a_token_without_its_id_or_an_id_without_its_token_sends_nothing(
    edge_server, settings
):
    settings.FASTLY_API_TOKEN = "fastly-token"
    settings.CLOUDFLARE_ZONE_ID = ZONE_ID
    assert not edge.is_configured()
    edge.purge(["s1"])
    assert edge_server.requests == []


def test_no_keys_send_nothing(edge_server, settings):
    settings.VARNISH_URLS = [edge_server.url]
    fastly(settings)
    cloudflare(settings)
    edge.purge([])
    assert edge_server.requests == []


def test_every_varnish_server_gets_purge_with_the_keys_in_xkey_purge(
    edge_server, settings
):
    settings.VARNISH_URLS = [
        edge_server.url,
        edge_server.url.replace("127.0.0.1", "localhost"),
    ]
    assert edge.is_configured()
    assert not edge.cloudflare_configured()
    edge.purge(["s12", "s40", "front", "s12"])
    assert len(edge_server.requests) == 2
    hosts = {request.headers["host"].split(":")[0] for request in edge_server.requests}
    assert hosts == {"127.0.0.1", "localhost"}
    for request in edge_server.requests:
        assert (request.method, request.path) == ("PURGE", "/")
        assert request.headers["xkey-purge"] == "s12 s40 front"
        assert request.body == b""


def test_varnish_keys_are_split_into_headers_under_4_kb(edge_server, settings):
    settings.VARNISH_URLS = [edge_server.url]
    many = keys(2000)  # About 11 KB of keys joined by spaces.
    edge.purge(many)
    headers = [request.headers["xkey-purge"] for request in edge_server.requests]
    assert len(headers) == 3
    assert all(len(header.encode()) <= 4000 for header in headers)
    assert " ".join(headers).split(" ") == many


def test_fastly_gets_the_documented_batch_purge_256_keys_at_most(edge_server, settings):
    path = fastly(settings)
    edge_server.answers[path] = FASTLY_OK
    assert edge.is_configured()
    many = keys(300)
    edge.purge(many)
    assert [request.path for request in edge_server.requests] == [path, path]
    first, second = edge_server.requests
    for request in (first, second):
        assert request.method == "POST"
        assert request.headers["fastly-key"] == "fastly-token"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["accept"] == "application/json"
        assert "fastly-soft-purge" not in request.headers
        assert "authorization" not in request.headers
    assert first.json() == {"surrogate_keys": many[:256]}
    assert second.json() == {"surrogate_keys": many[256:]}


def test_cloudflare_gets_the_documented_purge_by_tag_100_tags_at_most(
    edge_server, settings
):
    path = cloudflare(settings)
    edge_server.answers[path] = CLOUDFLARE_OK
    assert edge.is_configured()
    assert edge.cloudflare_configured()
    many = keys(250)
    edge.purge(many)
    assert [request.path for request in edge_server.requests] == [path] * 3
    for request in edge_server.requests:
        assert request.method == "POST"
        assert request.headers["authorization"] == "Bearer cf-token"
        assert request.headers["content-type"] == "application/json"
        assert "fastly-key" not in request.headers
    assert [request.json() for request in edge_server.requests] == [
        {"tags": many[:100]},
        {"tags": many[100:200]},
        {"tags": many[200:]},
    ]


def test_all_backends_at_once(edge_server, settings):
    settings.VARNISH_URLS = [edge_server.url]
    fastly_path, cloudflare_path = fastly(settings), cloudflare(settings)
    edge_server.answers |= {fastly_path: FASTLY_OK, cloudflare_path: CLOUDFLARE_OK}
    edge.purge(["s1", "site"])
    assert [request.path for request in edge_server.requests] == [
        "/",
        fastly_path,
        cloudflare_path,
    ]


@pytest.mark.parametrize(
    "answer, message",
    [
        ((503, "Backend fetch failed"), "Fastly: HTTP 503: Backend fetch failed"),
        ((401, {"msg": "Provided credentials"}), 'Fastly: HTTP 401: {"msg": "Provided'),
        ((200, "OK"), "Fastly: HTTP 200 but not the JSON expected: OK"),
        ((202, {}), "Fastly: HTTP 202"),
    ],
)
def test_a_fastly_failure_raises_with_what_it_answered(
    edge_server, settings, answer, message
):
    edge_server.answers[fastly(settings)] = answer
    with pytest.raises(edge.PurgeError) as raised:
        edge.purge(["s1"])
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(
    "answer, message",
    [
        (
            (200, {"success": False, "errors": [{"code": 1134, "message": "no"}]}),
            'Cloudflare: HTTP 200 but not success: [{"code": 1134, "message": "no"}]',
        ),
        ((200, {"result": {"id": "x"}}), "Cloudflare: HTTP 200 but not success"),
        ((200, "<html>"), "Cloudflare: HTTP 200 but not success: <html>"),
        (
            (400, {"success": False, "errors": [{"code": 1012}]}),
            'Cloudflare: HTTP 400: {"success": false, "errors": [{"code": 1012}]}',
        ),
        ((502, "Bad gateway"), "Cloudflare: HTTP 502: Bad gateway"),
    ],
)
def test_a_cloudflare_failure_raises_with_what_it_answered(
    edge_server, settings, answer, message
):
    edge_server.answers[cloudflare(settings)] = answer
    with pytest.raises(edge.PurgeError) as raised:
        edge.purge(["s1"])
    assert str(raised.value).startswith(message)


def test_varnish_refusing_the_purge_raises(edge_server, settings):
    settings.VARNISH_URLS = [edge_server.url]
    edge_server.answers["/"] = (403, "Forbidden")
    with pytest.raises(edge.PurgeError) as raised:
        edge.purge(["s1"])
    assert str(raised.value) == f"Varnish {edge_server.url}: HTTP 403: Forbidden"


def test_a_refused_connection_raises_naming_the_server(edge_server, settings):
    down = f"http://127.0.0.1:{free_port()}"
    settings.VARNISH_URLS = [down]
    with pytest.raises(edge.PurgeError) as raised:
        edge.purge(["s1"])
    assert str(raised.value).startswith(f"Varnish {down}: no answer from {down}/: ")
    assert "refused" in str(raised.value).lower()


def test_an_edge_that_does_not_answer_in_time_raises(edge_server, settings):
    settings.VARNISH_URLS = [edge_server.url]
    settings.PURGE_TIMEOUT = 0.3
    edge_server.delay = 2
    started = time.monotonic()
    with pytest.raises(edge.PurgeError) as raised:
        edge.purge(["s1"])
    assert time.monotonic() - started < 1.5
    assert "no answer" in str(raised.value)
    assert "timed out" in str(raised.value)


def test_every_backend_is_tried_when_some_fail(edge_server, settings):
    down = f"http://127.0.0.1:{free_port()}"
    settings.VARNISH_URLS = [down, edge_server.url]
    fastly_path, cloudflare_path = fastly(settings), cloudflare(settings)
    edge_server.answers[fastly_path] = FASTLY_OK
    edge_server.answers[cloudflare_path] = (200, {"success": False, "errors": []})
    with pytest.raises(edge.PurgeError) as raised:
        edge.purge(["s1"])
    message = str(raised.value)
    assert message.startswith(f"Varnish {down}: no answer")
    assert message.endswith("; Cloudflare: HTTP 200 but not success: []")
    assert "Fastly" not in message and edge_server.url not in message
    assert [request.path for request in edge_server.requests] == [
        "/",
        fastly_path,
        cloudflare_path,
    ]


def test_a_key_that_would_split_a_header_is_refused_before_any_request(
    edge_server, settings
):
    settings.VARNISH_URLS = [edge_server.url]
    for bad in ("s1 s2", "s1,s2", "", "s1\r\nX: y", "clé"):
        with pytest.raises(ValueError):
            edge.purge(["front", bad])
    assert edge_server.requests == []


# Settings: read in a fresh process, as in tests/test_settings.py.

PRODUCTION = {
    "DJANGO_SECRET_KEY": "check-deploy-abcdefghijklmnopqrstuvwxyz-0123456789-ABCDEFGH",
    "ALLOWED_HOSTS": "news.example.com",
}
NAMES = (
    "VARNISH_URLS FASTLY_SERVICE_ID FASTLY_API_TOKEN FASTLY_API_URL "
    "CLOUDFLARE_ZONE_ID CLOUDFLARE_API_TOKEN CLOUDFLARE_API_URL PURGE_TIMEOUT"
).split()


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_DEV", "DJANGO_SECRET_KEY", "ALLOWED_HOSTS", *NAMES)
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean | PRODUCTION | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def edge_settings(**env: str) -> dict:
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {NAMES!r}}}))"
    )
    result = manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_by_default_no_edge_is_configured_and_the_apis_are_the_vendors():
    assert edge_settings() == {
        "VARNISH_URLS": [],
        "FASTLY_SERVICE_ID": "",
        "FASTLY_API_TOKEN": "",
        "FASTLY_API_URL": "https://api.fastly.com",
        "CLOUDFLARE_ZONE_ID": "",
        "CLOUDFLARE_API_TOKEN": "",
        "CLOUDFLARE_API_URL": "https://api.cloudflare.com/client/v4",
        "PURGE_TIMEOUT": 3,
    }


def test_the_edge_settings_are_read_from_the_environment():
    assert edge_settings(
        VARNISH_URLS="http://127.0.0.1:6081, https://varnish.internal/,http://[::1]:80",
        FASTLY_SERVICE_ID=FASTLY_ID,
        FASTLY_API_TOKEN="fastly-token",
        CLOUDFLARE_ZONE_ID=ZONE_ID,
        CLOUDFLARE_API_TOKEN="cf-token",
        PURGE_TIMEOUT="5",
    ) == {
        "VARNISH_URLS": [
            "http://127.0.0.1:6081",
            "https://varnish.internal",
            "http://[::1]:80",
        ],
        "FASTLY_SERVICE_ID": FASTLY_ID,
        "FASTLY_API_TOKEN": "fastly-token",
        "FASTLY_API_URL": "https://api.fastly.com",
        "CLOUDFLARE_ZONE_ID": ZONE_ID,
        "CLOUDFLARE_API_TOKEN": "cf-token",
        "CLOUDFLARE_API_URL": "https://api.cloudflare.com/client/v4",
        "PURGE_TIMEOUT": 5,
    }


@pytest.mark.parametrize(
    "env, message",
    [
        ({"FASTLY_SERVICE_ID": FASTLY_ID}, "FASTLY_SERVICE_ID and FASTLY_API_TOKEN"),
        ({"FASTLY_API_TOKEN": "t"}, "FASTLY_SERVICE_ID and FASTLY_API_TOKEN must be"),
        ({"CLOUDFLARE_ZONE_ID": ZONE_ID}, "CLOUDFLARE_ZONE_ID and CLOUDFLARE_API"),
        ({"CLOUDFLARE_API_TOKEN": "t"}, "CLOUDFLARE_ZONE_ID and CLOUDFLARE_API"),
        ({"VARNISH_URLS": "127.0.0.1:6081"}, "VARNISH_URLS must be http(s)://host"),
        ({"VARNISH_URLS": "http://v:6081/purge"}, "VARNISH_URLS must be http(s)://"),
        ({"CLOUDFLARE_ZONE_ID": "example.com"}, "CLOUDFLARE_ZONE_ID must look like"),
        ({"PURGE_TIMEOUT": "0"}, "PURGE_TIMEOUT must be at least 1 second"),
    ],
)
def test_a_wrong_edge_setting_stops_start_up_with_one_line_naming_it(env, message):
    result = manage("check", **env)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("newsroom: configuration error: " + message)
