from datetime import UTC, datetime, timedelta

from django.utils import timezone

from articles.templatetags.articles_tags import (
    iso,
    rendition_url,
    short_time,
    srcset,
)


class FakeImage:
    renditions = [
        {"width": 320, "height": 180, "jpeg": "r/320.jpg", "webp": "r/320.webp"},
        {"width": 640, "height": 360, "jpeg": "r/640.jpg", "webp": "r/640.webp"},
    ]


def test_srcset_lists_every_rendition_with_its_width():
    assert (
        srcset(FakeImage(), "webp") == "/media/r/320.webp 320w, /media/r/640.webp 640w"
    )
    assert srcset(None) == ""


def test_rendition_url_picks_the_smallest_wide_enough():
    assert rendition_url(FakeImage(), 300) == "/media/r/320.jpg"
    assert rendition_url(FakeImage(), 400) == "/media/r/640.jpg"
    assert rendition_url(FakeImage(), 2000) == "/media/r/640.jpg"


def test_iso_is_to_the_second_in_local_time(settings):
    settings.TIME_ZONE = "Asia/Karachi"
    moment = datetime(2021, 12, 23, 10, 30, 15, 123456, tzinfo=UTC)
    assert iso(moment) == "2021-12-23T15:30:15+05:00"
    assert iso(None) == ""


def test_short_time_shows_the_clock_today_and_the_date_before():
    now = timezone.now()
    assert short_time(now) == timezone.localtime(now).strftime("%H:%M")
    earlier = timezone.localtime(now - timedelta(days=2))
    assert short_time(earlier) == f"{earlier.day} {earlier:%b}"
