""" "Most read": the view beacon, what it counts, the daily table and the
lists on the front page and story pages.

On SQLite (no REDIS_URL) counts gather in the process; on the CI's
PostgreSQL pass REDIS_URL is set and the same tests go through Redis.
"""

import re
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from articles import mostread
from articles.models import Article, StoryViews

from .factories import make_article, make_image, make_region

pytestmark = pytest.mark.django_db

MOST_READ = "/most-read/"
BEACON = "/stats/view/"
READER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
redis_only = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL")
local_only = pytest.mark.skipif(bool(settings.REDIS_URL), reason="without Redis")


@pytest.fixture(autouse=True)
def fresh_counts():
    """Each test starts with no remembered readers and no pending counts."""
    cache.clear()
    mostread.reset_counter()
    mostread.counter().drain()
    yield
    mostread.counter().drain()
    mostread.reset_counter()


def beacon(client, story, user_agent=READER, address="198.51.100.7", **extra):
    story_id = story.pk if isinstance(story, Article) else story
    return client.post(
        BEACON,
        {"story": story_id},
        HTTP_USER_AGENT=user_agent,
        REMOTE_ADDR=address,
        **extra,
    )


def views() -> dict[int, int]:
    """Flush, then the views of today by story id."""
    mostread.flush()
    today = timezone.localdate()
    return dict(StoryViews.objects.filter(day=today).values_list("article_id", "views"))


def test_a_view_is_counted_and_written_as_one_row_for_the_day(client):
    story = make_article()
    response = beacon(client, story)
    assert response.status_code == 204
    assert views() == {story.pk: 1}
    row = StoryViews.objects.get()
    assert (row.article, row.day, row.views) == (story, timezone.localdate(), 1)


def test_beacon_is_never_cached_and_sets_no_cookie(client):
    response = beacon(client, make_article())
    assert response["Cache-Control"] == (
        "max-age=0, no-cache, no-store, must-revalidate, private"
    )
    assert "Expires" in response
    assert not response.cookies


def test_beacon_needs_no_csrf_token():
    strict = Client(enforce_csrf_checks=True)
    story = make_article()
    assert beacon(strict, story).status_code == 204
    assert views() == {story.pk: 1}


def test_beacon_accepts_only_post(client):
    story = make_article()
    assert client.get(BEACON, {"story": story.pk}).status_code == 405
    assert views() == {}


def test_repeat_views_by_the_same_reader_count_once(client):
    story = make_article()
    for _ in range(3):
        assert beacon(client, story).status_code == 204
    assert views() == {story.pk: 1}
    # Another browser, another address: other readers.
    beacon(client, story, user_agent=READER + " other")
    beacon(client, story, address="203.0.113.9")
    # The same reader reading another story.
    other = make_article()
    beacon(client, other)
    assert views() == {story.pk: 3, other.pk: 1}


def test_the_same_reader_counts_again_after_a_while(client):
    story = make_article()
    beacon(client, story)
    # The remembered reader expires from the cache after REPEAT_SECONDS.
    cache.clear()
    beacon(client, story)
    assert views() == {story.pk: 2}


@pytest.mark.parametrize(
    "user_agent",
    [
        "",
        "   ",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "facebookexternalhit/1.1",
        "curl/8.5.0",
        "python-requests/2.32",
        "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0 Safari/537.36",
    ],
)
def test_bots_are_not_counted(client, user_agent):
    story = make_article()
    assert beacon(client, story, user_agent=user_agent).status_code == 204
    assert views() == {}
    assert not StoryViews.objects.exists()


@pytest.mark.parametrize(
    "story_id",
    ["", "abc", "-1", "0", "1e3", "1.5", "²", "١", "99999999999999999999", " 1"],
)
def test_malformed_story_ids_are_refused(client, story_id):
    make_article()
    response = beacon(client, story_id)
    assert response.status_code == 400
    assert views() == {}


def test_only_published_stories_are_counted(client):
    draft = make_article(status=Article.Status.DRAFT)
    hidden = [
        draft,
        make_article(status=Article.Status.REVIEW),
        make_article(status=Article.Status.WITHDRAWN),
        make_article(published_at=timezone.now() + timedelta(hours=1)),
    ]
    for story in hidden:
        assert beacon(client, story).status_code == 404
    assert beacon(client, 987654321).status_code == 404
    assert views() == {}

    draft.status = Article.Status.PUBLISHED
    draft.save()
    assert beacon(client, draft).status_code == 204
    assert views() == {draft.pk: 1}


def test_counts_add_up_in_one_row_per_story_per_day(client):
    story = make_article()
    for n in range(5):
        beacon(client, story, address=f"198.51.100.{n}")
        if n % 2:
            mostread.flush()
    assert views() == {story.pk: 5}
    assert StoryViews.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        StoryViews.objects.create(article=story, day=timezone.localdate(), views=1)


