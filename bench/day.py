"""A newsroom day, measured (`make bench`, issue 15): the same readers and the
same editor through today's shipped stack and through the new one, one after
the other, and one table of both side by side.

At --stories generated stories (PostgreSQL at DATABASE_URL, Redis at
REDIS_URL), for --duration seconds per stack:

- readers (bench/clients.py): --rate requests a second, open loop, over
  keep-alive HTTPS connections to nginx, asking for gzip; a fifth front and
  section pages, half stories of the last two days (Zipf: the most read get
  most), a fifth old stories (Zipf too: a few draw much of it), the rest
  tag, region and author pages and feeds (bench/traffic.py);
- an editor (bench/editor.py, run with the stack's own code) committing a
  change through the ORM every 5 s: typo fixes, new stories, a correction
  to an old story, a withdrawal a minute; and a story scheduled to come due
  every minute, created before the start;
- an observer polling each changed page through the edge every 50 ms until
  it shows the change (freshness), and each scheduled story from its time.

Each stack starts with an empty Redis database and empty caches; what the
editor changed is put back afterwards, so both see the same stories. The new
stack also gets the raw rate check: wrk against Varnish serving a cached
front page and against nginx serving a saved copy of it (gzip_static).
Readers' answers, the editor's commits and the observations are kept as
JSON lines in the folder printed at the end.
"""

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import redis
from django.conf import settings
from django.db import connections
from django.utils.dateparse import parse_datetime

from articles.models import Article
from bench import clients, stacks, traffic
from bench.local_stack import (
    BASE_DIR,
    free_port,
    nginx_main_config,
    production_env,
    start_nginx,
    stop,
)
from bench.search import percentile, prepare
from bench.throughput import Wrk, cpu_seconds

# Answered by the edge alone: Varnish's X-Cache, nginx's X-Cache-Status.
# nginx's STALE is a stale copy while the page is fetched in the background:
# it costs gunicorn a request, so it is no hit.
EDGE_HITS = ("HIT", "UPDATING")
STALE_AFTER = 2.0  # seconds


def database_url() -> str:
    db = settings.DATABASES["default"]
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}"
        f"@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )


def extract(commit: str, folder: Path) -> Path:
    """The tree of `commit`, as shipped."""
    tree = folder / f"tree-{commit}"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "archive", commit], cwd=BASE_DIR, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def put_back(editor_log: Path) -> None:
    """Undo what the editor committed: the stories it created go, the ones
    it changed get their fields back (update(): no signals, the caches are
    emptied before the next stack anyway)."""
    if not editor_log.exists():
        return
    commits = [json.loads(line) for line in editor_log.read_text().splitlines()]
    created = [commit["id"] for commit in commits if commit.get("created")]
    Article._base_manager.filter(pk__in=created).delete()
    for commit in commits:
        if "before" in commit:
            fields = {
                name: parse_datetime(value) if name.endswith("_at") and value else value
                for name, value in commit["before"].items()
            }
            Article._base_manager.filter(pk=commit["id"]).update(**fields)


def wait_until_ready(editor: subprocess.Popen, log: Path, deadline: float) -> None:
    while time.time() < deadline:
        if log.exists() and '"kind": "ready"' in log.read_text():
            return
        if editor.poll() is not None:
            raise SystemExit(f"The editor stopped: see {log.parent / 'editor.out'}")
        time.sleep(0.1)
    raise SystemExit("The editor was not ready in time.")


def request_lines(logs: list[Path], offsets: list[int], ends: list[int]) -> int:
    """Requests gunicorn logged between the offsets (health checks aside)."""
    count = 0
    for log, start, end in zip(logs, offsets, ends, strict=True):
        with log.open("rb") as file:
            file.seek(start)
            for line in file.read(end - start).splitlines():
                if b" newsroom.request " in line and b" /healthz " not in line:
                    count += 1
    return count


