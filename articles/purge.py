"""Purge by key: a change makes out of date exactly the pages that show it.

Every public page carries the keys of what it shows (pagecache.shows(); the
keys are listed in docs/developers.md): `s12` for story 12, whose page, card,
headline or link it shows, `sec4` for a list of section 4's stories, `front`,
`nav`, and so on. A change records the keys it affects (signals.py) in the
Purge table, in the same transaction as the change itself, so a purge is
never lost, whatever else is down at the time:

- Each worker reads the rows added since it last looked, at most once every
  PURGE_POLL_SECONDS, and from then on treats every page it finds in the
  page cache (in Redis or its own memory) as gone when one of the page's
  keys was purged after the page was rendered (`log.fresh()`). Workers,
  app servers and management commands need not reach one another, nor the
  cache: a page stored in Redis before an outage is refused after it.
- After the commit a thread sends the keys to Varnish or the CDN (edge.py),
  so an editor's save never waits on them. Rows that could not be sent are
  sent again by the next worker that looks (every few seconds), and after
  PURGE_GIVE_UP_SECONDS of failures the whole site is purged instead; until
  then pages get short edge lifetimes, so no new stale copy lasts long.
- A scheduled publication or breaking-news expiry changes pages with nobody
  saving anything. The pages it will change are given lifetimes that end at
  its moment (`lifetime()`), and when the moment has come the first worker
  that notices records its purge, once (`Purge.event`).
"""

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, InterfaceError, connections, transaction
from django.db.models import F
from django.utils import timezone

from . import edge

logger = logging.getLogger(__name__)

# A transaction is assumed to commit within this many seconds of writing
# its Purge row: workers look back this far for rows committed late.
COMMIT_WINDOW = 60
# Beyond PURGE_POLL_SECONDS, how long the edge purge waits for every worker
# to have read the purge log.
POLL_MARGIN = 0.25
# Purge rows older than this are deleted (by any worker, once an hour).
KEEP_SECONDS = 24 * 3600
# How often a worker checks for rows not yet sent to the edge.
RETRY_SECONDS = 5
# At most this many keys are sent at once; past it the whole site is purged.
MAX_KEYS = 1000

T = TypeVar("T")


def at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


class PurgeLog:
    """When each key was last purged, as this worker has seen it."""

    def __init__(self) -> None:
        self.purged_at: dict[str, float] = {}
        self.seen: dict[int, float] = {}  # Row id -> when it was written.
        self.polled_at: float | None = None
        self.next_poll = 0.0
        self.next_retry = 0.0
        self.next_cleanup = 0.0
        self.edge_behind = False
        self.unreadable = False  # The last look failed.
        self.lock = threading.Lock()

    def mark(self, keys: Iterable[str], when: float | None = None) -> None:
        when = time.time() if when is None else when
        with self.lock:
            for key in keys:
                if self.purged_at.get(key, 0.0) < when:
                    self.purged_at[key] = when

    def fresh(self, keys: Iterable[str], rendered_at: float) -> bool:
        """Whether none of `keys` was purged after `rendered_at`."""
        tick()
        purged_at = self.purged_at.get
        return all(purged_at(key, 0.0) < rendered_at for key in keys)

    def poll(self) -> None:
        """Take in the rows written since the last look. A row is taken as
        purged when this worker first sees it: by then it has committed, so
        any page rendered earlier may show the data as it was. At start-up
        the rows of the last PAGE_CACHE_SECONDS are read, since pages that
        old may still be in the cache."""
        from .models import Purge

        now = time.time()
        starting = self.polled_at is None
        look_back = settings.PAGE_CACHE_SECONDS if starting else COMMIT_WINDOW
        since = (now if starting else self.polled_at) - look_back
        rows = (
            Purge.objects.using(pages_database())
            .filter(created_at__gte=at(since))
            .values_list("pk", "keys", "created_at")
        )
        for pk, keys, created_at in rows:
            if pk in self.seen:
                continue
            written = created_at.timestamp()
            self.seen[pk] = written
            # At start-up, rows long committed need not stamp every page.
            self.mark(keys.split(), min(now, written + COMMIT_WINDOW))
        if now >= self.next_cleanup:
            self.next_cleanup = now + 3600
            # A day of purges is kept, to tell what was purged when.
            Purge.objects.filter(
                created_at__lt=at(now - KEEP_SECONDS), sent_at__isnull=False
            ).delete()
        self.polled_at = now
        self.forget_before(now)

    def forget_before(self, now: float) -> None:
        """Drop what no cached page can be older than any more."""
        with self.lock:
            # Kept longer than poll() looks back, so no row is taken twice.
            old = now - 2 * COMMIT_WINDOW - settings.PURGE_POLL_SECONDS
            for pk in [pk for pk, written in self.seen.items() if written < old]:
                del self.seen[pk]
            oldest = now - settings.PAGE_CACHE_SECONDS - COMMIT_WINDOW
            if len(self.purged_at) > 10_000:
                self.purged_at = {k: t for k, t in self.purged_at.items() if t > oldest}


