"""Password guessing against readers' pages: a benchmark, not a test.

`DJANGO_DEV=1 python -m bench.login_flood` (PostgreSQL at DATABASE_URL, Redis at
REDIS_URL; defaults below) migrates the database, adds one editor with the
real password hasher and one story, collects static files, then runs each
scenario for --seconds on 127.0.0.1 while one reader fetches the cached
front page over and over:

- readers only, straight to gunicorn (gunicorn.conf.py, production mode);
- six guessers with sign-in lockout turned off (bench/no_lockout_settings),
  as the site was before django-axes: every guess is a password hash;
- six guessers on one account with the lockout on: refused unhashed once
  locked;
- six guessers trying a new username each time (lockout cannot help; the
  bound on password checks at once, LOGIN_PASSWORD_CHECKS, does), and the
  same with that bound lifted (LOGIN_PASSWORD_CHECKS=64);
- readers only, and six guessers on one account, through nginx with
  deploy/nginx.conf and Varnish (bench/local_stack.py): beyond nginx's
  burst, sign-in POSTs are answered 429 by nginx.

Prints the reader's p50/p95 and the guessers' answers per scenario.
"""

import argparse
import http.client
import os
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from bench.local_stack import (
    BASE_DIR,
    SAMPLE_SITE,
    LocalStack,
    free_port,
    nginx_binary,
    production_env,
    start_gunicorn,
    stop,
    varnishd_binary,
)

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/newsroom_sessions"
DEFAULT_REDIS = "redis://127.0.0.1:6379/6"
PASSWORD = "correct horse battery staple 42"
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


class Target:
    """Where requests go: a gunicorn port (as if from nginx: https) or
    nginx's https port."""

    def __init__(self, port: int, tls: bool) -> None:
        self.port, self.tls = port, tls
        self.context = ssl._create_unverified_context() if tls else None

    def connect(self) -> http.client.HTTPConnection:
        if self.tls:
            return http.client.HTTPSConnection(
                "127.0.0.1", self.port, context=self.context, timeout=30
            )
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def headers(self, **extra: str) -> dict[str, str]:
        headers = {"Host": f"127.0.0.1:{self.port}", **extra}
        if not self.tls:
            headers["X-Forwarded-Proto"] = "https"
        return headers


def request(connection, method, path, headers, body=None):
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response, response.read()


def reader(target: Target, until: float, latencies: list[float]) -> None:
    connection = target.connect()
    while time.monotonic() < until:
        started = time.perf_counter()
        response, _ = request(connection, "GET", "/", target.headers())
        if response.status == 200:
            latencies.append((time.perf_counter() - started) * 1000)
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            connection = target.connect()


def guesser(target: Target, until: float, spray: bool, statuses: Counter) -> None:
    """Posts wrong passwords through the admin's form, with its CSRF token,
    as a browser would."""
    login = "/admin/login/"
    while time.monotonic() < until:
        connection = target.connect()
        response, page = request(connection, "GET", login, target.headers())
        cookie = response.getheader("Set-Cookie", "").split(";")[0]
        token = TOKEN.search(page)
        if not token:
            statuses[f"GET {response.status}"] += 1
            time.sleep(0.1)
            continue
        # The host Django sees: nginx passes $host, without the port.
        host = "127.0.0.1" if target.tls else f"127.0.0.1:{target.port}"
        referer = f"https://{host}{login}"
        for _ in range(50):
            if time.monotonic() >= until:
                break
            username = f"u{uuid.uuid4().hex[:10]}" if spray else "editor"
            body = (
                f"csrfmiddlewaretoken={token.group(1).decode()}"
                f"&username={username}&password=guess-{uuid.uuid4().hex[:6]}"
                f"&next=/admin/"
            )
            headers = target.headers(
                Cookie=cookie,
                Referer=referer,
                **{"Content-Type": "application/x-www-form-urlencoded"},
            )
            try:
                response, _ = request(connection, "POST", login, headers, body)
            except (http.client.HTTPException, OSError):
                statuses["error"] += 1
                connection = target.connect()
                continue
            statuses[response.status] += 1
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = target.connect()


