"""What an operator sees: probes, request logs, and Redis going away."""

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.services import RedisServer
from newsroom import cache as breaker_cache

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
    breaker_cache.breakers.clear()
    settings.CACHES = {
        "default": {
            "BACKEND": "newsroom.cache.RedisCache",
            "LOCATION": redis_server.url(0),
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    yield redis_server
    breaker_cache.breakers.clear()


@pytest.mark.django_db
def test_site_keeps_serving_without_redis_and_recovers_by_itself(
    client, redis_cache, caplog, settings
):
    redis_server = redis_cache
    settings.CACHE_BREAKER_SECONDS = 0.2
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
    # The breaker lets a call through once its cool-off has passed.
    time.sleep(0.3)
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


@pytest.mark.django_db
def test_a_hung_redis_costs_readers_milliseconds_and_is_used_again_once_back(
    client, redis_cache, settings, caplog
):
    """Paused, Redis accepts connections and never answers: each call would
    wait SOCKET_TIMEOUT. After the first failures the breaker skips it."""
    redis_server = redis_cache
    socket_timeout = settings.CACHES["default"]["OPTIONS"]["SOCKET_TIMEOUT"]
    settings.CACHE_BREAKER_SECONDS = 2
    story = make_article(headline="Read during the hang")
    url = story.get_absolute_url()
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"
    caplog.set_level(logging.INFO, logger="newsroom.cache")

    redis_server.pause()
    try:
        started = time.perf_counter()
        first = client.get(url)
        # Its page lookup and its store time out; the breaker opens.
        assert time.perf_counter() - started >= socket_timeout
        assert "Read during the hang" in first.content.decode()

        def cache_lines() -> list[str]:
            return [
                r.getMessage() for r in caplog.records if r.name == "newsroom.cache"
            ]

        opened = cache_lines()
        latencies = []
        for _ in range(20):
            started = time.perf_counter()
            response = client.get(url)
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200
            assert response["X-Page-Cache"] == "miss"
            assert "Read during the hang" in response.content.decode()
        assert max(latencies) < socket_timeout / 5, latencies
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["cache"] == "unreachable"
        # Opening is said once; the calls skipped meanwhile are not logged.
        assert cache_lines() == opened
        assert sum("is not answering" in line for line in opened) == 1
    finally:
        redis_server.resume()

    resumed = time.monotonic()
    while client.get(url)["X-Page-Cache"] != "hit":
        assert time.monotonic() - resumed < settings.CACHE_BREAKER_SECONDS + 1
        time.sleep(0.05)
    assert client.get("/readyz").status_code == 200
    closed = [r for r in caplog.records if "answers again" in r.getMessage()]
    assert len(closed) == 1


@pytest.mark.django_db
def test_while_the_breaker_is_open_a_trial_call_finds_redis_still_hung(
    client, redis_cache, settings
):
    """One call per cool-off tries Redis; failing, it keeps the breaker
    open: the next calls are fast again."""
    redis_server = redis_cache
    settings.CACHE_BREAKER_SECONDS = 0.3
    url = make_article().get_absolute_url()
    redis_server.pause()
    try:
        client.get(url)  # Opens it.
        time.sleep(0.35)
        started = time.perf_counter()
        client.get(url)  # The trial waits out the timeout.
        assert time.perf_counter() - started >= 0.5
        started = time.perf_counter()
        client.get(url)
        assert time.perf_counter() - started < 0.1
    finally:
        redis_server.resume()


@pytest.mark.django_db
def test_probes_answer_a_load_balancer_asking_by_address(client):
    """ALLOWED_HOSTS does not list the server's own address; the probes
    answer it, the pages do not."""
    healthz = client.get("/healthz", HTTP_HOST="10.0.0.7")
    assert healthz.status_code == 200
    assert healthz.content == b"ok"
    assert client.get("/readyz", HTTP_HOST="10.0.0.7").status_code == 200
    assert client.get("/", HTTP_HOST="10.0.0.7").status_code == 400
    story = make_article()
    assert client.get(story.get_absolute_url(), HTTP_HOST="10.0.0.7").status_code == 400
    assert client.get("/healthz/", HTTP_HOST="10.0.0.7").status_code == 400
    assert client.get("/", HTTP_HOST="localhost").status_code == 200