log = PurgeLog()


def tick() -> None:
    """The work that falls due with time, done by whichever request comes:
    read new purges, purge the scheduled changes whose moment has come, and
    retry purges the edge has not taken. Costs a clock read otherwise."""
    now = time.time()
    if now < log.next_poll:
        return
    log.next_poll = now + settings.PURGE_POLL_SECONDS
    try:
        log.poll()
        purge_due_changes()
        if edge.is_configured() and now >= log.next_retry:
            log.next_retry = now + RETRY_SECONDS
            retry_unsent()
    except (DatabaseError, InterfaceError) as error:
        # Nothing can be changed while the database is away either; serve
        # what is cached and look again next time. Said once per outage,
        # not at every look. (InterfaceError, a connection the server has
        # closed, is not a DatabaseError.)
        if not log.unreadable:
            log.unreadable = True
            logger.warning(
                "Could not read the purge log (%s); serving cached pages "
                "and trying again every %s s.",
                str(error).strip() or type(error).__name__,
                settings.PURGE_POLL_SECONDS,
            )
        return
    if log.unreadable:
        log.unreadable = False
        logger.warning("The purge log can be read again.")


def record(keys: Iterable[str], using: str = "default") -> None:
    """Purge `keys` once the current transaction commits (now, outside one)."""
    from .models import Purge

    keys = sorted(set(keys))
    if not keys:
        return
    configured = edge.is_configured()
    Purge.objects.using(using).create(
        keys=" ".join(keys), sent_at=None if configured else timezone.now()
    )
    # This worker forgets at once (and again after the commit, for pages
    # rendered meanwhile); the others when they next poll.
    log.mark(keys)

    def committed() -> None:
        log.mark(keys)
        if configured:
            send_soon(using)

    transaction.on_commit(committed, using=using)


def send_soon(using: str = "default") -> None:
    """Send the unsent rows to the edge in a thread, retrying a few times."""
    threading.Thread(target=send_with_retries, args=(using,), name="purge").start()


_sending = threading.Lock()


def send_with_retries(using: str, delays: tuple[float, ...] = (1, 2, 4)) -> None:
    """Wait until every worker has read the purge log (each reads it before
    answering a request, at most PURGE_POLL_SECONDS after the last time):
    purged any sooner, Varnish or the CDN could fetch the page again from a
    worker that still keeps the old one, and keep that for hours."""
    try:
        time.sleep(min(settings.PURGE_POLL_SECONDS, 5) + POLL_MARGIN)
        for delay in (0, *delays):
            time.sleep(delay)
            if send_unsent(using):
                return
    finally:
        connections.close_all()


def retry_unsent() -> None:
    """Send again rows left unsent a while ago (their sender gave up or
    died), and meanwhile shorten edge lifetimes."""
    from .models import Purge

    late = timezone.now() - timedelta(seconds=RETRY_SECONDS)
    log.edge_behind = Purge.objects.filter(
        sent_at__isnull=True, created_at__lt=late
    ).exists()
    if log.edge_behind:
        worker = threading.Thread(target=send_with_retries, args=("default", ()))
        worker.start()


def send_unsent(using: str = "default") -> bool:
    """Send every unsent row's keys to the edge in one purge; True when
    nothing is left unsent. One sender per process at a time: the others
    wait, then send what is left."""
    from .models import Purge

    if not _sending.acquire(timeout=30):
        return False
    try:
        started = timezone.now()
        rows = list(
            Purge.objects.using(using)
            .filter(sent_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "keys", "created_at", "attempts")[:MAX_KEYS]
        )
        if not rows:
            return True
        ids = [row[0] for row in rows]
        keys = sorted({key for row in rows for key in row[1].split()})
        oldest = min(row[2] for row in rows)
        waited = (timezone.now() - oldest).total_seconds()
        if waited > settings.PURGE_GIVE_UP_SECONDS or len(keys) > MAX_KEYS:
            logger.warning(
                "Purging the whole site: %d purges of %d keys waited %.0f s.",
                len(rows), len(keys), waited,
            )  # fmt: skip
            keys = ["site"]
        wait_for_replica(ids[-1])
        try:
            edge.purge(keys)
        except edge.PurgeError as error:
            Purge.objects.using(using).filter(pk__in=ids).update(
                attempts=F("attempts") + 1
            )
            logger.warning(
                "Purge of %d keys not taken (attempt %d), will retry: %s",
                len(keys), max(row[3] for row in rows) + 1, error,
            )  # fmt: skip
            return False
        Purge.objects.using(using).filter(pk__in=ids).update(sent_at=timezone.now())
        if any(row[3] for row in rows):
            logger.info("Purge of %d keys taken after retries.", len(keys))
        if keys == ["site"]:
            # Everything written before this purge is covered by it.
            Purge.objects.using(using).filter(
                sent_at__isnull=True, created_at__lte=started
            ).update(sent_at=timezone.now())
        log.edge_behind = False
        return True
    finally:
        _sending.release()


