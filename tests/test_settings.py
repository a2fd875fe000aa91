"""Production configuration: secure by default, loud when misconfigured."""

import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.local_stack import (
    free_port,
    production_env,
    start_gunicorn,
    stop,
    worker_pids,
)
from tests.factories import make_article

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_SECRET_KEY": "check-deploy-abcdefghijklmnopqrstuvwxyz-0123456789-ABCDEFGH",
    "ALLOWED_HOSTS": "news.example.com",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DJANGO_DEV",)}
    clean.pop("DJANGO_SECRET_KEY", None)
    clean.pop("ALLOWED_HOSTS", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", ALLOWED_HOSTS="news.example.com")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = manage("check", DJANGO_SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_malformed_boolean_names_the_variable():
    result = manage("check", DJANGO_DEBUG="maybe", **PRODUCTION)
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true or false" in result.stderr


def test_production_mode_has_debug_off():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        **PRODUCTION,
    )
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def settings_values(*names: str, **env: str) -> list[str]:
    code = "from django.conf import settings; " + "; ".join(
        f"print(settings.{name})" for name in names
    )
    result = manage("shell", "-c", code, **PRODUCTION, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-len(names) :]


def test_production_requires_two_factor_for_staff_and_names_the_passkey_domain():
    assert settings_values(
        "STAFF_REQUIRE_2FA", "OTP_WEBAUTHN_RP_ID", "OTP_WEBAUTHN_ALLOWED_ORIGINS"
    ) == ["True", "localhost", "['http://localhost:8000']"]
    assert settings_values(
        "STAFF_REQUIRE_2FA",
        "OTP_WEBAUTHN_RP_ID",
        "OTP_WEBAUTHN_ALLOWED_ORIGINS",
        SITE_URL="https://news.example.com",
        STAFF_REQUIRE_2FA="off",
    ) == ["False", "news.example.com", "['https://news.example.com']"]
    result = manage("check", OTP_WEBAUTHN_RP_ID="https://x", **PRODUCTION)
    assert "OTP_WEBAUTHN_RP_ID must look like example.com" in result.stderr


def test_a_wrong_value_stops_start_up_with_one_line_naming_it():
    for variable, value, message in [
        ("DATABASE_CONN_MAX_AGE", "soon", "DATABASE_CONN_MAX_AGE must be a whole"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL must start with redis://"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be text or json"),
    ]:
        result = manage("check", **PRODUCTION, **{variable: value})
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 1
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("newsroom: configuration error: " + message)


def test_gunicorn_stops_before_any_worker_with_the_line_once():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_DEV"}
    env |= PRODUCTION | {"DJANGO_SECRET_KEY": "too-short"}
    result = subprocess.run(
        [Path(sys.executable).parent / "gunicorn", "--config", "gunicorn.conf.py"]
        + ["--bind", "127.0.0.1:0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3
    line = "newsroom: configuration error: DJANGO_SECRET_KEY must be at least 50"
    assert result.stderr.count(line) == 1, result.stderr
    assert "Booting worker" not in result.stderr


def host_allowed(port: int, host: str) -> bool:
    """Whether the site answers `host` (the front page redirects to https
    here); /healthz answers any Host, for load balancers probing by address."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/", headers={"Host": host})
        return connection.getresponse().status != 400
    finally:
        connection.close()


def test_a_reload_starts_workers_with_the_settings_deployed_since(tmp_path):
    """`systemctl reload` sends gunicorn HUP after a deploy: the new workers
    must read the new code's settings, not a copy the master imported."""
    settings_file = tmp_path / "deployed_settings.py"
    settings_file.write_text(
        'from newsroom.settings import *\nALLOWED_HOSTS = ["old.example"]\n'
    )
    env = production_env(
        DJANGO_SETTINGS_MODULE="deployed_settings",
        PYTHONPATH=str(tmp_path),
        GUNICORN_WORKERS="1",
        # Both versions have the same size and may have the same mtime
        # second: a .pyc of the first would pass for the second.
        PYTHONDONTWRITEBYTECODE="1",
    )
    port = free_port()
    master = start_gunicorn(port, env, tmp_path / "gunicorn.log")
    try:
        assert host_allowed(port, "old.example")
        assert not host_allowed(port, "new.example")
        first_workers = worker_pids(master)
        settings_file.write_text(
            'from newsroom.settings import *\nALLOWED_HOSTS = ["new.example"]\n'
        )
        master.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while not host_allowed(port, "new.example"):
            assert time.monotonic() < deadline, "no worker read the new settings"
            time.sleep(0.2)
        assert not host_allowed(port, "old.example")
        assert not set(first_workers) & set(worker_pids(master))
    finally:
        stop(master)


@pytest.mark.django_db
def test_readers_pages_and_the_admin_carry_a_content_security_policy(client):
    make_article(headline="Policy on every page")
    for expected in ("miss", "hit"):
        response = client.get("/")
        assert response["X-Page-Cache"] == expected
        policy = dict(
            directive.strip().split(" ", 1)
            for directive in response["Content-Security-Policy"].split(";")
        )
        assert policy["script-src"] == "'self'"
        assert policy["object-src"] == "'none'"
        assert policy["frame-ancestors"] == "'none'"
    # The admin's own, with a nonce (tests/test_headers.py).
    assert "'nonce-" in client.get("/admin/login/")["Content-Security-Policy"]
