"""The editor of the newsroom day (bench/day.py): commits changes through the
Django ORM, as the admin does, with the code of the stack being measured.

    python -P bench/editor.py PLAN LOG      (cwd and PYTHONPATH: the stack's tree)

PLAN (JSON) holds the start time (epoch seconds), the actions, each `at`
seconds after the start (typo, correction, publish, withdraw), and when the
scheduled stories come due; all are created before the start. Each commit is
written to LOG as a JSON line: its time, the story's id and path, the unique
marker word the change put on the page, and the story's fields before the
first change (`before`), so bench/day.py can put them back afterwards.
Standalone on purpose: it imports nothing of the tree it is started from but
the app, so the old stack's editor runs the old app's invalidation and the
new one's the new purge.
"""

import json
import os
import secrets
import sys
import time
from datetime import UTC, datetime

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
django.setup()

from django.db import transaction  # noqa: E402
from django.urls import reverse  # noqa: E402

from articles.models import Article, Byline  # noqa: E402

# What the editor changes, kept as it was to be put back after the run.
KEPT = ("headline", "body", "status", "updated_at", "modified_at")
SLUG_PREFIX = "bench-day-"


def marker() -> str:
    """A word no page shows until the change does."""
    return "zq" + secrets.token_hex(4)


def before(story: Article) -> dict:
    values = {name: getattr(story, name) for name in KEPT}
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in values.items()
    }


def new_story(template: Article, word: str, published_at: datetime) -> Article:
    """A published story like template, with word in its headline, its
    byline, regions and tags, saved as the admin's add form does."""
    with transaction.atomic():
        story = Article(
            headline=f"{word} {template.headline}",
            slug=f"{SLUG_PREFIX}{word}",
            standfirst=template.standfirst,
            body=template.body,
            kind=template.kind,
            video_url=template.video_url,
            status=Article.Status.PUBLISHED,
            section_id=template.section_id,
            source_id=template.source_id,
            lead_image_id=template.lead_image_id,
            published_at=published_at,
        )
        story.save()
        for byline in template.bylines.all():
            Byline(
                article=story, author_id=byline.author_id, position=byline.position
            ).save()
        story.regions.set(template.regions.all())
        story.tags.set(list(template.tags.all()))
    return story


def path(story: Article) -> str:
    return reverse(
        "articles:article-detail", kwargs={"pk": story.pk, "slug": story.slug}
    )


def act(action: dict, template: Article, originals: dict) -> dict:
    word = marker()
    if action["kind"] == "publish":
        story = new_story(template, word, datetime.now(UTC))
        return {"id": story.pk, "path": path(story), "marker": word, "created": True}

    story = Article.objects.get(pk=action["story"])
    record = {"id": story.pk, "path": path(story), "marker": word}
    if story.pk not in originals:
        originals[story.pk] = story.headline
        record["before"] = before(story)
    if action["kind"] == "typo":
        story.headline = f"{originals[story.pk]} {word}"
    elif action["kind"] == "correction":
        story.body += f"<p>Correction: an earlier version misnamed {word}.</p>"
        story.updated_at = datetime.now(UTC)
    elif action["kind"] == "withdraw":
        story.status = Article.Status.WITHDRAWN
    story.save()
    return record


def main() -> None:
    plan_file, log_file = sys.argv[1:3]
    plan = json.loads(open(plan_file).read())
    start = plan["start"]
    template = Article.objects.get(pk=plan["template"])
    log = open(log_file, "a", buffering=1)

    def write(**record) -> None:
        log.write(json.dumps({"time": time.time(), **record}) + "\n")

    for due in plan["scheduled"]:
        word = marker()
        when = datetime.fromtimestamp(start + due, UTC)
        story = new_story(template, word, when)
        record = {"id": story.pk, "path": path(story), "marker": word}
        write(kind="scheduled", due=start + due, created=True, **record)
    write(kind="ready")

    originals: dict[int, str] = {}
    for action in plan["actions"]:
        delay = start + action["at"] - time.time()
        if delay > 0:
            time.sleep(delay)
        record = act(action, template, originals)
        write(kind=action["kind"], **record)
    # Purges are sent after the commit, in the background: give them time.
    time.sleep(5)


if __name__ == "__main__":
    main()
