from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, StoryViews

from .factories import make_article, make_image, make_region, make_section

pytestmark = pytest.mark.django_db

FRONT = reverse("articles:front-page")


def test_front_page_shows_site_name_tagline_and_stories(client):
    make_article(headline="Cabinet approves the federal budget")
    response = client.get(FRONT)
    assert response.status_code == 200
    assert "<title>Pakistan Christian TV" in response.content.decode()
    assert "Breaking news and world news" in response.content.decode()
    assert "Cabinet approves the federal budget" in response.content.decode()


def test_draft_and_scheduled_stories_stay_off_the_front_page(client):
    make_article(headline="Draft marker ZQX", status=Article.Status.DRAFT)
    later = make_article(
        headline="Scheduled marker QZW",
        published_at=timezone.now() + timedelta(hours=2),
    )
    body = client.get(FRONT).content.decode()
    assert "Draft marker ZQX" not in body
    assert "Scheduled marker QZW" not in body

    # Nobody saves anything: the story appears when its time comes, even
    # though the page without it was cached.
    with time_machine.travel(later.published_at + timedelta(seconds=1)):
        assert "Scheduled marker QZW" in client.get(FRONT).content.decode()


def test_pinned_lead_story_leads_and_is_shown_once(client):
    section = make_section(name="World")
    lead = make_article(
        headline="Pinned lead ABC",
        section=section,
        front_page_rank=1,
        published_at=timezone.now() - timedelta(days=3),
    )
    for _ in range(6):
        make_article(section=section)

    response = client.get(FRONT)
    assert response.context["lead"] == lead
    assert response.content.decode().count("Pinned lead ABC") == 1


def test_every_story_appears_at_most_once(client):
    sections = [make_section() for _ in range(3)]
    region = make_region()
    stories = [
        make_article(section=sections[n % 3], regions=[region]) for n in range(30)
    ]
    make_article(kind=Article.Kind.VIDEO, video_url="https://youtu.be/abcdefghijk")

    context = client.get(FRONT).context
    shown = [context["lead"], *context["top_stories"], *context["latest"]]
    shown += context["video_stories"]
    shown += [s for _, block in context["section_blocks"] for s in block]
    shown += [s for _, block in context["region_blocks"] for s in block]
    ids = [story.pk for story in shown]
    assert len(ids) == len(set(ids))
    assert len(ids) > 20
    assert stories[-1].pk in ids


def test_breaking_bar_lists_breaking_stories_until_they_expire(client):
    make_article(headline="Quake hits the north", is_breaking=True)
    expired = make_article(
        headline="Old alarm",
        is_breaking=True,
        breaking_until=timezone.now() - timedelta(minutes=5),
    )
    response = client.get(FRONT)
    assert [a.headline for a in response.context["breaking"]] == [
        "Quake hits the north"
    ]
    assert 'class="breaking"' in response.content.decode()
    assert expired.headline not in [a.headline for a in response.context["breaking"]]


def test_no_breaking_bar_without_breaking_stories(client):
    make_article()
    assert 'class="breaking"' not in client.get(FRONT).content.decode()


def test_video_strip_and_section_blocks_link_to_their_pages(client):
    sport = make_section(name="Sports", slug="sports")
    make_article(
        headline="Match highlights",
        kind=Article.Kind.VIDEO,
        video_url="https://www.youtube.com/watch?v=abcdefghijk",
    )
    for _ in range(16):
        make_article(section=sport)
    body = client.get(FRONT).content.decode()
    assert 'href="/video/"' in body
    assert 'href="/section/sports/"' in body