def pages_database() -> str:
    """The database readers' pages read (the replica, when there is one and
    it answers). The purge log is read there too, so a worker refuses its
    cached pages once a fresh render would show the change."""
    if "replica" not in settings.DATABASES:
        return "default"
    from newsroom.routers import replica_reachable

    return "replica" if replica_reachable() else "default"


def wait_for_replica(last_id: int, seconds: float = 5) -> None:
    """With a read replica, purge the edge only once the replica has the
    change: the edge's next request may be answered from it."""
    from .models import Purge

    replica = pages_database()
    if replica == "default":
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if Purge.objects.using(replica).filter(pk=last_id).exists():
                return
        except DatabaseError:
            return  # Pages read the primary while the replica is away.
        time.sleep(0.1)


# Scheduled changes.

# How far ahead scheduled changes are read, beyond the longest lifetime.
SCHEDULE_SECONDS = 600


@dataclass(frozen=True)
class Change:
    moment: float
    event: str
    keys: frozenset[str]


def upcoming_changes() -> list[Change]:
    """Scheduled publications and breaking-news expiries within the longest
    lifetime a page can get (at the edge or in the page cache), soonest
    first, with the keys each will purge: one query, and 5 more for each
    scheduled story."""
    from django.db.models import Q

    from .models import Article
    from .signals import story_lists

    now = timezone.now()
    longest = max(longest_lifetime(), settings.PAGE_CACHE_SECONDS)
    until = now + timedelta(seconds=longest + SCHEDULE_SECONDS)
    scheduled = Q(published_at__gt=now, published_at__lte=until)
    expiring = Q(
        published_at__lte=now,
        is_breaking=True,
        breaking_until__gt=now,
        breaking_until__lte=until,
    )
    stories = Article.objects.filter(
        scheduled | expiring, status=Article.Status.PUBLISHED
    ).only("section", "kind", "published_at", "breaking_until")
    changes = []
    for story in stories[:100]:
        if story.published_at > now:
            moment = story.published_at.timestamp()
            event = f"due:{story.pk}:{moment:.0f}"
            keys = story_lists(story) | {f"s{story.pk}"}
        else:
            moment = story.breaking_until.timestamp()
            event = f"unbreak:{story.pk}:{moment:.0f}"
            keys = {"front", f"s{story.pk}"}
        changes.append(Change(moment, event, frozenset(keys)))
    return sorted(changes, key=lambda change: change.moment)


def schedule() -> list[Change]:
    """upcoming_changes(), read again after any change to a story's schedule,
    once the first has come (purge_due_changes()), and every SCHEDULE_SECONDS."""
    return remembered("schedule", upcoming_changes, keys=("schedule",))


def longest_lifetime() -> int:
    if edge.is_configured() and not log.edge_behind:
        return settings.PUBLIC_PAGE_EDGE_MAX_AGE
    return settings.PUBLIC_PAGE_MAX_AGE


def next_change(keys: Iterable[str]) -> float:
    """The moment of the first scheduled change that purges one of `keys`."""
    keys = set(keys)
    for change in schedule():
        if not keys.isdisjoint(change.keys):
            return change.moment
    return math.inf


def purge_due_changes() -> None:
    """Record the purge of each scheduled change whose moment has come, once
    whichever worker notices it first (the event name is unique)."""
    from .models import Purge

    now = time.time()
    kept = _kept.get("schedule")
    due = [change for change in kept.value if change.moment <= now] if kept else []
    if not due:
        return
    configured = edge.is_configured()
    for change in due:
        log.mark(change.keys, max(now, change.moment))
        row = Purge(
            keys=" ".join(sorted(change.keys)),
            event=change.event,
            sent_at=None if configured else timezone.now(),
        )
        Purge.objects.bulk_create([row], ignore_conflicts=True)
    if configured:
        send_soon()
    _kept.pop("schedule", None)


# Reads kept until their keys are purged.


@dataclass
class Kept:
    value: object
    computed_at: float
    keys: tuple[str, ...]
    expires_at: float


_kept: dict[str, Kept] = {}


def remembered(name: str, compute: Callable[[], T], keys: tuple[str, ...]) -> T:
    """compute()'s result, kept by this worker until one of `keys` is
    purged, and SCHEDULE_SECONDS at most: for the small reads that pages
    repeat, such as the navigation and the schedule above."""
    now = time.time()
    entry = _kept.get(name)
    if (
        entry is None
        or entry.expires_at <= now
        or not log.fresh(keys, entry.computed_at)
    ):
        entry = _kept[name] = Kept(compute(), now, keys, now + SCHEDULE_SECONDS)
    return entry.value


def reset() -> None:
    """Forget what this process knows of purges and kept reads, and read the
    purge log next after PURGE_POLL_SECONDS (tests start each from here)."""
    global log
    log = PurgeLog()
    log.polled_at = time.time()
    log.next_poll = log.polled_at + settings.PURGE_POLL_SECONDS
    _kept.clear()
