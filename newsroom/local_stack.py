"""Run the production stack on 127.0.0.1: gunicorn with gunicorn.conf.py and
nginx with the sample site deploy/nginx.conf, changing only addresses and
paths. Used by tests/test_deploy.py and `make bench`; not by the site.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SAMPLE_SITE = BASE_DIR / "deploy" / "nginx.conf"
# Enough for `manage.py check --deploy`, never used outside 127.0.0.1.
LOCAL_SECRET_KEY = "local-only-" + "x" * 50


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of an app server in production mode on 127.0.0.1."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_DEV", "DJANGO_DEBUG", "PYTEST_CURRENT_TEST")
    }
    env.update(
        DJANGO_SECRET_KEY=LOCAL_SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        USE_X_FORWARDED_FOR="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def wait_for(url: str, process: subprocess.Popen, seconds: float = 20) -> None:
    """Wait until url answers; stop the process and raise if it never does."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # Up; what it answers is for the caller to judge.
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                raise RuntimeError(f"{process.args} did not answer {url}") from None
            time.sleep(0.1)


def start_gunicorn(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start gunicorn with gunicorn.conf.py on 127.0.0.1:port; returns once
    /healthz answers."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(BASE_DIR / "gunicorn.conf.py"),
        ],
        cwd=BASE_DIR,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_for(f"http://127.0.0.1:{port}/healthz", process)
    return process


def worker_pids(master: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text()
    return [int(pid) for pid in children.split()]


def stop(process: subprocess.Popen) -> None:
    """Stop a process started here and wait until it has gone."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
         "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def render_site(
    folder: Path,
    upstream_ports: list[int],
    http_port: int,
    https_port: int,
    media_root: Path,
) -> str:
    """deploy/nginx.conf with local addresses and paths; everything else,
    the proxy, cache and location rules, is left as it is."""
    cert, key = self_signed_certificate(folder)
    (folder / "cache").mkdir()
    servers = "\n    ".join(
        f"server 127.0.0.1:{port} max_fails=3 fail_timeout=5s;"
        for port in upstream_ports
    )
    replacements = {
        "server 127.0.0.1:8000 max_fails=3 fail_timeout=5s;": servers,
        "server 10.0.0.12:8000 max_fails=3 fail_timeout=5s;": "",
        "/var/cache/nginx/newsroom": str(folder / "cache"),
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/etc/letsencrypt/live/news.example.com/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/news.example.com/privkey.pem": str(key),
        "/var/log/nginx/": f"{folder}/",
        "/srv/newsroom/media/": f"{media_root}/",
    }
    site = SAMPLE_SITE.read_text()
    for old, new in replacements.items():
        if old not in site:
            raise ValueError(f"{SAMPLE_SITE} no longer contains {old!r}")
        site = site.replace(old, new)
    return site


def nginx_main_config(folder: Path, site: str, workers: int = 1) -> Path:
    """A whole nginx.conf around the site, with every file under folder."""
    (folder / "site.conf").write_text(site)
    user = ""
    if os.geteuid() == 0:
        # Workers otherwise run as "nobody" and cannot reach folder.
        user = f"user {pwd.getpwuid(0).pw_name};"
    temp = "\n".join(
        f"    {kind}_temp_path {folder}/{kind}_temp;"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = folder / "nginx-main.conf"
    config.write_text(
        f"""{user}
worker_processes {workers};
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder}/access.log;
{temp}
    include {folder}/site.conf;
}}
"""
    )
    return config


def nginx_binary() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


def start_nginx(config: Path, https_port: int) -> subprocess.Popen:
    folder = config.parent
    command = [nginx_binary(), "-e", str(folder / "error.log"), "-c", str(config)]
    subprocess.run([*command, "-t", "-q"], check=True)
    process = subprocess.Popen(
        [*command, "-g", "daemon off;"],
        stdout=(folder / "nginx.out").open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                raise RuntimeError((folder / "error.log").read_text()) from None
            time.sleep(0.05)
