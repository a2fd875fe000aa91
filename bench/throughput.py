"""The throughput benchmark (`make bench-throughput`), not a test.

Fills the PostgreSQL database named by DATABASE_URL with generated stories
(only the missing ones), collects static files, starts gunicorn in
production mode with Redis (gunicorn.conf.py, default workers) and nginx
with the micro-cache site bench/nginx-microcache.conf, then measures with
wrk, side by side in one run:

- the floor: /healthz, Django's smallest view, on the same gunicorn;
- the machine's limit: nginx serving a saved copy of the front page
  (plain, and gzipped once beforehand for gzip_static);
- cached pages straight from gunicorn, each right after a floor run, and
  through nginx's micro-cache, each right after a saved-copy run;
- uncached pages (a second gunicorn with PAGE_CACHE_SECONDS=0): req/s,
  latency, CPU per request from the workers' CPU time, SQL queries;
- a soak of 64 connections for 60 seconds, and worker memory afterwards.

Prints a table with each target from issue 5 and whether it is met.
"""

import argparse
import gzip
import logging
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from taggit.models import Tag

from articles.models import Article, ReadMoreLink, Section, SeeAlsoLink
from bench.local_stack import (
    BASE_DIR,
    MICROCACHE_SITE,
    free_port,
    nginx_main_config,
    production_env,
    render_site,
    start_gunicorn,
    start_nginx,
    stop,
    worker_pids,
)
from bench.search import prepare

# Direct requests say what nginx would: the reader came over https.
PROXY_HEADER = "X-Forwarded-Proto: https"
# Every wrk request asks for a compressed page, as browsers and CDNs do.
ACCEPT_GZIP = ("-H", "Accept-Encoding: gzip")
CLOCK_TICKS = 100  # os.sysconf("SC_CLK_TCK") on Linux


def cpu_seconds(master) -> float:
    """The CPU time gunicorn's workers have used, those it has replaced
    (max_requests) included: theirs is added to the master's children's
    time once it reaps them."""

    def times(pid: int, first: int) -> int:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # Exited since it was listed.
            return 0
        return int(fields[first]) + int(fields[first + 1])

    reaped = times(master.pid, 13)  # cutime + cstime
    running = sum(times(pid, 11) for pid in worker_pids(master))  # utime + stime
    return (reaped + running) / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) / 1024


def milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


class Wrk:
    """One wrk run: requests per second, p50 and p99 (ms), errors."""

    def __init__(self, output: str):
        self.output = output
        self.rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
        self.requests = int(re.search(r"(\d+) requests in", output)[1])
        self.p50 = milliseconds(re.search(r"\s50%\s+(\S+)", output)[1])
        self.p99 = milliseconds(re.search(r"\s99%\s+(\S+)", output)[1])
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        sockets = re.search(
            r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
        )
        self.errors = int(non_2xx[1]) if non_2xx else 0
        self.errors += sum(map(int, sockets.groups())) if sockets else 0
        self.cpu_ms = 0.0  # The workers' CPU per request, when measured.


