"""The page cache: what readers, editors and proxies see."""

import gzip
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from articles.models import Article

from .factories import make_article

pytestmark = pytest.mark.django_db

FRONT = "/"


def cache_control(response) -> dict[str, str]:
    parts = [part.strip() for part in response["Cache-Control"].split(",")]
    return dict((part.split("=") + [""])[:2] for part in parts)


def edge_lifetime(response) -> int:
    """Seconds a proxy or CDN may keep the response, as both headers say."""
    surrogate = response["Surrogate-Control"]
    assert response["CDN-Cache-Control"] == surrogate
    return int(surrogate.removeprefix("max-age="))


def test_second_anonymous_visit_is_served_from_the_cache_without_queries(
    client, django_assert_num_queries
):
    make_article(headline="Budget passes")
    first = client.get(FRONT)
    assert first["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = client.get(FRONT)
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert "Budget passes" in second.content.decode()


def test_a_hit_carries_the_same_headers_as_the_first_render(client, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    make_article()
    proxied = {"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"}
    first = client.get(FRONT, headers=proxied)
    second = client.get(FRONT, headers=proxied)
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    for name in (
        "Content-Type",
        "Content-Encoding",
        "Content-Length",
        "ETag",
        "Cache-Control",
        "Vary",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Strict-Transport-Security",
    ):
        assert second[name] == first[name], name
    assert int(second["Content-Length"]) == len(second.content)


def test_publishing_a_story_shows_at_once(client):
    make_article(headline="Old news")
    draft = make_article(headline="Fresh scoop", status=Article.Status.DRAFT)
    assert "Fresh scoop" not in client.get(FRONT).content.decode()

    draft.status = Article.Status.PUBLISHED
    draft.save()
    response = client.get(FRONT)
    assert "Fresh scoop" in response.content.decode()
    assert response["X-Page-Cache"] == "miss"


def test_an_edited_headline_replaces_the_cached_article_page(client):
    story = make_article(headline="First headline")
    assert "First headline" in client.get(story.get_absolute_url()).content.decode()
    story.headline = "Corrected headline"
    story.save()
    page = client.get(story.get_absolute_url()).content.decode()
    assert "Corrected headline" in page
    assert "First headline" not in page


def test_a_withdrawn_story_is_gone_at_once_despite_the_cache(client):
    story = make_article(headline="Mistaken report")
    page = client.get(story.get_absolute_url()).text
    assert '<h1 class="story__headline">Mistaken report</h1>' in page
    assert "Mistaken report" in client.get(FRONT).content.decode()

    story.status = Article.Status.WITHDRAWN
    story.save()
    assert client.get(story.get_absolute_url()).status_code == 410
    assert "Mistaken report" not in client.get(FRONT).content.decode()


def test_nothing_cached_or_max_age_outlives_a_scheduled_publication(client):
    make_article()
    due = timezone.now() + timedelta(seconds=45)
    make_article(headline="Embargoed result", published_at=due)
    response = client.get(FRONT)
    assert "Embargoed result" not in response.content.decode()
    assert int(cache_control(response)["max-age"]) <= 45
    assert edge_lifetime(response) <= 45

    with time_machine.travel(due + timedelta(seconds=1)):
        later = client.get(FRONT)
    assert "Embargoed result" in later.content.decode()
    assert later["X-Page-Cache"] == "miss"


def test_an_expired_breaking_flag_leaves_the_cached_page_by_itself(client):
    until = timezone.now() + timedelta(minutes=10)
    make_article(headline="Storm warning", is_breaking=True, breaking_until=until)
    response = client.get(FRONT)
    assert 'class="breaking' in response.content.decode()
    assert "Storm warning" in response.content.decode()

    with time_machine.travel(until + timedelta(seconds=1)):
        later = client.get(FRONT).content.decode()
    assert 'class="breaking' not in later


def test_pages_carry_a_validator_and_answer_304_until_they_change(client):
    story = make_article()
    response = client.get(FRONT)
    etag = response["ETag"]
    assert etag

    not_modified = client.get(FRONT, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""

    story.headline = "Changed"
    story.save()
    changed = client.get(FRONT, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Changed" in changed.text and changed["ETag"] != etag


def test_compressed_copy_is_served_to_browsers_that_accept_it(client):
    make_article(headline="Squeezed story")
    plain = client.get(FRONT)
    packed = client.get(FRONT, headers={"Accept-Encoding": "gzip, br"})
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 3
    assert "Accept-Encoding" in packed["Vary"]


def test_tracking_parameters_do_not_split_the_cache(client):
    make_article()
    client.get(FRONT)
    assert client.get(FRONT + "?utm_source=news&fbclid=x")["X-Page-Cache"] == "hit"
    # Parameters the pages use do.
    assert client.get("/search/?q=budget")["X-Page-Cache"] == "miss"
    assert client.get("/search/?q=cricket")["X-Page-Cache"] == "miss"


def test_https_behind_the_proxy_gets_its_own_copy_with_https_links(client):
    story = make_article()
    url = story.get_absolute_url()
    proxied = {"Host": "testserver", "X-Forwarded-Proto": "https"}
    plain = client.get(url).content.decode()
    secure = client.get(url, headers=proxied).content.decode()
    assert 'rel="canonical" href="http://testserver/' in plain
    assert 'rel="canonical" href="https://testserver/' in secure


def test_forwarded_host_is_ignored_unless_configured(client, settings):
    settings.ALLOWED_HOSTS = ["testserver", "news.example.com"]
    story = make_article()
    headers = {"X-Forwarded-Host": "news.example.com"}
    page = client.get(story.get_absolute_url(), headers=headers).content.decode()
    assert "http://testserver/" in page

    settings.USE_X_FORWARDED_HOST = True
    page = client.get(story.get_absolute_url(), headers=headers).content.decode()
    assert "http://news.example.com/" in page


def test_editors_get_fresh_private_pages_that_are_never_stored(editor_client):
    make_article(headline="Seen by the editor")
    response = editor_client.get(FRONT)
    assert "Seen by the editor" in response.content.decode()
    rules = cache_control(response)
    assert "private" in rules and "no-store" in rules
    assert "X-Page-Cache" not in response
    editor_client.logout()
    assert editor_client.get(FRONT)["X-Page-Cache"] == "miss"


def test_admin_and_preview_are_never_public(editor_client):
    draft = make_article(status=Article.Status.DRAFT)
    for url in ("/admin/", f"/preview/{draft.pk}/"):
        rules = cache_control(editor_client.get(url))
        assert "private" in rules and "public" not in rules


def test_the_page_cache_can_be_turned_off(client, settings):
    settings.PAGE_CACHE_SECONDS = 0
    make_article()
    first = client.get(FRONT)
    assert client.get(FRONT)["X-Page-Cache"] == "miss"
    assert (
        client.get(FRONT, headers={"If-None-Match": first["ETag"]}).status_code == 304
    )
    assert edge_lifetime(first) == 60


def test_not_found_pages_are_not_stored(client):
    for url in ("/news/999999/no-such-story/", "/section/none/"):
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 404
            assert response["X-Page-Cache"] == "miss"


def test_without_a_cache_a_page_costs_only_its_own_queries(
    client, settings, django_assert_max_num_queries
):
    """Redis down: no page can be kept, but each render asks no more than
    the page's own queries."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    }
    make_article(headline="Served while Redis is down")
    client.get(FRONT)
    # The stories and their kept cards (the sections, regions and schedule
    # are kept by the worker itself).
    with django_assert_max_num_queries(3):
        response = client.get(FRONT)
    assert "Served while Redis is down" in response.content.decode()
