"""What readers and editors see when a service fails, and how soon the site
recovers by itself: `make faults` (python -m bench.faults).

Everything runs on 127.0.0.1 against a PostgreSQL cluster and a Redis this
script starts itself (bench/services.py), so the shared services are never
stopped: two gunicorn workers in production mode, then

- hung Redis: redis-server paused (SIGSTOP), so connections are accepted
  and never answered; then resumed;
- Redis refused: redis-server stopped, then started again;
- database down: PostgreSQL stopped while a page is cached, an editor
  saves a story; then started again.

For each it prints the requests made, their status codes and latency, and
the time from the service's return until pages are cached (or rendered)
again. tests/test_outage.py runs the database scenario and checks it.
"""

import argparse
import http.client
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings

from bench.local_stack import BASE_DIR, free_port, production_env, start_gunicorn
from bench.local_stack import stop as stop_process
from bench.services import PostgresCluster, RedisServer

# What the story an editor tries to save during the outage looks like.
EDITED = {
    "headline": "Edited while the database was down",
    "standfirst": "This standfirst must come back to the editor.",
    "body": "<p>A paragraph the editor must not lose.</p>",
}


@dataclass
class Reading:
    path: str
    status: int
    ms: float
    headers: dict[str, str]
    body: str
    at: float = 0.0  # Seconds since the fault began.


@dataclass
class Table:
    title: str
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, what: str, readings: list[Reading], note: str = "") -> None:
        if not readings:
            self.rows.append([what, "0", "-", "-", "-", note])
            return
        statuses: dict[int, int] = {}
        for reading in readings:
            statuses[reading.status] = statuses.get(reading.status, 0) + 1
        latencies = [reading.ms for reading in readings]
        self.rows.append(
            [
                what,
                str(len(readings)),
                " ".join(f"{status}x{n}" for status, n in sorted(statuses.items())),
                f"{statistics.median(latencies):.1f}",
                f"{max(latencies):.1f}",
                note,
            ]
        )

    def print(self) -> None:
        header = ["readers' requests", "n", "status", "p50 ms", "max ms", ""]
        widths = [max(len(row[i]) for row in [header, *self.rows]) for i in range(6)]
        print(f"\n== {self.title}")
        for row in [header, *self.rows]:
            print(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                )
            )
        for note in self.notes:
            print(f"   {note}")


class FaultSite:
    """PostgreSQL, Redis and gunicorn (production settings) of its own."""

    def __init__(self, workers: int = 2, **env: str) -> None:
        self.pg = PostgresCluster()
        self.redis = RedisServer()
        self.folder = Path(tempfile.mkdtemp(prefix="newsroom-faults-"))
        self.port = free_port()
        # Persistent connections, as in production: the server closing them
        # is part of the outage.
        self.extra_env = {
            "GUNICORN_WORKERS": str(workers),
            "DATABASE_CONN_MAX_AGE": "60",
            **env,
        }
        self.process: subprocess.Popen | None = None
        self.cookies: dict[str, str] = {}

    @property
    def log(self) -> Path:
        return self.folder / "gunicorn.log"

    def start(self) -> None:
        self.pg.start()
        self.redis.start()
        database = self.pg.create_database("newsroom")
        self.env = production_env(
            DATABASE_URL=database,
            REDIS_URL=self.redis.url(0),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="0",
            SECURE_HSTS_SECONDS="0",
            STATIC_ROOT=str(self.folder / "static"),
            MEDIA_ROOT=str(self.folder / "media"),
            **self.extra_env,
        )
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        self.stories = self.shell(
            "from tests.factories import make_article, make_section\n"
            "section = make_section(name='World', slug='world')\n"
            "for n in range(3):\n"
            "    story = make_article(headline=f'Story {n} before the fault',"
            " section=section)\n"
            "    print('story', story.pk, story.get_absolute_url())\n"
        )
        self.session = self.shell(
            "from django.contrib.auth.models import User\n"
            "from django.test import Client\n"
            "user = User.objects.create_superuser("
            "'desk', 'desk@example.com', 'pw-desk-not-secret-1')\n"
            "client = Client()\n"
            "client.force_login(user)\n"
            "print('session', client.cookies['sessionid'].value)\n"
        )
        [[self.session]] = self.printed(self.session, "session")
        self.process = start_gunicorn(self.port, self.env, self.log)

    def stop(self) -> None:
        if self.process:
            stop_process(self.process)
        self.redis.stop()
        self.pg.remove()
        shutil.rmtree(self.folder, ignore_errors=True)

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stderr}")
        return result.stdout.strip()

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code)

    def printed(self, output: str, label: str) -> list[list[str]]:
        """The values of the lines `label ...` in a shell's output (log
        lines go to stdout too)."""
        return [
            line.split()[1:]
            for line in output.splitlines()
            if line.startswith(label + " ")
        ]

    def story(self, number: int) -> tuple[int, str]:
        pk, url = self.printed(self.stories, "story")[number]
        return int(pk), url

    def request(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        headers: dict | None = None,
        cookies: dict | None = None,
    ) -> Reading:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Host": "localhost", **(headers or {})}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            content = response.read().decode(errors="replace")
        finally:
            connection.close()
        ms = (time.perf_counter() - started) * 1000
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        return Reading(path, response.status, ms, dict(response.headers), content)

    def get(self, path: str, **headers: str) -> Reading:
        return self.request("GET", path, headers=headers)

    def until(self, condition, seconds: float = 30, interval: float = 0.05) -> float:
        """Seconds until condition() holds; raise after `seconds`."""
        started = time.monotonic()
        while not condition():
            if time.monotonic() - started > seconds:
                raise RuntimeError(f"not within {seconds} s")
            time.sleep(interval)
        return time.monotonic() - started

    def cached(self, path: str) -> bool:
        return self.get(path).headers.get("X-Page-Cache") == "hit"


