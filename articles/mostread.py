"""Counting story views for the "Most read" lists, without personal data.

A story page loads static/js/beacon.js, which POSTs the story's id to the
beacon view once per page view; pages themselves are never counted, so the
counts stay right when pages come from a proxy cache. The beacon:

- ignores bots (by User-Agent) and repeat views: a salted hash of the
  reader's address, browser and story is kept in the cache for
  REPEAT_SECONDS, never in the database;
- adds one to a counter in Redis (HINCRBY, atomic across workers) when
  REDIS_URL is set, otherwise in the worker process's memory;
- at most every MOST_READ_FLUSH_SECONDS, adds the gathered counts to the
  StoryViews table, one row per story per day (`flush()`; the
  `flush_story_views` command does the same from cron or a timer).
"""

import hashlib
import re
import threading
from collections import Counter
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from newsroom.requestlog import client_address

REPEAT_SECONDS = 30 * 60
BOT_AGENTS = re.compile(
    r"bot|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview|"
    r"headless|lighthouse|pingdom|uptime|monitor|python|curl|wget|httpclient|"
    r"java/|go-http|okhttp|axios|node-fetch|scrapy|phantomjs|feedfetcher",
    re.IGNORECASE,
)


def is_bot(user_agent: str) -> bool:
    return not user_agent.strip() or bool(BOT_AGENTS.search(user_agent))


class LocalCounter:
    """Counts in this process's memory: the embedded default. Each worker
    flushes its own counts."""

    def __init__(self) -> None:
        self._counts: Counter = Counter()
        self._lock = threading.Lock()

    def add(self, day: date, story_id: int) -> None:
        with self._lock:
            self._counts[(day, story_id)] += 1

    def drain(self) -> dict[tuple[date, int], int]:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        return dict(counts)


class RedisCounter:
    """Counts in one Redis hash shared by every worker."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        from newsroom.cache import ConnectionPool

        # The cache's circuit breaker guards these calls too.
        pool = ConnectionPool.from_url(
            url, socket_connect_timeout=0.5, socket_timeout=0.5
        )
        self._redis = redis.Redis(connection_pool=pool)
        self.key = f"{prefix}:mostread:pending"

    def add(self, day: date, story_id: int) -> None:
        self._redis.hincrby(self.key, f"{day.isoformat()}:{story_id}", 1)

    def drain(self) -> dict[tuple[date, int], int]:
        from redis.exceptions import ResponseError

        # RENAME is atomic: views counted while this flush runs go into a
        # fresh hash and wait for the next one.
        draining = f"{self.key}:draining"
        try:
            self._redis.rename(self.key, draining)
        except ResponseError:  # No such key: nothing was counted.
            return {}
        pipe = self._redis.pipeline()
        pipe.hgetall(draining)
        pipe.delete(draining)
        raw, _ = pipe.execute()
        counts = {}
        for field, value in raw.items():
            day, story_id = field.decode().split(":")
            counts[(date.fromisoformat(day), int(story_id))] = int(value)
        return counts

    def give_back(self, counts: dict[tuple[date, int], int]) -> None:
        pipe = self._redis.pipeline()
        for (day, story_id), views in counts.items():
            pipe.hincrby(self.key, f"{day.isoformat()}:{story_id}", views)
        pipe.execute()


_counter: LocalCounter | RedisCounter | None = None
_counter_lock = threading.Lock()


def counter() -> LocalCounter | RedisCounter:
    global _counter
    with _counter_lock:
        if _counter is None:
            if settings.REDIS_URL:
                prefix = settings.CACHES["default"].get("KEY_PREFIX", "newsroom")
                _counter = RedisCounter(settings.REDIS_URL, prefix)
            else:
                _counter = LocalCounter()
        return _counter


def reset_counter() -> None:
    """Forget the counter, so the next use follows the current settings."""
    global _counter
    with _counter_lock:
        _counter = None


def count_view(request: HttpRequest, story_id: int) -> bool:
    """Count one view of a published story unless a bot or the same reader
    within REPEAT_SECONDS sent it. Returns whether it counted."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    if is_bot(user_agent):
        return False
    fingerprint = hashlib.sha256(
        "\n".join(
            [settings.SECRET_KEY, client_address(request), user_agent, str(story_id)]
        ).encode()
    ).hexdigest()
    if not cache.add(f"mostread:seen:{fingerprint}", 1, timeout=REPEAT_SECONDS):
        return False
    counter().add(timezone.localdate(), story_id)
    return True


def flush_if_due() -> int:
    """Flush, unless this was done less than MOST_READ_FLUSH_SECONDS ago (by
    any worker, with Redis; by this one, with the local cache)."""
    if cache.add("mostread:flushed", 1, timeout=settings.MOST_READ_FLUSH_SECONDS):
        return flush()
    return 0


def flush() -> int:
    """Add the gathered counts to StoryViews; returns how many (story, day)
    rows were written. Counts of deleted stories are dropped."""
    from .models import Article, StoryViews

    source = counter()
    counts = source.drain()
    if not counts:
        return 0
    existing = set(
        Article.objects.filter(pk__in={pk for _, pk in counts}).values_list(
            "pk", flat=True
        )
    )
    rows = [
        (story_id, connection.ops.adapt_datefield_value(day), views)
        for (day, story_id), views in sorted(counts.items())
        if story_id in existing
    ]
    table = connection.ops.quote_name(StoryViews._meta.db_table)
    # One statement per batch, adding to the day's row or creating it; the
    # same SQL works on SQLite and PostgreSQL, and two flushing workers
    # cannot lose each other's counts.
    try:
        with transaction.atomic():
            for start in range(0, len(rows), 500):
                batch = rows[start : start + 500]
                values = ", ".join(["(%s, %s, %s)"] * len(batch))
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"INSERT INTO {table} (article_id, day, views) "
                        f"VALUES {values} ON CONFLICT (article_id, day) "
                        f"DO UPDATE SET views = {table}.views + excluded.views",
                        [value for row in batch for value in row],
                    )
    except (DatabaseError, InterfaceError):
        if isinstance(source, RedisCounter):
            source.give_back(counts)
        raise
    return len(rows)
