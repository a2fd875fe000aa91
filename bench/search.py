"""Benchmark /search/ at 100,000 stories on PostgreSQL (`make bench-search`).

Creates the database named by DATABASE_URL when missing, migrates it, fills
it with bench/stories.py (only the missing stories, so later runs start at
once), then requests a set of realistic searches through the whole view
(form, query, count, highlighting, template) and prints latency percentiles.
Not part of the test suite.
"""

import argparse
import re
import statistics
import time
from urllib.parse import urlencode

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from bench.stories import generate

QUERIES = [
    # A word in nearly every generated story: the worst case.
    {"q": "budget"},
    {"q": "flood relief"},
    {"q": "cricket board"},
    {"q": "Karachi traders"},
    {"q": '"trade agreement"'},
    {"q": "vaccination drive Lahore"},
    {"q": "Christmas concert series"},
    {"q": "election timetable -senate"},
    {"q": "heritage restoration or stadium upgrade"},
    # An author and a tag.
    {"q": "Maryam Bhatti"},
    {"q": "topic 17"},
    # Filters.
    {"q": "budget", "section": "business"},
    {"q": "flood", "region": "asia-pacific", "since": "2026-01-01"},
    {"q": "water sharing deal", "page": "3"},
    # Typos: no exact match, so the trigram headline search answers.
    {"q": "goverment"},
    {"q": "vacination"},
    {"q": "parliment"},
    # Nothing at all.
    {"q": "zyzzyva"},
]


def found(page: str) -> str:
    """How many results the page reports, as "123", "1000+" or "5 similar"."""
    summary = re.search(r'class="search-summary">(.*?)</p>', page, re.DOTALL)
    if summary is None:
        return "0"
    text = " ".join(summary[1].split())
    count = len(re.findall(r'class="search-result"', page))
    if "similar words" in text:
        return f"{count} similar"
    newest = re.search(r"the newest (\d+)", text)
    if newest:
        return f"{newest[1]}+"
    return re.match(r"(\d+)", text)[1]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def prepare(stories: int) -> int:
    """The PostgreSQL database of DATABASE_URL, created when missing,
    migrated and holding `stories` generated stories; returns how many
    stories it holds in all."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database.")
    create_database(database)
    call_command("migrate", verbosity=0)
    print(f"Making sure there are {stories} generated stories…")
    generate(count=stories)
    with connection.cursor() as cursor:
        # What autovacuum does after a bulk load; keeps plans realistic.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SELECT count(*) FROM articles_article")
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    options = parser.parse_args()
    rounds = options.rounds
    total = prepare(options.stories)

    # As in production: no query log, no debug pages.
    settings.DEBUG = False
    client = Client(SERVER_NAME="localhost")
    timings: dict[str, list[float]] = {}
    summaries: dict[str, str] = {}
    for params in QUERIES:
        url = f"/search/?{urlencode(params)}"
        for _ in range(2):  # Warm the caches, as a live site would be.
            client.get(url)
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(url)
            timings.setdefault(url, []).append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        summaries[url] = found(response.content.decode())

    print(
        f"\n/search/ at {total} stories, {rounds} requests per query "
        "(milliseconds, whole view through the test client):\n"
    )
    print(f"{'query':58} {'found':>12} {'p50':>7} {'p95':>7}")
    for url, samples in timings.items():
        print(
            f"{url[:58]:58} {summaries[url]:>12} "
            f"{statistics.median(samples):7.1f} {percentile(samples, 0.95):7.1f}"
        )
    every = [sample for samples in timings.values() for sample in samples]
    print(
        f"\nAll {len(every)} requests: p50 {percentile(every, 0.50):.1f} ms, "
        f"p95 {percentile(every, 0.95):.1f} ms, "
        f"p99 {percentile(every, 0.99):.1f} ms, "
        f"max {max(every):.1f} ms"
    )


def create_database(database: dict) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        dbname="postgres",
        user=database["USER"],
        password=database["PASSWORD"] or None,
        host=database["HOST"] or None,
        port=database["PORT"] or None,
        autocommit=True,
    ) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database["NAME"]]
        ).fetchone()
        if not exists:
            admin.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database["NAME"]))
            )
            print(f"Created database {database['NAME']}.")


if __name__ == "__main__":
    main()