def test_front_page_with_no_stories_says_so(client):
    response = client.get(FRONT)
    assert response.status_code == 200
    assert "No stories have been published yet." in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_front_page_query_count_is_fixed(
    client, django_assert_max_num_queries, settings, count
):
    sections = [make_section() for _ in range(4)]
    regions = [make_region() for _ in range(3)]
    image = make_image()
    for n in range(count):
        story = make_article(
            section=sections[n % 4],
            regions=regions[: n % 3 + 1],
            lead_image=image,
            is_breaking=n % 7 == 0,
            kind=Article.Kind.VIDEO if n % 5 == 0 else Article.Kind.STORY,
            video_url="https://youtu.be/abcdefghijk" if n % 5 == 0 else "",
        )
        StoryViews.objects.create(article=story, day=timezone.localdate(), views=n)
    # Expect 8 queries: the breaking, pinned, newest and video stories in
    # one, the recent pool, the stories picked from it, their cards, then,
    # once until a section or a story's schedule changes, the sections and
    # regions (blocks and navigation) and the scheduled publications and
    # breaking-news expiries.
    with django_assert_max_num_queries(8):
        response = client.get(FRONT)
    assert response.status_code == 200
    # Rendered again (the page cache off), only the stories are read again:
    # their cards are kept.
    settings.PAGE_CACHE_SECONDS = 0
    with django_assert_max_num_queries(3):
        again = client.get(FRONT)
    assert again.content == response.content


def test_kept_cards_show_every_edit_at_once(client, settings):
    settings.PAGE_CACHE_SECONDS = 0
    section = make_section(name="Business", slug="business")
    image = make_image()
    image.alt_text = "Traders on the floor"
    image.save()
    story = make_article(
        headline="Markets rally", section=section, lead_image=image, front_page_rank=1
    )
    for _ in range(5):
        make_article(section=section)
    page = client.get(FRONT).content.decode()
    assert "Markets rally" in page and 'alt="Traders on the floor"' in page

    # Each change on its own: the picture, the section, the story.
    image.alt_text = "Traders cheering"
    image.save()
    page = client.get(FRONT).content.decode()
    assert 'alt="Traders cheering"' in page and "Traders on the floor" not in page
    section.name = "Money"
    section.save()
    page = client.get(FRONT).content.decode()
    assert 'class="kicker" href="/section/business/">Money</a>' in page
    story.headline = "Markets rally again"
    story.save()
    assert "Markets rally again" in client.get(FRONT).content.decode()


def test_cards_are_rendered_afresh_in_development(client, settings):
    """runserver reloads templates as they are edited; kept cards would not."""
    settings.DEBUG = True
    settings.PAGE_CACHE_SECONDS = 0
    story = make_article(headline="Fresh card")
    assert "Fresh card" in client.get(FRONT).content.decode()
    # A change that no save announces, as an edit to the card template is.
    Article.objects.filter(pk=story.pk).update(headline="Fresher card")
    page = client.get(FRONT).content.decode()
    assert "Fresher card" in page and "Fresh card" not in page


def test_a_renamed_section_shows_in_the_navigation_at_once(client, settings):
    settings.PAGE_CACHE_SECONDS = 0
    section = make_section(name="Sport", slug="sport")
    make_article(section=section)
    assert ">Sport</a>" in client.get(FRONT).content.decode()
    section.name = "Sports"
    section.save()
    page = client.get(FRONT).content.decode()
    assert ">Sports</a>" in page and ">Sport</a>" not in page


def test_front_page_is_publicly_cacheable(client):
    make_article()
    response = client.get(FRONT)
    assert response["Cache-Control"] == "public, max-age=60"
    # No purge backend is configured: a proxy may keep it no longer.
    assert response["Surrogate-Control"] == "max-age=60"
    assert "front" in response["Surrogate-Key"].split()


def test_front_page_refuses_post(client):
    assert client.post(FRONT).status_code == 405


def test_region_strip_names_every_region_even_without_fresh_stories(client):
    quiet = make_region(name="Antarctica", slug="antarctica")
    busy = make_region(name="Europe", slug="europe")
    make_article(headline="Lead story", regions=[busy])
    make_article(headline="Older Europe story", regions=[busy])
    context = client.get(FRONT).context
    blocks = dict(context["region_blocks"])
    assert blocks[quiet] == []
    body = client.get(FRONT).content.decode()
    assert "All news from Antarctica" in body


def test_latest_list_shows_date_for_older_stories(client):
    for _ in range(5):  # the lead and the top stories
        make_article()
    make_article(published_at=timezone.now() - timedelta(days=3))
    body = client.get(FRONT).content.decode()
    older = timezone.localtime(timezone.now() - timedelta(days=3))
    assert f"{older.day} {older:%b}</time>" in body