def run_stack(name, start, tree: Path, plan: traffic.Plan, folder: Path, options):
    """One stack through the whole day; returns what analyse() needs."""
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"\n{name}: starting the stack ({tree}); load average {load}…")
    folder.mkdir()
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    env = production_env(
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        CACHE_KEY_PREFIX=f"bench-day-{name}",
        STATIC_ROOT=str(folder / "static"),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        PYTHONPATH=str(tree),
    )
    stack = start(folder, env, tree)
    editor = None
    editor_log, readers_log = folder / "editor.jsonl", folder / "readers.jsonl"
    try:
        begin = time.time() + 10
        plan_file = folder / "plan.json"
        editor_plan = {
            "start": begin,
            "actions": plan.actions,
            "scheduled": plan.scheduled,
            "template": plan.template_id,
        }
        plan_file.write_text(json.dumps(editor_plan))
        # -P: the stack's tree comes first on the path, not bench/.
        command = [sys.executable, "-P", str(BASE_DIR / "bench" / "editor.py")]
        editor = subprocess.Popen(
            [*command, str(plan_file), str(editor_log)],
            cwd=tree,
            env=stack.env,
            stdout=(folder / "editor.out").open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_until_ready(editor, editor_log, begin)
        print(f"{name}: {options.duration} s of readers and editor…")
        sizes = [log.stat().st_size for log in stack.app_logs]
        cpu = sum(cpu_seconds(master) for master in stack.app_servers)
        observations: list[dict] = []
        observer = threading.Thread(
            target=clients.watch,
            args=(stack.https_port, editor_log, begin + options.duration, observations),
        )
        observer.start()
        clients.read(
            stack.https_port, plan.requests, begin, readers_log, options.connections
        )
        cpu = sum(cpu_seconds(master) for master in stack.app_servers) - cpu
        gunicorn_lines = request_lines(
            stack.app_logs, sizes, [log.stat().st_size for log in stack.app_logs]
        )
        observer.join(timeout=clients.GIVE_UP_SECONDS + 10)
        with (folder / "observations.jsonl").open("w") as file:
            for observation in observations:
                file.write(json.dumps(observation) + "\n")
        editor.wait(timeout=60)
        raw = raw_rate(stack, folder) if stack.varnish_port else None
    finally:
        if editor and editor.poll() is None:
            stop(editor)
        stack.stop()
        put_back(editor_log)
        for bulky in ("static", "cache", "varnish"):  # The logs stay.
            shutil.rmtree(folder / bulky, ignore_errors=True)
    readers = [json.loads(line) for line in readers_log.read_text().splitlines()]
    renders = nginx_renders(stack.access_log) if stack.access_log else None
    result = analyse(readers, observations, cpu, gunicorn_lines, renders, raw)
    return {**result, "load": load.split()[0]}


def nginx_renders(access_log: Path) -> int:
    """Readers' requests nginx passed to gunicorn, in the background too,
    that gunicorn rendered (no page cache hit)."""
    count = 0
    for line in access_log.read_text().splitlines():
        if line.endswith('"newsroom-bench-reader"') and not line.startswith("up=- "):
            count += not line.split()[1] == "page=hit"
    return count


def analyse(readers, observations, cpu, gunicorn_lines, renders, raw) -> dict:
    def error(r: dict) -> bool:
        return r["status"] == 0 or r["status"] >= 500

    def served_by_edge(r: dict) -> bool:
        return r["x_cache"].startswith("HIT") or r["x_cache_status"] in EDGE_HITS

    def reached_gunicorn(r: dict) -> bool:
        # Errors (the edge's own 503s among them) are counted apart.
        return not served_by_edge(r) and not error(r)

    def rendered(r: dict) -> bool:
        # A stale copy's X-Page-Cache is that of an earlier answer.
        return (
            reached_gunicorn(r)
            and r["x_cache_status"] != "STALE"
            and r["x_page_cache"] != "hit"
        )

    repeats = [r for r in readers if r["repeat"]]
    rendered_all = sum(1 for r in readers if rendered(r))
    rendered_repeat = sum(1 for r in repeats if rendered(r))
    if renders is not None:
        # The background renders nginx's log adds, shared out as the stale
        # copies that caused them were among repeats or not.
        stale = [r for r in readers if r["x_cache_status"] == "STALE"]
        background = max(0, renders - rendered_all)
        rendered_all += background
        if stale:
            share = sum(1 for r in stale if r["repeat"]) / len(stale)
            rendered_repeat += round(background * share)
    withdrawals = [o for o in observations if o["kind"] == "withdraw"]
    stale = sum(
        1
        for w in withdrawals
        for r in readers
        if r["path"] == w["path"] and r["status"] == 200
        and r["done"] > w["time"] + STALE_AFTER
    )  # fmt: skip
    edits = [o["delay"] for o in observations if o["kind"] != "scheduled"]
    scheduled = [o["delay"] for o in observations if o["kind"] == "scheduled"]
    latencies = [r["ms"] for r in readers]
    warm = [r["ms"] for r in readers if r["t"] >= readers[0]["t"] + 60] or [-1]
    return {
        "requests": len(readers),
        "repeats": len(repeats),
        "errors": sum(1 for r in readers if r["status"] >= 500),
        "unanswered": sum(1 for r in readers if r["status"] == 0),
        "origin": sum(1 for r in readers if reached_gunicorn(r)),
        "origin_repeat": sum(1 for r in repeats if reached_gunicorn(r)),
        "rendered": rendered_all,
        "rendered_repeat": rendered_repeat,
        "gunicorn_lines": gunicorn_lines,
        "cpu_per_1000": cpu * 1000 / max(1, len(readers)),
        "hit": sum(1 for r in readers if served_by_edge(r)) / max(1, len(readers)),
        "hit_repeat": sum(1 for r in repeats if served_by_edge(r))
        / max(1, len(repeats)),
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        # Past the first minute, when the caches have filled.
        "warm_p50": percentile(warm, 0.5),
        "warm_p99": percentile(warm, 0.99),
        "edits": len(edits),
        "fresh_p50": percentile(edits, 0.5) if edits else 0,
        "fresh_p99": percentile(edits, 0.99) if edits else 0,
        "fresh_max": max(edits, default=0),
        "timed_out": sum(1 for o in observations if o["timed_out"]),
        "stale": stale,
        "scheduled": len(scheduled),
        "late_max": max(scheduled, default=0),
        "late_within": sum(1 for delay in scheduled if delay <= STALE_AFTER),
        "raw": raw,
    }


def raw_rate(stack, folder: Path) -> dict | None:
    """wrk for 10 s against Varnish serving the cached front page, and
    against nginx serving a saved copy of the same gzipped bytes (no access
    log: nginx at its fastest), twice each; the mean requests per second."""
    print("Raw rate: Varnish's cached front page against nginx's saved copy…")
    varnish = f"http://127.0.0.1:{stack.varnish_port}/"
    request = urllib.request.Request(
        varnish, headers={"Accept-Encoding": "gzip", "X-Forwarded-Proto": "https"}
    )
    deadline = time.time() + 30
    cache = ""
    while not cache.startswith("HIT"):  # Fetched, then served from the cache.
        if time.time() > deadline:
            print("Varnish did not serve the front page from its cache.")
            return None
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                page, cache = response.read(), response.headers.get("X-Cache", "")
        except OSError as error:
            print(f"Varnish: {error}")
            time.sleep(1)
    copy, port = folder / "copy", free_port()
    copy.mkdir()
    (copy / "index.html.gz").write_bytes(page)
    (copy / "index.html").write_bytes(gzip.decompress(page))
    site = f"""
server {{
    listen 127.0.0.1:{port};
    access_log off;
    root {copy};
    gzip_static on;
    location / {{ try_files /index.html =404; }}
}}
"""
    nginx = start_nginx(nginx_main_config(copy, site, workers=2), port)
    wrk = ["wrk", "--latency", "-t2", "-c16", "-H", "Accept-Encoding: gzip"]
    targets = {
        "varnish": [*wrk, "-H", "X-Forwarded-Proto: https", varnish],
        "copy": [*wrk, f"http://127.0.0.1:{port}/"],
    }
    runs = {"varnish": 0.0, "copy": 0.0}
    try:
        # Twice each, taking turns, so a drift of the machine's speed (or
        # another process) weighs on both alike; 2 s of warm-up before each.
        for _ in range(2):
            for label, command in targets.items():
                *options, url = command
                subprocess.run([*options, "-d2s", url], capture_output=True, check=True)
                output = subprocess.run(
                    [*options, "-d10s", url], capture_output=True, text=True, check=True
                ).stdout
                runs[label] += Wrk(output).rps / 2
    finally:
        stop(nginx)
    return {**runs, "hit": cache.startswith("HIT"), "bytes": len(page)}


def report(results: dict, options, plan: traffic.Plan, total: int) -> str:
    old, new = results.get("old"), results.get("new")
    names = [name for name in ("old", "new") if name in results]
    lines = [
        f"Newsroom day: {total} stories, {options.duration} s per stack, readers at "
        f"{options.rate:g} req/s open loop ({len(plan.requests)} requests, "
        f"{len({path for _, path in plan.requests})} paths), "
        f"an edit every {traffic.EDIT_EVERY:g} s ({len(plan.actions)}), "
        f"{len(plan.scheduled)} scheduled stories.",
        f"old: commit {options.old}, nginx micro-cache -> gunicorn; "
        "new: work tree, nginx -> Varnish (xkey) -> gunicorn.",
        "",
        "Load average (1 min) when each stack started: "
        + ", ".join(f"{name} {results[name]['load']}" for name in names),
        "",
        f"{'':46}" + "".join(f"{name:>20}" for name in names),
    ]

    def row(label: str, show) -> None:
        lines.append(f"{label:46}" + "".join(f"{show(results[n]):>20}" for n in names))

    row("reader requests (repeats)", lambda r: f"{r['requests']} ({r['repeats']})")
    row("errors: 5xx / unanswered", lambda r: f"{r['errors']} / {r['unanswered']}")
    row(
        "reached gunicorn: all / repeat",
        lambda r: f"{r['origin']} / {r['origin_repeat']}",
    )
    row("rendered: all / repeat", lambda r: f"{r['rendered']} / {r['rendered_repeat']}")
    row("gunicorn request log lines (all clients)", lambda r: r["gunicorn_lines"])
    row("origin CPU s per 1,000 reader requests", lambda r: f"{r['cpu_per_1000']:.2f}")
    row(
        "edge hit ratio: all / repeat",
        lambda r: f"{r['hit']:.1%} / {r['hit_repeat']:.1%}",
    )
    row("latency p50 / p99 (ms)", lambda r: f"{r['p50']:.1f} / {r['p99']:.1f}")
    row(
        "  after the first minute",
        lambda r: (
            f"{r['warm_p50']:.1f} / {r['warm_p99']:.1f}" if r["warm_p50"] >= 0 else "-"
        ),
    )
    row(
        "freshness p50 / p99 / max (s)",
        lambda r: f"{r['fresh_p50']:.2f}/{r['fresh_p99']:.2f}/{r['fresh_max']:.2f}",
    )
    row("  edits observed (timed out)", lambda r: f"{r['edits']} ({r['timed_out']})")
    row("stale after withdrawal beyond 2 s", lambda r: r["stale"])
    row(
        "scheduled: latest (s), within 2 s",
        lambda r: f"{r['late_max']:.2f}, {r['late_within']}/{r['scheduled']}",
    )
    raw = new and new["raw"]
    if raw:
        share = raw["varnish"] / raw["copy"]
        lines.append(
            "\nRaw rate, wrk 2 threads 16 connections, 2 x 10 s each: "
            "Varnish cached front page "
            f"{raw['varnish']:.0f} req/s, nginx saved copy {raw['copy']:.0f} req/s "
            f"({share:.0%}; {raw['bytes']} bytes gzipped)"
        )
    if old and new:

        def ratio(a: int, b: int) -> str:
            return f"{a / b:.0f}x" if b else f"{a}/0"

        targets = [
            ("repeat edge hit ratio >= 99%", f"{new['hit_repeat']:.2%}",
             new["hit_repeat"] >= 0.99),
            ("repeats reaching gunicorn >= 10x fewer than old",
             ratio(old["origin_repeat"], new["origin_repeat"]),
             new["origin_repeat"] * 10 <= old["origin_repeat"]),
            ("repeats rendered >= 3x fewer than old",
             ratio(old["rendered_repeat"], new["rendered_repeat"]),
             new["rendered_repeat"] * 3 <= old["rendered_repeat"]),
            ("freshness p99 <= 2 s", f"{new['fresh_p99']:.2f} s",
             new["fresh_p99"] <= 2 and not new["timed_out"]),
            ("no stale answer after a withdrawal beyond 2 s", new["stale"],
             new["stale"] == 0),
            ("every scheduled story within 2 s",
             f"{new['late_within']}/{new['scheduled']}",
             new["late_within"] == new["scheduled"]),
            ("Varnish >= 80% of nginx's saved copy",
             f"{share:.0%}" if raw else "-", bool(raw) and share >= 0.8),
        ]  # fmt: skip
        lines += ["", f"{'target (new stack)':52} {'measured':>10}  met"]
        for label, measured, met in targets:
            lines.append(f"{label:52} {measured!s:>10}  {'met' if met else 'NOT MET'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=300, help="seconds per stack")
    parser.add_argument("--rate", type=float, default=150, help="reader requests/s")
    parser.add_argument("--connections", type=int, default=24)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--old", default="af25f6a", help="commit of today's stack")
    parser.add_argument("--stacks", default="old,new", help="which, in order")
    parser.add_argument("--output", type=Path, help="also write the table here")
    options = parser.parse_args()
    if not settings.REDIS_URL:
        raise SystemExit("Set REDIS_URL: both stacks keep pages in Redis.")
    total = prepare(options.stories)
    # What an earlier run stopped by force may have left.
    Article._base_manager.filter(slug__startswith="bench-day-").delete()
    plan = traffic.plan(options.seed, options.duration, options.rate)
    connections.close_all()
    folder = Path(tempfile.mkdtemp(prefix="newsroom-day-"))
    (folder / "plan.json").write_text(json.dumps(asdict(plan)))
    started = {"old": stacks.start_old, "new": stacks.start_new}
    trees = {"old": extract(options.old, folder), "new": BASE_DIR}
    results = {}
    for name in options.stacks.split(","):
        results[name] = run_stack(
            name, started[name], trees[name], plan, folder / name, options
        )
    shutil.rmtree(trees["old"])
    table = report(results, options, plan, total)
    print(f"\n{table}\n\nLogs: {folder}  ({datetime.now():%Y-%m-%d %H:%M})")
    if options.output:
        options.output.write_text(table + "\n")


if __name__ == "__main__":
    main()
