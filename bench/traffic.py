"""What readers and the editor do in the newsroom day (bench/day.py).

Everything is drawn from one seeded random generator before the first stack
runs, so every stack gets exactly the same requests at the same moments and
the same editor actions.
"""

import random
from dataclasses import dataclass
from datetime import timedelta
from itertools import accumulate

from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from articles.models import Article, Author, Region, Section

RECENT_DAYS = 2
# When the dataset is older than two days (generated a while ago), the
# newest stories stand in for "the last two days".
RECENT_AT_LEAST = 100
RECENT_FALLBACK = 400
# The editor's cycle of 12 actions, one every 5 seconds (a minute): mostly
# typo fixes in recent stories, two new publications, one correction to an
# old story and one withdrawal of a recent one (both within a minute's run).
CYCLE = ["typo", "typo", "publish", "correction", "typo", "typo", "withdraw"]
CYCLE += ["typo", "publish", "typo", "typo", "typo"]
EDIT_EVERY = 5.0


def zipf(items: list, s: float = 1.0) -> tuple[list, list[float]]:
    """items (most popular first) with the cumulative Zipf weights that
    random.choices() takes: the item at rank r is drawn ~1/r^s as often."""
    return items, list(accumulate(1 / rank**s for rank in range(1, len(items) + 1)))


def draw(rng: random.Random, ranked: tuple[list, list[float]]):
    items, weights = ranked
    return rng.choices(items, cum_weights=weights)[0]


@dataclass
class Story:
    id: int
    path: str


@dataclass
class Plan:
    requests: list[tuple[float, str]]  # (seconds after the start, path)
    actions: list[dict]  # the editor's, see editor.py
    scheduled: list[float]  # seconds after the start a story comes due
    recent: list[Story]  # most read first
    old: list[Story]  # most read first
    template_id: int  # the story new ones are modelled on


def stories(rng: random.Random) -> tuple[list[Story], list[Story]]:
    """Published stories of the last two days and older ones, each in a
    random order of popularity."""
    rows = list(
        Article.objects.published()
        .order_by("-published_at", "-pk")
        .values_list("pk", "slug", "published_at")
    )
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    split = sum(1 for row in rows if row[2] >= since)
    if split < RECENT_AT_LEAST:
        split = min(RECENT_FALLBACK, len(rows) // 2)
    every = [
        Story(pk, reverse("articles:article-detail", kwargs={"pk": pk, "slug": slug}))
        for pk, slug, _ in rows
    ]
    recent, old = every[:split], every[split:]
    rng.shuffle(recent)
    rng.shuffle(old)
    return recent, old


def list_pages(rng: random.Random) -> dict[str, tuple[list, list[float]]]:
    """Section, tag, region and author pages and feeds, each kind ranked
    by a random popularity."""

    def ranked(paths: list[str]) -> tuple[list, list[float]]:
        rng.shuffle(paths)
        return zipf(paths)

    def urls(model) -> list[str]:
        return [item.get_absolute_url() for item in model.objects.order_by("pk")]

    tags = Tag.objects.filter(taggit_taggeditem_items__isnull=False)
    tags = tags.distinct().order_by("slug")
    feeds = [reverse("articles:latest-feed")] + [
        reverse("articles:section-feed", kwargs={"slug": slug})
        for slug in Section.objects.order_by("pk").values_list("slug", flat=True)
    ]
    return {
        "section": ranked(urls(Section)),
        "tag": ranked([tag.get_absolute_url() for tag in tags]),
        "region": ranked(urls(Region)),
        "author": ranked(urls(Author)),
        "feed": ranked(feeds),
    }


def plan(seed: int, duration: float, rate: float) -> Plan:
    rng = random.Random(seed)
    recent, old = stories(rng)
    if not recent or not old:
        raise SystemExit("Not enough published stories: generate some first.")
    hot_recent, hot_old = zipf(recent), zipf(old)
    lists = list_pages(rng)

    def path() -> str:
        share = rng.random()
        if share < 0.2:  # A fifth: the front page and section pages.
            if rng.random() < 0.4:
                return "/"
            page = draw(rng, lists["section"])
            return page + "?page=2" if rng.random() < 0.2 else page
        if share < 0.7:  # Half: stories of the last two days, most read most.
            return draw(rng, hot_recent).path
        if share < 0.9:  # A fifth: the long tail, a few old stories draw much.
            return draw(rng, hot_old).path
        kind = rng.choices(["tag", "region", "author", "feed"], [35, 20, 20, 25])[0]
        return draw(rng, lists[kind])

    requests = [(n / rate, path()) for n in range(int(duration * rate))]
    return Plan(
        requests=requests,
        actions=editor_actions(rng, duration, recent, old),
        # One story comes due every minute, between two editor actions.
        scheduled=[minute * 60 - 27.5 for minute in range(1, int(duration // 60) + 1)],
        recent=recent,
        old=old,
        template_id=recent[-1].id,
    )


def editor_actions(
    rng: random.Random, duration: float, recent: list[Story], old: list[Story]
) -> list[dict]:
    """One action every EDIT_EVERY seconds. Withdrawals take the most read
    recent stories, so readers keep asking for them; typo fixes go to the
    30 most read that are still up, corrections to the 20 most read old
    stories (long-tail stories readers do request)."""
    withdrawn: list[Story] = []
    actions = []
    count = int((duration - 1) // EDIT_EVERY)
    for n in range(count):
        kind = CYCLE[n % len(CYCLE)]
        action = {"at": (n + 1) * EDIT_EVERY, "kind": kind}
        if kind == "withdraw":
            story = recent[len(withdrawn)]
            withdrawn.append(story)
        elif kind == "typo":
            story = rng.choice([s for s in recent[:30] if s not in withdrawn])
        elif kind == "correction":
            story = rng.choice(old[:20])
        else:
            story = None
        if story:
            action.update(story=story.id, path=story.path)
        actions.append(action)
    return actions