def readings_for(site: FaultSite, paths: list[str], seconds: float) -> list[Reading]:
    """Readers asking for `paths` in turn, one at a time, for `seconds`."""
    readings = []
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        for path in paths:
            reading = site.get(path)
            reading.at = time.monotonic() - started
            readings.append(reading)
    return readings


def redis_fault(site: FaultSite, kind: str, seconds: float = 4) -> Table:
    """kind "hung" (paused) or "refused" (stopped)."""
    _, cached_url = site.story(0)
    _, other_url = site.story(1)
    site.until(lambda: site.cached(cached_url))
    site.until(lambda: site.cached("/"))
    table = Table(
        f"Redis {kind}: two workers, SOCKET_TIMEOUT 0.5 s, breaker after "
        f"{settings.CACHE_BREAKER_FAILURES} failures, cool-off "
        f"{settings.CACHE_BREAKER_SECONDS} s"
    )
    table.add("before, cached story", [site.get(cached_url) for _ in range(10)])
    if kind == "hung":
        site.redis.pause()
    else:
        site.redis.stop()
    fault_began = time.monotonic()
    readings = readings_for(site, [cached_url, other_url, "/"], seconds)
    first, rest = readings[:6], readings[6:]
    table.add("during, first 6", first, "each worker's first failures")
    table.add("during, the rest", rest, "story, story, front page in turn")
    slow = [r for r in rest if r.ms > 250]
    table.notes.append(
        f"{len(readings)} requests in {seconds} s; after the first 6, "
        f"{len(slow)} over 250 ms (a worker's trial call, once per cool-off)"
    )
    correct = all(r.status == 200 and ("before the fault" in r.body) for r in readings)
    table.notes.append(f"every page complete and correct: {correct}")
    ready = site.get("/readyz")
    table.add("/readyz during", [ready], ready.body)
    if kind == "hung":
        site.redis.resume()
    else:
        site.redis.start()
    back = time.monotonic()
    recovered = site.until(lambda: site.cached(cached_url), seconds=60)
    table.notes.append(
        f"outage {back - fault_began:.1f} s; after Redis came back, pages came "
        f"from the cache again after {recovered:.2f} s, without a restart"
    )
    # Each worker's breaker closes at its own first call after its cool-off;
    # give every worker that before the next scenario.
    time.sleep(settings.CACHE_BREAKER_SECONDS + 0.5)
    for _ in range(10):
        site.get("/readyz")
    table.add("after, cached story", [site.get(cached_url) for _ in range(10)])
    return table


@dataclass
class DatabaseOutage:
    table: Table
    cached: list[Reading]
    uncached: list[Reading]
    admin_post: Reading
    healthz: Reading
    readyz: Reading
    after: list[Reading]
    recovery_seconds: float
    stored: str  # The story's headline, standfirst and body after it all.


