"""Run the production stack on 127.0.0.1: gunicorn with gunicorn.conf.py,
Varnish with deploy/varnish.vcl and nginx with the sample site
deploy/nginx.conf (or bench/nginx-microcache.conf, the stack without
Varnish), changing only addresses and paths. Used by tests/test_deploy.py
and `make bench`; not by the site. LocalStack starts the whole of it.
"""

import os
import pwd
import re
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
# Today's shipped stack: nginx's micro-cache straight in front of the app
# servers, no Varnish; kept for the benchmark's comparison.
MICROCACHE_SITE = BASE_DIR / "bench" / "nginx-microcache.conf"
SAMPLE_VCL = BASE_DIR / "deploy" / "varnish.vcl"
# The upstream line of a site that sends pages to Varnish.
VARNISH_UPSTREAM = "server 127.0.0.1:6081;"
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
    site_file: Path = SAMPLE_SITE,
) -> str:
    """site_file (deploy/nginx.conf or bench/nginx-microcache.conf) with
    local addresses and paths; everything else, the proxy, cache and
    location rules, is left as it is. upstream_ports are where nginx sends
    what it does not serve itself: Varnish for a site that sends pages to
    Varnish (deploy/nginx.conf), the app servers for the micro-cache site."""
    site = site_file.read_text()
    cert, key = self_signed_certificate(folder)
    (folder / "cache").mkdir()
    if VARNISH_UPSTREAM in site:
        upstream = {
            VARNISH_UPSTREAM: "\n    ".join(
                f"server 127.0.0.1:{port};" for port in upstream_ports
            )
        }
    else:
        upstream = {
            "server 127.0.0.1:8000 max_fails=3 fail_timeout=5s;": "\n    ".join(
                f"server 127.0.0.1:{port} max_fails=3 fail_timeout=5s;"
                for port in upstream_ports
            ),
            "server 10.0.0.12:8000 max_fails=3 fail_timeout=5s;": "",
        }
    replacements = {
        **upstream,
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
    return replace_all(site, replacements, site_file)


def replace_all(text: str, replacements: dict[str, str], source: Path) -> str:
    for old, new in replacements.items():
        if old not in text:
            raise ValueError(f"{source} no longer contains {old!r}")
        text = text.replace(old, new)
    return text


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


BACKEND = re.compile(r"^backend app_\d+ \{\n.*?^\}\n", re.MULTILINE | re.DOTALL)
ADD_BACKEND = re.compile(r"^    app\.add_backend\(app_\d+\);\n", re.MULTILINE)


def render_vcl(
    app_ports: list[int],
    vcl_file: Path = SAMPLE_VCL,
    probe_interval: str | None = None,
) -> str:
    """deploy/varnish.vcl with local addresses: one backend per app port on
    127.0.0.1 (written like the file's first backend, all in the director),
    no remote purger, the probe's Host one the local app servers allow.
    probe_interval ("0.2s") makes the health probe notice a server going
    down faster, for tests that need it; otherwise the rules are left as
    they are."""
    vcl = vcl_file.read_text()
    blocks = BACKEND.findall(vcl)
    adds = ADD_BACKEND.findall(vcl)
    if not blocks or len(adds) != len(blocks):
        raise ValueError(f"{vcl_file}: no backends app_N added to the director")
    first = blocks[0]
    for old in ("backend app_1 {", '.host = "127.0.0.1";', '.port = "8000";'):
        if old not in first:
            raise ValueError(f"{vcl_file}: the first backend has no {old!r}")
    backends = "\n".join(
        first.replace("backend app_1 {", f"backend app_{number} {{").replace(
            '.port = "8000";', f'.port = "{port}";'
        )
        for number, port in enumerate(app_ports, 1)
    )
    director = "".join(
        f"    app.add_backend(app_{number});\n"
        for number in range(1, len(app_ports) + 1)
    )
    start, end = vcl.index(blocks[0]), vcl.index(blocks[-1]) + len(blocks[-1])
    vcl = vcl[:start] + backends + vcl[end:]
    start = vcl.index(adds[0])
    end = vcl.index(adds[-1], start) + len(adds[-1])
    vcl = vcl[:start] + director + vcl[end:]
    replacements = {
        '    "10.0.0.12";\n': "",
        '"Host: news.example.com"': '"Host: localhost"',
    }
    if probe_interval:
        replacements[".interval = 2s;"] = f".interval = {probe_interval};"
    return replace_all(vcl, replacements, vcl_file)


def varnishd_binary() -> str | None:
    return shutil.which("varnishd") or (
        "/usr/sbin/varnishd" if Path("/usr/sbin/varnishd").exists() else None
    )


def start_varnish(
    vcl_path: Path, port: int, folder: Path, ready_path: str = "/healthz"
) -> subprocess.Popen:
    """varnishd in the foreground with vcl_path on 127.0.0.1:port, its
    working directory in folder/varnish; returns once ready_path answers
    200 through it, that is once the health probe has found an app server
    up (Varnish starts with every backend sick until its first probe)."""
    binary = varnishd_binary()
    if binary is None:
        raise RuntimeError("varnishd is not installed (make varnish)")
    workdir = folder / "varnish"
    command = [binary, "-F", "-f", str(vcl_path), "-a", f"127.0.0.1:{port}"]
    command += ["-n", str(workdir), "-s", "malloc,256m"]
    if os.geteuid() == 0:
        # As root it would run the compiler and the cache as user varnish,
        # which cannot reach folder (as nginx_main_config says for nginx).
        command += ["-j", "none"]
    output = folder / "varnish.out"
    process = subprocess.Popen(
        command,
        stdout=output.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            url = f"http://127.0.0.1:{port}{ready_path}"
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return process
        except OSError:
            pass  # Not listening yet, or 503 while no backend is healthy.
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"{command} did not start:\n{output.read_text()}")
        time.sleep(0.05)


class LocalStack:
    """The whole production stack on 127.0.0.1, every file under folder:
    app_servers gunicorn app servers with env, then, when site_file sends
    pages to Varnish (deploy/nginx.conf, the recommended stack), Varnish
    with deploy/varnish.vcl in front of them, then nginx with site_file
    (bench/nginx-microcache.conf: nginx's micro-cache straight in front of
    the app servers, no Varnish). With Varnish the app servers get
    VARNISH_URLS, so they purge it as in production; a process that saves
    changes itself (a test) needs settings.VARNISH_URLS = [varnish_url].

        stack = LocalStack(folder, production_env(DATABASE_URL=..., ...))
        stack.start()
        try:
            ...  # https://127.0.0.1:{stack.https_port}/, folder/"cert.pem"
        finally:
            stack.stop()
    """

    def __init__(
        self,
        folder: Path,
        env: dict[str, str],
        site_file: Path = SAMPLE_SITE,
        app_servers: int = 2,
    ) -> None:
        self.folder = folder
        self.site_file = site_file
        self.app_ports = [free_port() for _ in range(app_servers)]
        self.http_port, self.https_port = free_port(), free_port()
        uses_varnish = VARNISH_UPSTREAM in site_file.read_text()
        self.varnish_port = free_port() if uses_varnish else None
        self.env = dict(env)
        if self.varnish_port:
            self.env["VARNISH_URLS"] = self.varnish_url
        self.media_root = folder / "media"
        self.processes: list[subprocess.Popen] = []

    @property
    def varnish_url(self) -> str:
        return f"http://127.0.0.1:{self.varnish_port}"

    def app_log(self, port: int) -> Path:
        return self.folder / f"gunicorn-{port}.log"

    def start(self) -> None:
        """Start everything, app servers first; on failure stop what started."""
        self.media_root.mkdir(exist_ok=True)
        upstream = [self.varnish_port] if self.varnish_port else self.app_ports
        site = render_site(
            self.folder,
            upstream,
            self.http_port,
            self.https_port,
            self.media_root,
            self.site_file,
        )
        try:
            for port in self.app_ports:
                self.processes.append(
                    start_gunicorn(port, self.env, self.app_log(port))
                )
            if self.varnish_port:
                vcl = self.folder / "varnish.vcl"
                vcl.write_text(render_vcl(self.app_ports))
                self.processes.append(
                    start_varnish(vcl, self.varnish_port, self.folder)
                )
            config = nginx_main_config(self.folder, site)
            self.processes.append(start_nginx(config, self.https_port))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for process in reversed(self.processes):
            stop(process)