class Bench:
    def __init__(self, options: dict) -> None:
        self.options = options

    def handle(self) -> None:
        options = self.options
        if not settings.REDIS_URL:
            raise SystemExit("Set REDIS_URL: production caches pages in Redis.")
        self.total = prepare(options["stories"])
        load = Path("/proc/loadavg").read_text().split()[:3]
        print(f"Load average before the run: {' '.join(load)}")
        self.pages = self.pick_pages()
        with tempfile.TemporaryDirectory(prefix="newsroom-bench-") as folder:
            self.run(Path(folder))

    def pick_pages(self) -> dict[str, str]:
        """A busy section and tag, a common search, and two stories: the
        newest plain one (most stories) and the newest with "read more" and
        "See also" links, like the seed story (which it usually is), so
        every run measures the same kinds of article page."""
        stories = Article.objects.published().order_by("-published_at")
        has_read_more = Exists(ReadMoreLink.objects.filter(article=OuterRef("pk")))
        has_see_also = Exists(SeeAlsoLink.objects.filter(article=OuterRef("pk")))
        plain = stories.exclude(has_read_more).exclude(has_see_also).first()
        linked = stories.filter(has_read_more, has_see_also).first()
        if plain is None or linked is None:
            raise SystemExit("No plain story or none with links: load_demo first.")
        section = max(Section.objects.all(), key=lambda s: s.stories.count())
        tag = (
            Tag.objects.annotate(uses=Count("taggit_taggeditem_items"))
            .order_by("-uses")
            .first()
        )
        return {
            "front": "/",
            "section": section.get_absolute_url(),
            "article": plain.get_absolute_url(),
            "linked article": linked.get_absolute_url(),
            "tag": tag.get_absolute_url(),
            "search": "/search/?q=flood+relief",
        }

    def run(self, folder: Path) -> None:
        static_root = folder / "static"
        self.cache_prefix = f"bench-{int(time.time())}"
        env = production_env(
            DATABASE_URL=str(self.database_url()),
            STATIC_ROOT=str(static_root),
            CACHE_KEY_PREFIX=self.cache_prefix,
        )
        print("Collecting static files…")
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
        )
        cached_port, uncached_port = free_port(), free_port()
        http_port, https_port, copy_port = free_port(), free_port(), free_port()
        processes = []
        try:
            cached = start_gunicorn(cached_port, env, folder / "cached.log")
            processes.append(cached)
            uncached = start_gunicorn(
                uncached_port, {**env, "PAGE_CACHE_SECONDS": "0"}, folder / "u.log"
            )
            processes.append(uncached)
            # nginx's micro-cache straight in front of gunicorn, as before
            # Varnish: what this benchmark's nginx rows measure.
            site = render_site(
                folder, [cached_port], http_port, https_port, folder / "media",
                MICROCACHE_SITE,
            )  # fmt: skip
            site += self.static_copy_server(folder, cached_port, copy_port)
            processes.append(
                start_nginx(nginx_main_config(folder, site, workers=2), https_port)
            )
            self.measure(cached, uncached, cached_port, uncached_port)
            self.measure_nginx(https_port, copy_port)
            self.measure_uncached(uncached, uncached_port)
            self.soak(cached_port, folder)
            self.memory = max(
                rss_mb(pid)
                for master in (cached, uncached)
                for pid in worker_pids(master)
            )
            self.workers = len(worker_pids(cached))
        finally:
            for process in reversed(processes):
                stop(process)
        self.report()

    def database_url(self) -> str:
        db = settings.DATABASES["default"]
        return (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}"
            f"@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )

    def static_copy_server(self, folder: Path, port: int, copy_port: int) -> str:
        """A server block serving a saved copy of the front page with the
        site's TLS settings and access log (format and buffering), for the
        machine's limit: the share of a micro-cached page then measures what
        the cache costs, not the log line both write."""
        copy = folder / "copy"
        copy.mkdir()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/", headers={"X-Forwarded-Proto": "https"}
        )
        with urllib.request.urlopen(request) as response:
            page = response.read()
        (copy / "index.html").write_bytes(page)
        (copy / "index.html.gz").write_bytes(gzip.compress(page, compresslevel=6))
        return f"""
server {{
    listen 127.0.0.1:{copy_port} ssl http2;
    ssl_certificate {folder}/cert.pem;
    ssl_certificate_key {folder}/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    access_log {folder}/copy.access.log newsroom buffer=64k flush=1s;
    root {copy};
    gzip_static on;
    location / {{ try_files /index.html =404; }}
}}
"""

    def wrk(
        self, url: str, *extra: str, connections=None, duration=None, master=None
    ) -> Wrk:
        """Measure url after two seconds of the same load, so cold workers,
        first TLS handshakes and first cache fills stay out of the figures.
        With `master`, also the CPU its workers spent per request."""
        connections = f"-c{connections or self.options['connections']}"
        warm_up = ["wrk", "-t2", connections, "-d2s", *ACCEPT_GZIP, *extra, url]
        subprocess.run(warm_up, capture_output=True, check=True)
        command = [
            "wrk", "--latency", "-t2", connections,
            f"-d{duration or self.options['duration']}s", *ACCEPT_GZIP, *extra, url,
        ]  # fmt: skip
        before = cpu_seconds(master) if master else 0
        run = Wrk(subprocess.run(command, capture_output=True, text=True).stdout)
        if master and run.requests:
            run.cpu_ms = (cpu_seconds(master) - before) * 1000 / run.requests
        return run

    def warm(self, url: str, count: int = 50) -> None:
        request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
        for _ in range(count):
            with urllib.request.urlopen(request) as response:
                response.read()

    def measure(self, cached, uncached, cached_port: int, uncached_port: int):
        """Each cached page right after a run of the floor, and each page
        through nginx right after a run of the saved copy, so every share is
        taken between two rows measured under the same conditions (this
        machine's speed drifts from one minute to the next)."""
        base = f"http://127.0.0.1:{cached_port}"
        print("Floor and cached pages straight from gunicorn…")
        self.warm(f"{base}/healthz")
        self.floors, self.cached = {}, {}
        for name, path in self.pages.items():
            self.warm(base + path)
            self.floors[name] = self.wrk(f"{base}/healthz", "-H", PROXY_HEADER)
            self.cached[name] = self.wrk(base + path, "-H", PROXY_HEADER)

    def measure_nginx(self, https_port: int, copy_port: int) -> None:
        print("nginx: saved copy and micro-cache…")
        self.copies, self.nginx = {}, {}
        for name, path in self.pages.items():
            self.copies[name] = self.wrk(f"https://127.0.0.1:{copy_port}/")
            self.nginx[name] = self.wrk(f"https://127.0.0.1:{https_port}{path}")

    def measure_uncached(self, uncached, port: int) -> None:
        print("Uncached pages…")
        base = f"http://127.0.0.1:{port}"
        self.uncached = {}
        self.cpu_ms = {}
        self.serial_p50 = {}
        # The floor under the same load: what any request costs the workers.
        self.uncached_floor = self.wrk(
            f"{base}/healthz", "-H", PROXY_HEADER, master=uncached
        )
        for name in ("front", "article", "linked article"):
            url = base + self.pages[name]
            self.warm(url, 20)
            self.uncached[name] = self.wrk(url, "-H", PROXY_HEADER, master=uncached)
            self.cpu_ms[name], self.serial_p50[name] = self.one_at_a_time(url, uncached)
        # The front page as the first reader after each edit sees it: a new
        # content version, so the version, navigation and "Most read" are
        # read again, and the edited lead story's card is rendered again.
        lead = Article.objects.published().order_by("-published_at").first()
        with self.sharing_the_servers_cache():
            self.cpu_ms["front after a save"], self.serial_p50["front after a save"] = (
                self.one_at_a_time(base + "/", uncached, before_each=lead.save)
            )
        self.queries = self.count_queries(lead)

    def one_at_a_time(self, url: str, master, before_each=None) -> tuple[float, float]:
        """Requests one at a time: the workers' CPU per request and the p50
        latency without queueing. before_each() runs in this process."""
        request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
        count = self.options["cpu_requests"]
        timings = []
        before = cpu_seconds(master)
        for _ in range(count):
            if before_each:
                before_each()  # The workers wait meanwhile.
            started = time.perf_counter()
            with urllib.request.urlopen(request) as response:
                response.read()
            timings.append((time.perf_counter() - started) * 1000)
        spent = cpu_seconds(master) - before
        return spent * 1000 / count, statistics.median(timings)

    def sharing_the_servers_cache(self):
        """This process's saves replace the content version the app servers
        read (their cache key prefix is the run's own)."""
        caches = {
            "default": {**settings.CACHES["default"], "KEY_PREFIX": self.cache_prefix}
        }
        return override_settings(CACHES=caches)

    def count_queries(self, lead: Article) -> dict[str, int]:
        """SQL queries per page with the page cache off, in this process,
        and of the front page right after a save."""
        client = Client(SERVER_NAME="localhost")
        counts = {}
        logging.disable(logging.INFO)  # No request log lines in the report.
        with override_settings(PAGE_CACHE_SECONDS=0, DEBUG=False):
            for name, path in [*self.pages.items(), ("front after a save", "/")]:
                client.get(path)
                if name == "front after a save":
                    lead.save()
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                counts[name] = len(queries)
        logging.disable(logging.NOTSET)
        return counts

    def soak(self, port: int, folder: Path) -> None:
        seconds = self.options["soak"]
        print(f"Soak: 64 connections for {seconds} s…")
        script = folder / "pages.lua"
        paths = ", ".join(f'"{path}"' for path in self.pages.values())
        script.write_text(
            f"paths = {{{paths}}}\n"
            "i = 0\n"
            "request = function()\n"
            "  i = i + 1\n"
            "  return wrk.format(nil, paths[i % #paths + 1])\n"
            "end\n"
        )
        self.soak_result = self.wrk(
            f"http://127.0.0.1:{port}/",
            "-H", PROXY_HEADER, "-s", str(script),
            connections=64, duration=seconds,
        )  # fmt: skip

    def report(self) -> None:
        out = print
        out(
            f"\n{self.total} stories; gunicorn {self.workers} sync workers; "
            f"wrk 2 threads, {self.options['connections']} connections, "
            f"{self.options['duration']} s per row; requests ask for gzip.\n"
        )
        out(f"{'':42} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")

        def row(label: str, run: Wrk) -> None:
            out(
                f"{label:42} {run.rps:8.0f} {run.p50:8.2f} {run.p99:8.2f} "
                f"{run.errors:6d}"
            )

        for name, run in self.cached.items():
            row(f"floor: /healthz, before {name}", self.floors[name])
            row(f"cached {name} (gunicorn)", run)
        for name, run in self.nginx.items():
            row(f"limit: saved copy, before {name}", self.copies[name])
            row(f"cached {name} (nginx micro-cache)", run)
        for name, run in self.uncached.items():
            row(f"uncached {name} (gunicorn)", run)
        row("soak: 64 connections, mixed", self.soak_result)

        targets = []
        for name, run in self.cached.items():
            share = run.rps / self.floors[name].rps
            label = f"cached {name} via gunicorn >= 70% of the floor"
            targets.append((label, f"{share:.0%}", share >= 0.7))
        for name, run in self.nginx.items():
            share = run.rps / self.copies[name].rps
            label = f"cached {name} via nginx >= 80% of the saved copy"
            targets.append((label, f"{share:.0%}", share >= 0.8))
        for name in ("front", "front after a save"):
            queries = self.queries[name]
            label = f"uncached {name}: at most 10 SQL queries"
            targets.append((label, queries, queries <= 10))
        pages = (
            ("front", 5, 25),
            ("front after a save", 5, 25),
            ("article", 4, 15),
            ("linked article", 4, 15),
        )
        for name, cpu, p50 in pages:
            spent, latency = self.cpu_ms[name], self.serial_p50[name]
            label = f"uncached {name}: about {cpu} ms CPU per request"
            targets.append((label, f"{spent:.1f} ms", spent <= cpu * 1.1))
            label = f"uncached {name}: p50 under {p50} ms (one at a time)"
            targets.append((label, f"{latency:.1f} ms", latency < p50))
        errors = self.soak_result.errors
        targets.append(("soak, 64 connections: no errors", errors, errors == 0))
        label = "gunicorn worker RSS after the run under 120 MB"
        targets.append((label, f"{self.memory:.0f} MB", self.memory < 120))

        out(f"\n{'target':58} {'measured':>10}  met")
        for label, measured, met in targets:
            out(f"{label:58} {measured!s:>10}  {'yes' if met else 'NO'}")
        out(
            "\nSQL queries per page, page cache off: "
            + ", ".join(f"{name} {count}" for name, count in self.queries.items())
        )
        out(
            "Uncached under load (wrk): "
            + ", ".join(
                f"{name} p50 {run.p50:.1f} ms, p99 {run.p99:.1f} ms"
                for name, run in self.uncached.items()
            )
        )
        out(
            "Workers' CPU per request under that load: "
            f"/healthz {self.uncached_floor.cpu_ms:.2f} ms, "
            + ", ".join(
                f"{name} {run.cpu_ms:.1f} ms" for name, run in self.uncached.items()
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--soak", type=int, default=60, help="seconds")
    parser.add_argument("--cpu-requests", type=int, default=300)
    Bench(vars(parser.parse_args())).handle()


if __name__ == "__main__":
    main()