def test_beacon_flushes_at_most_once_per_interval(client, settings):
    settings.MOST_READ_FLUSH_SECONDS = 60
    story = make_article()
    beacon(client, story, address="198.51.100.1")
    # The first beacon found nothing flushed yet and wrote its count.
    assert StoryViews.objects.get().views == 1
    beacon(client, story, address="198.51.100.2")
    beacon(client, story, address="198.51.100.3")
    assert StoryViews.objects.get().views == 1
    # The interval passes: the next beacon writes everything gathered.
    cache.delete("mostread:flushed")
    beacon(client, story, address="198.51.100.4")
    assert StoryViews.objects.get().views == 4


def test_counts_of_a_deleted_story_are_dropped(client):
    kept, deleted = make_article(), make_article()
    beacon(client, kept)
    beacon(client, deleted)
    Article.objects.filter(pk=deleted.pk).delete()
    assert views() == {kept.pk: 1}


def test_reader_address_comes_from_the_proxy_only_when_told(client, settings):
    story = make_article()
    proxy = "127.0.0.1"
    # Without USE_X_FORWARDED_FOR every reader seems to be the proxy.
    beacon(client, story, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
    beacon(client, story, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert views() == {story.pk: 1}

    settings.USE_X_FORWARDED_FOR = True
    other = make_article()
    for forwarded in ["198.51.100.1", "10.0.0.1, 198.51.100.2", "198.51.100.2"]:
        beacon(client, other, address=proxy, HTTP_X_FORWARDED_FOR=forwarded)
    assert views()[other.pk] == 2


def test_no_reader_data_is_stored():
    field_names = {field.name for field in StoryViews._meta.get_fields()}
    assert field_names == {"id", "article", "day", "views"}


def test_story_page_loads_the_beacon_script(client):
    story = make_article()
    body = client.get(story.get_absolute_url()).content.decode()
    assert (
        f'<script src="/static/js/beacon.js" data-story="{story.pk}" '
        f'data-url="/stats/view/" defer></script>'
    ) in body
    assert "beacon.js" not in client.get("/").content.decode()


def make_views(story: Article, days_ago: int, count: int) -> None:
    StoryViews.objects.create(
        article=story, day=timezone.localdate() - timedelta(days=days_ago), views=count
    )


def test_lists_rank_by_views_in_each_window(client):
    busy_today = make_article(headline="Busy today")
    busy_this_week = make_article(headline="Busy this week")
    last_month = make_article(headline="Read last month")
    make_views(busy_today, 0, 40)
    make_views(busy_this_week, 0, 10)
    make_views(busy_this_week, 3, 200)
    make_views(last_month, 30, 900)
    make_article(headline="Never read")

    response = client.get(MOST_READ)
    day = [story.headline for story in response.context["most_read_day"]]
    week = [story.headline for story in response.context["most_read_week"]]
    assert day == ["Busy today", "Busy this week"]
    assert week == ["Busy this week", "Busy today"]
    body = response.content.decode()
    assert '<h2 id="most-read-heading" class="block-heading">Most read</h2>' in body
    lists = re.findall(r'<ol class="most-read__list">(.*?)</ol>', body, re.DOTALL)
    assert len(lists) == 2
    assert all("Busy today" in ol and "Read last month" not in ol for ol in lists)


def test_yesterday_counts_for_the_part_inside_the_last_24_hours(client, monkeypatch):
    # At 18:00 a quarter of yesterday lies inside the last 24 hours.
    now = datetime(2026, 3, 10, 18, 0, tzinfo=timezone.get_current_timezone())
    real_localtime = timezone.localtime

    def localtime(value=None, tz=None):
        return real_localtime(value or now, tz)

    monkeypatch.setattr(timezone, "localtime", localtime)
    yesterday_hit = make_article(
        headline="Yesterday's hit", published_at=now - timedelta(days=2)
    )
    today = make_article(headline="Today's story", published_at=now - timedelta(days=2))
    yesterday = now.date() - timedelta(days=1)
    StoryViews.objects.create(article=yesterday_hit, day=yesterday, views=100)
    StoryViews.objects.create(article=today, day=now.date(), views=30)
    day = Article.objects.published().most_read(24)
    assert [(s.headline, s.recent_views) for s in day] == [
        ("Today's story", 30),
        ("Yesterday's hit", 25),
    ]
    week = Article.objects.published().most_read(24 * 7)
    assert [s.headline for s in week] == ["Yesterday's hit", "Today's story"]


def test_unpublished_stories_never_appear_in_the_lists(client):
    story = make_article(headline="Popular then withdrawn")
    make_views(story, 0, 500)
    assert "Popular then withdrawn" in client.get(MOST_READ).content.decode()
    story.status = Article.Status.WITHDRAWN
    story.save()
    response = client.get(MOST_READ)
    assert response.context["most_read_day"] == []
    assert "Popular then withdrawn" not in response.content.decode()


@pytest.mark.parametrize("page", ["story", "front"])
def test_story_and_front_pages_load_the_lists_from_their_own_page(client, page):
    story = make_article(headline="Being read")
    other = make_article(headline="Also read")
    make_views(other, 1, 7)
    url = story.get_absolute_url() if page == "story" else "/"
    body = client.get(url).content.decode()
    # Without JavaScript a link leads to the lists; with it, they are fetched.
    assert f'data-src="{MOST_READ}"' in body
    assert f'<a href="{MOST_READ}">' in body
    assert "js/most-read.js" in body
    lists = client.get(MOST_READ).content.decode()
    assert "Last 7 days" in lists
    assert f'<a href="{other.get_absolute_url()}">Also read</a>' in lists


def test_lists_follow_the_counts_each_flush_writes(client, settings):
    settings.PAGE_CACHE_SECONDS = 0
    make_views(make_article(headline="Steady reader"), 0, 2)
    hit = make_article(headline="Sudden hit")
    box = most_read_box(client.get(MOST_READ))
    assert "Steady reader" in box and "Sudden hit" not in box

    for n in range(3):
        assert beacon(client, hit, address=f"198.51.100.{n}").status_code == 204
    mostread.flush()
    box = most_read_box(client.get(MOST_READ))
    assert box.index("Sudden hit") < box.index("Steady reader")


def test_the_lists_are_at_most_five_minutes_old_and_purge_no_story_page(
    client, settings
):
    settings.VARNISH_URLS = ["http://127.0.0.1:9"]  # Long edge lifetimes.
    story = make_article(headline="Steady reader")
    lists = client.get(MOST_READ)
    assert lists["Surrogate-Control"] in ("max-age=299", "max-age=300")
    assert client.get(story.get_absolute_url())["X-Page-Cache"] == "miss"
    assert beacon(client, story).status_code == 204
    mostread.flush()
    page = client.get(story.get_absolute_url())
    assert page["X-Page-Cache"] == "hit"
    assert page["Surrogate-Control"] == "max-age=14400"


def most_read_box(response) -> str:
    body = response.content.decode()
    return "".join(re.findall(r'<ol class="most-read__list">(.*?)</ol>', body, re.S))


def test_the_lists_page_says_so_while_nothing_was_read(client):
    make_article()
    body = client.get(MOST_READ).content.decode()
    assert "No story has been read enough yet" in body
    assert "most-read__list" not in body


@pytest.mark.parametrize("count", [3, 30])
def test_most_read_lists_take_two_queries(django_assert_max_num_queries, count):
    from articles.querysets import most_read_stories

    image = make_image(size=(64, 36))
    for n in range(count):
        story = make_article(lead_image=image, regions=[make_region()])
        make_views(story, n % 8, n + 1)
    # Expect 2 queries: one per list.
    with django_assert_max_num_queries(2):
        lists = most_read_stories()
        headlines = [story.headline for story in lists["most_read_week"]]
    assert len(headlines) == min(count, 5)
    assert lists["most_read_day"]


@redis_only
def test_counts_are_shared_by_every_worker_through_redis(client):
    story = make_article(headline="Read in two workers")
    cache.add("mostread:flushed", 1)  # As if just flushed: the counts wait.
    beacon(client, story, address="198.51.100.1")
    # The next view reaches another worker, whose counter starts afresh: in
    # worker memory the first count would be lost to it.
    mostread.reset_counter()
    beacon(client, story, address="198.51.100.2")
    call_command("flush_story_views", verbosity=0)
    assert StoryViews.objects.get(article=story).views == 2
    assert "Read in two workers" in Client().get(MOST_READ).content.decode()


@redis_only
def test_flush_command_writes_what_redis_gathered(client):
    story = make_article()
    cache.add("mostread:flushed", 1)  # As if just flushed: the counts wait.
    beacon(client, story)
    beacon(client, story, address="203.0.113.1")
    call_command("flush_story_views", verbosity=0)
    assert StoryViews.objects.get(article=story).views == 2


@local_only
def test_flush_command_explains_it_cannot_reach_worker_memory(client, capsys):
    story = make_article()
    beacon(client, story, address="198.51.100.1")  # Flushed by the beacon.
    beacon(client, story, address="198.51.100.2")  # Waits for the next flush.
    call_command("flush_story_views")
    assert "REDIS_URL is not set" in capsys.readouterr().err
    assert StoryViews.objects.get().views == 1
    # The view waits in the worker, and the worker's own flush writes it.
    assert views() == {story.pk: 2}