def database_down(site: FaultSite, seconds: float = 4) -> DatabaseOutage:
    pk, cached_url = site.story(0)
    _, uncached_url = site.story(2)
    site.until(lambda: site.cached(cached_url))
    # What the editor has open: the story's change form, signed in.
    login = site.get(f"/{settings.ADMIN_URL}login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.body)
    cookies = {"sessionid": site.session, "csrftoken": site.cookies["csrftoken"]}
    form = {"csrfmiddlewaretoken": token.group(1), **EDITED, "_save": "Save"}
    change_url = f"/{settings.ADMIN_URL}articles/article/{pk}/change/"

    table = Table("Database down: PostgreSQL stopped, Redis up")
    site.pg.stop()
    down_at = time.monotonic()
    readings = readings_for(site, [cached_url, uncached_url], seconds)
    cached = [r for r in readings if r.path == cached_url]
    uncached = [r for r in readings if r.path == uncached_url]
    hits = sum(r.headers.get("X-Page-Cache") == "hit" for r in cached)
    table.add("cached story", cached, f"X-Page-Cache: hit x{hits}")
    table.add(
        "uncached story",
        uncached,
        f"Retry-After: {uncached[-1].headers.get('Retry-After')}",
    )
    admin_post = site.request("POST", change_url, body=form, cookies=cookies)
    kept = all(text in admin_post.body for text in ("not be reached", "NOT saved"))
    table.add("editor saves a story", [admin_post], f"told not saved: {kept}")
    healthz, readyz = site.get("/healthz"), site.get("/readyz")
    table.add("/healthz", [healthz])
    table.add("/readyz", [readyz], readyz.body)
    site.pg.start()
    back = time.monotonic()
    recovery = site.until(lambda: site.get(uncached_url).status == 200)
    after = [site.get(uncached_url) for _ in range(5)] + [site.get(cached_url)]
    table.add("after, both stories", after)
    stored = site.shell(
        "from articles.models import Article\n"
        f"story = Article.objects.get(pk={pk})\n"
        "print('stored', story.headline, story.standfirst, story.body, sep='|')\n"
    )
    stored = [line for line in stored.splitlines() if line.startswith("stored|")][0]
    table.notes.append(
        f"outage {back - down_at:.1f} s; pages rendered again {recovery:.2f} s "
        "after PostgreSQL came back, without a restart"
    )
    table.notes.append(f"the story in the database after the failed save: {stored}")
    return DatabaseOutage(
        table, cached, uncached, admin_post, healthz, readyz, after,
        recovery, stored,
    )  # fmt: skip


# Log lines an operator reads during these faults, by what they say.
LOG_LINES = {
    "Redis call failed, ignored (django-redis)": "Exception ignored",
    "breaker opened": "is not answering",
    "breaker closed": "answers again",
    "database unreachable, 503": "Database unreachable, answering 503",
    "purge log unreadable": "Could not read the purge log",
    "purge log readable again": "The purge log can be read again",
    "Internal Server Error": "Internal Server Error",
}


def log_summary(site: FaultSite) -> Table:
    text = site.log.read_text(errors="replace")
    table = Table("The app's log (both workers, all scenarios)")
    table.rows = [[what, str(text.count(needle))] for what, needle in LOG_LINES.items()]
    return table


def print_counts(table: Table) -> None:
    print(f"\n== {table.title}")
    width = max(len(row[0]) for row in table.rows)
    for what, count in table.rows:
        print(f"{what.ljust(width)}  {count} lines")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=8, help="how long each fault lasts"
    )
    arguments = parser.parse_args()
    site = FaultSite()
    print("Starting PostgreSQL, Redis and gunicorn on 127.0.0.1 ...", flush=True)
    site.start()
    try:
        for table in (
            redis_fault(site, "hung", arguments.seconds),
            redis_fault(site, "refused", arguments.seconds),
            database_down(site, arguments.seconds).table,
        ):
            table.print()
        # Every worker reads the purge log again at its next look.
        time.sleep(settings.PURGE_POLL_SECONDS + 0.5)
        for _ in range(10):
            site.get("/")
        print_counts(log_summary(site))
    finally:
        site.stop()


if __name__ == "__main__":
    main()
