"""What an operator sees: probes, request logs, and Redis going away."""

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .factories import make_article

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_answers_without_touching_the_database(
    client, db, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_database_and_cache(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok"}


def test_each_request_is_logged_once_with_its_id_and_client(client, caplog):
    caplog.set_level(logging.INFO, logger="newsroom.request")
    response = client.get("/healthz", REMOTE_ADDR="203.0.113.9")
    [record] = [r for r in caplog.records if r.name == "newsroom.request"]
    assert record.getMessage().startswith("GET /healthz 200 ")
    assert record.client == "203.0.113.9"
    assert record.request_id == response["X-Request-ID"]
    assert len(response["X-Request-ID"]) == 32


def test_the_proxys_request_id_is_kept_and_a_bogus_one_replaced(client):
    sane = "nginx-5f2b9c1e7d3a4b6c"
    assert client.get("/healthz", headers={"X-Request-ID": sane})["X-Request-ID"] == (
        sane
    )
    bogus = client.get("/healthz", headers={"X-Request-ID": "x\u2028<script>"})
    assert bogus["X-Request-ID"] != "x\u2028<script>"
    assert len(bogus["X-Request-ID"]) == 32


def test_real_client_address_is_taken_from_the_proxy_only_when_configured(
    client, caplog, settings
):
    caplog.set_level(logging.INFO, logger="newsroom.request")
    forwarded = {"X-Forwarded-For": "198.51.100.7, 192.0.2.44"}
    client.get("/healthz", headers=forwarded, REMOTE_ADDR="127.0.0.1")
    settings.USE_X_FORWARDED_FOR = True
    client.get("/healthz", headers=forwarded, REMOTE_ADDR="127.0.0.1")
    clients = [r.client for r in caplog.records if r.name == "newsroom.request"]
    assert clients == ["127.0.0.1", "192.0.2.44"]


def test_json_logs_are_one_object_per_line_with_the_request_id():
    code = (
        "from django.test import Client; "
        "Client(HTTP_HOST='localhost').get('/healthz', "
        "headers={'X-Request-ID': 'req-12345678'})"
    )
    env = os.environ | {"DJANGO_DEV": "1", "LOG_FORMAT": "json"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line[:1] == "{"]
    [request_line] = [line for line in lines if line["logger"] == "newsroom.request"]
    assert request_line["request_id"] == "req-12345678"
    assert request_line["status"] == 200
    assert request_line["path"] == "/healthz"
    assert request_line["level"] == "INFO"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A throwaway redis-server on a free port that can be stopped and
    started again on the same port."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def pause(self) -> None:
        """Unreachable, as behind a network fault, but keeping its data."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def redis_server():
    server = RedisServer()
    if server.binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is needed in CI")
        pytest.skip("redis-server is not installed")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_cache(settings, redis_server):
    """The page cache in that Redis, set up as production sets it up."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{redis_server.port}/0",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    return redis_server


@pytest.mark.django_db
def test_site_keeps_serving_without_redis_and_recovers_by_itself(
    client, redis_cache, caplog
):
    redis_server = redis_cache
    story = make_article(headline="Still here")
    url = story.get_absolute_url()
    assert client.get(url)["X-Page-Cache"] == "miss"
    assert client.get(url)["X-Page-Cache"] == "hit"

    redis_server.stop()
    caplog.set_level(logging.WARNING)
    response = client.get(url)
    assert response.status_code == 200
    assert "Still here" in response.content.decode()
    assert any(r.name == "newsroom.cache" for r in caplog.records), caplog.text
    assert client.get("/readyz").json() == {"database": "ok", "cache": "unreachable"}
    assert client.get("/readyz").status_code == 503

    redis_server.start()
    assert client.get(url)["X-Page-Cache"] == "miss"
    assert client.get(url)["X-Page-Cache"] == "hit"
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_an_edit_made_while_redis_was_unreachable_shows_once_it_is_back(
    client, redis_cache
):
    """Redis comes back with the pages it kept from before the edit; nobody
    could tell it of the edit, and they must not be served."""
    redis_server = redis_cache
    story = make_article(headline="Before the outage")
    url = story.get_absolute_url()
    assert client.get(url)["X-Page-Cache"] == "miss"
    assert client.get(url)["X-Page-Cache"] == "hit"

    redis_server.pause()
    try:
        story.headline = "Edited during the outage"
        story.save()
    finally:
        redis_server.resume()
    assert "Edited during the outage" in client.get(url).content.decode()
    assert client.get(url)["X-Page-Cache"] == "hit"