def run(target: Target, seconds: float, guessers: int, spray: bool) -> dict:
    # Warm the page cache, then measure.
    connection = target.connect()
    for _ in range(20):
        request(connection, "GET", "/", target.headers())
    connection.close()
    until = time.monotonic() + seconds
    latencies: list[float] = []
    statuses: Counter = Counter()
    threads = [threading.Thread(target=reader, args=(target, until, latencies))]
    threads += [
        threading.Thread(target=guesser, args=(target, until, spray, statuses))
        for _ in range(guessers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return {
        "p50": statistics.median(latencies),
        "p95": latencies[int(len(latencies) * 0.95) - 1],
        "reads": len(latencies),
        "guesses": dict(statuses),
    }


def manage(env: dict, *args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        input=stdin,
        text=True,
        check=True,
        stdout=subprocess.DEVNULL,
    )


SETUP = f"""
from django.contrib.auth.models import User
from axes.models import AccessAttempt
from articles.models import Article, Section
User.objects.filter(username="editor").delete()
User.objects.create_user("editor", password={PASSWORD!r}, is_staff=True)
AccessAttempt.objects.all().delete()
section, _ = Section.objects.get_or_create(slug="news", defaults={{"name": "News"}})
if not Article.objects.published().exists():
    from django.utils import timezone
    Article.objects.create(
        headline="Bells ring in Karachi", slug="bells", standfirst="At dawn.",
        body="<p>Bells.</p>", section=section, status="published",
        published_at=timezone.now(),
    )
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--guessers", type=int, default=6)
    parser.add_argument("--no-nginx", action="store_true")
    options = parser.parse_args()

    database = os.environ.get("DATABASE_URL", DEFAULT_DATABASE)
    redis = os.environ.get("REDIS_URL", DEFAULT_REDIS)
    folder = Path(tempfile.mkdtemp(prefix="login-flood-"))
    static_root = folder / "static"
    env = production_env(
        DATABASE_URL=database,
        REDIS_URL=redis,
        CACHE_KEY_PREFIX=f"flood-{uuid.uuid4().hex[:6]}",
        STATIC_ROOT=str(static_root),
        LOG_LEVEL="WARNING",
    )
    if database.startswith("postgres"):
        name = database.rsplit("/", 1)[1]
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name],
                       capture_output=True)  # fmt: skip
    print(f"Preparing {database} and static files in {folder} ...", flush=True)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")

    scenarios = [
        ("readers only", "gunicorn", {}, 0, False),
        ("guessers, no lockout, no check bound (before)", "gunicorn",
         {"DJANGO_SETTINGS_MODULE": "bench.no_lockout_settings",
          "LOGIN_PASSWORD_CHECKS": "64"},
         options.guessers, False),
        ("guessers on one account, lockout", "gunicorn", {}, options.guessers, False),
        ("guessers spraying usernames, lockout", "gunicorn", {},
         options.guessers, True),
        ("guessers spraying, lockout, no check bound", "gunicorn",
         {"LOGIN_PASSWORD_CHECKS": "64"}, options.guessers, True),
    ]  # fmt: skip
    if not options.no_nginx and nginx_binary() and varnishd_binary():
        scenarios += [
            ("readers only", "nginx", {}, 0, False),
            ("guessers on one account, lockout + limit_req", "nginx", {},
             options.guessers, False),
        ]  # fmt: skip

    results = []
    for label, via, extra, guessers, spray in scenarios:
        run_env = {**env, **extra}
        manage(run_env, "shell", stdin=SETUP)
        print(f"- {label} via {via} ...", flush=True)
        if via == "gunicorn":
            port = free_port()
            log = folder / f"gunicorn-{port}.log"
            process = start_gunicorn(port, run_env, log)
            try:
                results.append((label, via, run(Target(port, False), options.seconds,
                                                 guessers, spray)))  # fmt: skip
            finally:
                stop(process)
        else:
            stack_folder = folder / f"stack-{len(results)}"
            stack_folder.mkdir()
            stack = LocalStack(stack_folder, run_env, SAMPLE_SITE, app_servers=1)
            stack.start()
            try:
                target = Target(stack.https_port, True)
                results.append((label, via, run(target, options.seconds, guessers,
                                                 spray)))  # fmt: skip
            finally:
                stack.stop()

    workers = os.environ.get("GUNICORN_WORKERS", "cpu count + 1")
    print()
    print(f"Cached front page, one reader, {options.seconds:g} s per scenario, "
          f"{options.guessers} guessers, gunicorn workers: {workers}")  # fmt: skip
    print(f"{'scenario':48} {'via':8} {'p50 ms':>8} {'p95 ms':>8} {'reads':>6}  "
          "guesses by answer")  # fmt: skip
    for label, via, result in results:
        guesses = ", ".join(f"{k}: {v}" for k, v in sorted(
            result["guesses"].items(), key=str)) or "-"  # fmt: skip
        print(f"{label:48} {via:8} {result['p50']:8.1f} {result['p95']:8.1f} "
              f"{result['reads']:6}  {guesses}")  # fmt: skip


if __name__ == "__main__":
    main()
