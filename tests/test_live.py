"""Live coverage (live/): editors' live page, what readers see on the
story's page and in the fragment its script polls, caching and purging,
structured data and the "Live" label on cards."""

import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from live.models import LiveCoverage, LiveUpdate

from .factories import make_article, make_image

pytestmark = pytest.mark.django_db

LIVE_ADMIN = "/admin/live/liveupdate/"


def live_story(**overrides):
    story = make_article(headline="Floods in Sindh", **overrides)
    LiveCoverage.objects.create(article=story)
    return story


def publish(story, text: str, **fields) -> LiveUpdate:
    return LiveUpdate.objects.create(
        article=story, text=text, status=LiveUpdate.Status.PUBLISHED, **fields
    )


def reader_page(story) -> str:
    return Client().get(story.get_absolute_url()).content.decode()


def fragment_url(story) -> str:
    return f"/live/{story.pk}/"


def structured(page: str) -> list[dict]:
    blocks = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', page, re.S
    )
    return [json.loads(block) for block in blocks]


def test_writer_drafts_an_update_readers_see_once_an_editor_publishes_it(
    client, writer, editor
):
    story = live_story()
    client.force_login(writer)
    page = client.get(f"{LIVE_ADMIN}?story={story.pk}")
    assert page.status_code == 200
    assert "Publish update" not in page.text  # Writers only save drafts.
    response = client.post(
        f"{LIVE_ADMIN}?story={story.pk}",
        {"text": "Water reaches Draft marker DRF1", "_publish": "1"},
    )
    assert response.status_code == 302
    update = LiveUpdate.objects.get()
    assert update.status == LiveUpdate.Status.DRAFT
    assert update.created_by == writer
    assert "Draft marker DRF1" not in reader_page(story)
    assert "Draft marker DRF1" not in Client().get(fragment_url(story)).text

    client.force_login(editor)
    page = client.get(f"{LIVE_ADMIN}?story={story.pk}")
    assert "Draft marker DRF1" in page.text
    client.post(f"{LIVE_ADMIN}?story={story.pk}", {"publish": str(update.pk)})
    update.refresh_from_db()
    assert update.status == LiveUpdate.Status.PUBLISHED
    assert "Draft marker DRF1" in reader_page(story)


def test_writer_cannot_publish_a_draft_from_the_live_page(writer_client):
    story = live_story()
    update = LiveUpdate.objects.create(article=story, text="Still a draft")
    response = writer_client.post(
        f"{LIVE_ADMIN}?story={story.pk}", {"publish": str(update.pk)}
    )
    assert response.status_code == 403
    update.refresh_from_db()
    assert update.status == LiveUpdate.Status.DRAFT


def test_editor_posts_an_update_in_one_form(editor_client):
    story = live_story()
    image = make_image(alt_text="Boats on a flooded road")
    response = editor_client.post(
        f"{LIVE_ADMIN}?story={story.pk}",
        {
            "text": "Rescue boats <script>alert(1)</script>reach Posted marker PST1",
            "is_key_point": "on",
            "image": image.pk,
            "embed_url": "https://youtu.be/abcdefghijk",
            "_publish": "1",
        },
        follow=True,
    )
    assert "The update is published." in response.text
    page = reader_page(story)
    assert "Posted marker PST1" in page
    assert "alert(1)" not in page
    assert 'alt="Boats on a flooded road"' in page
    assert "https://www.youtube-nocookie.com/embed/abcdefghijk" in page


def test_an_embed_from_another_site_is_refused(editor_client):
    story = live_story()
    response = editor_client.post(
        f"{LIVE_ADMIN}?story={story.pk}",
        {"text": "A video", "embed_url": "https://example.com/v/1", "_publish": "1"},
    )
    assert response.status_code == 200
    assert "Only YouTube and Vimeo addresses can be embedded." in response.text
    assert not LiveUpdate.objects.exists()


def test_bad_story_parameter_is_404_not_500(editor_client):
    assert editor_client.get(f"{LIVE_ADMIN}?story=abc").status_code == 404
    assert editor_client.get(f"{LIVE_ADMIN}?story=999999").status_code == 404
    assert Client().get("/live/999999/").status_code == 404


def test_story_form_links_to_its_live_page(editor_client):
    story = make_article()
    page = editor_client.get(f"/admin/articles/article/{story.pk}/change/").text
    assert f'href="{LIVE_ADMIN}?story={story.pk}"' in page


def test_updates_newest_first_key_points_on_top_each_with_its_anchor():
    story = live_story()
    now = timezone.now()
    first = publish(story, "First marker ONE", published_at=now.replace(hour=1))
    key = publish(
        story, "Key marker KEY", is_key_point=True, published_at=now.replace(hour=2)
    )
    third = publish(story, "Third marker THR", published_at=now.replace(hour=3))
    page = reader_page(story)
    assert (
        page.index("Key marker KEY")
        < page.index("Third marker THR")
        < page.index("First marker ONE")
    )
    for update in (first, key, third):
        assert f'id="update-{update.pk}"' in page
        assert f'href="{story.get_absolute_url()}#update-{update.pk}"' in page
    assert "Key point" in page


def test_ended_coverage_says_so_and_stops_polling(editor_client):
    story = live_story()
    publish(story, "Last marker LST")
    page = reader_page(story)
    assert "This coverage has ended" not in page
    assert "data-live-url" in page
    editor_client.post(f"{LIVE_ADMIN}?story={story.pk}", {"_end": "1"})
    page = reader_page(story)
    assert "This coverage has ended" in page
    assert "Last marker LST" in page
    assert "data-live-url" not in page


def test_a_story_without_coverage_shows_no_live_section():
    story = make_article()
    page = reader_page(story)
    assert 'id="live"' not in page and "LiveBlogPosting" not in page


def test_deleted_or_unpublished_update_disappears(editor_client):
    story = live_story()
    gone = publish(story, "Deleted marker DEL")
    withdrawn = publish(story, "Withdrawn marker WTH")
    assert "Deleted marker DEL" in reader_page(story)
    assert "Withdrawn marker WTH" in reader_page(story)

    response = editor_client.post(
        f"{LIVE_ADMIN}{gone.pk}/delete/?_changelist_filters=story%3D{story.pk}",
        {"post": "yes"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?story={story.pk}")
    editor_client.post(
        f"{LIVE_ADMIN}{withdrawn.pk}/change/",
        {"text": withdrawn.text, "status": "draft", "embed_url": ""},
    )
    withdrawn.refresh_from_db()
    assert withdrawn.status == LiveUpdate.Status.DRAFT
    page = reader_page(story)
    assert "Deleted marker DEL" not in page
    assert "Withdrawn marker WTH" not in page


def test_correcting_an_update_shows_the_correction(editor_client):
    story = live_story()
    update = publish(story, "Toll rises to 12")
    assert "Toll rises to 12" in reader_page(story)
    response = editor_client.post(
        f"{LIVE_ADMIN}{update.pk}/change/?_changelist_filters=story%3D{story.pk}",
        {
            "text": "Toll rises to 21 (corrected)",
            "status": "published",
            "published_at_0": timezone.localtime(update.published_at).strftime(
                "%Y-%m-%d"
            ),
            "published_at_1": timezone.localtime(update.published_at).strftime(
                "%H:%M:%S"
            ),
            "embed_url": "",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?story={story.pk}")
    page = reader_page(story)
    assert "Toll rises to 21 (corrected)" in page
    assert "Toll rises to 12<" not in page


def test_fragment_is_cacheable_and_purged_by_a_new_update(client):
    story = live_story()
    publish(story, "Cached marker CCH")
    url = fragment_url(story)
    first = client.get(url)
    assert first.status_code == 200
    assert "Cached marker CCH" in first.text
    assert "<html" not in first.text  # A fragment, not a page.
    assert f"s{story.pk}" in first["Surrogate-Key"].split()
    max_age = int(re.search(r"max-age=(\d+)", first["Cache-Control"]).group(1))
    assert first["Cache-Control"].startswith("public")
    assert 0 < max_age <= 10
    assert client.get(url)["X-Page-Cache"] == "hit"
    assert client.get(story.get_absolute_url())["X-Page-Cache"] == "miss"
    assert client.get(story.get_absolute_url())["X-Page-Cache"] == "hit"

    publish(story, "Fresh marker FRS")
    again = client.get(url)
    assert again["X-Page-Cache"] == "miss"
    assert "Fresh marker FRS" in again.text
    page = client.get(story.get_absolute_url())
    assert page["X-Page-Cache"] == "miss"
    assert "Fresh marker FRS" in page.text


def test_draft_story_has_no_public_fragment():
    story = live_story(status="draft")
    publish(story, "Secret marker SCR")
    response = Client().get(fragment_url(story))
    assert response.status_code == 404
    assert "Secret marker SCR" not in response.text


def test_live_blog_posting_structured_data(editor_client):
    story = live_story()
    update = publish(story, "<p>Army called in.</p><p>Roads closed.</p>")
    data = structured(reader_page(story))
    live = next(item for item in data if item["@type"] == "LiveBlogPosting")
    assert live["coverageStartTime"] == story.live_coverage.started_at.isoformat()
    assert "coverageEndTime" not in live
    [posting] = live["liveBlogUpdate"]
    assert posting["@type"] == "BlogPosting"
    assert posting["articleBody"] == "Army called in. Roads closed."
    assert posting["url"].endswith(f"#update-{update.pk}")
    assert any(item["@type"] == "NewsArticle" for item in data)

    editor_client.post(f"{LIVE_ADMIN}?story={story.pk}", {"_end": "1"})
    live = next(
        item
        for item in structured(reader_page(story))
        if item["@type"] == "LiveBlogPosting"
    )
    story.live_coverage.refresh_from_db()
    assert live["coverageEndTime"] == story.live_coverage.ended_at.isoformat()


def card_of(page: str, headline: str) -> str:
    start = page.rindex('<article class="card', 0, page.index(headline))
    return page[start : page.index("</article>", start)]


def test_front_page_cards_mark_live_stories_until_coverage_ends(editor_client):
    story = make_article(headline="Live card marker LCM")
    other = make_article(headline="Quiet card marker QCM")
    reader = Client()
    page = reader.get("/").text
    assert 'label--live">Live<' not in card_of(page, "Live card marker LCM")

    editor_client.post(f"{LIVE_ADMIN}?story={story.pk}", {"_start": "1"})
    page = reader.get("/").text
    assert 'label--live">Live<' in card_of(page, "Live card marker LCM")
    assert 'label--live">Live<' not in card_of(page, "Quiet card marker QCM")
    section = reader.get(story.section.get_absolute_url()).text
    assert 'label--live">Live<' in card_of(section, "Live card marker LCM")

    editor_client.post(f"{LIVE_ADMIN}?story={story.pk}", {"_end": "1"})
    page = reader.get("/").text
    assert 'label--live">Live<' not in card_of(page, "Live card marker LCM")
    assert other.pk


def test_demo_has_a_live_story_marked_live_on_the_front_page(demo_media):
    from io import StringIO

    from django.core.management import call_command

    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())  # Idempotent.
    coverage = LiveCoverage.objects.get(article__slug="monsoon-floods-sindh-live")
    story = coverage.article
    assert coverage.ended_at is None
    updates = LiveUpdate.objects.filter(article=story).published()
    assert updates.count() >= 5
    assert updates.filter(is_key_point=True).count() == 1
    page = reader_page(story)
    key = updates.get(is_key_point=True)
    newest = updates.filter(is_key_point=False).order_by("-published_at").first()
    oldest = updates.filter(is_key_point=False).order_by("published_at").first()
    assert page.index(f'id="update-{key.pk}"') < page.index(f'id="update-{newest.pk}"')
    assert page.index(f'id="update-{newest.pk}"') < page.index(
        f'id="update-{oldest.pk}"'
    )
    front = Client().get("/").text
    assert 'label--live">Live<' in card_of(front, story.headline)


def test_a_live_storys_feed_item_lists_its_published_updates():
    import xml.etree.ElementTree as ET

    story = live_story()
    quiet = make_article(headline="Quiet story")
    publish(story, "Feed marker FDM")
    LiveUpdate.objects.create(article=story, text="Draft feed marker DFM")
    root = ET.fromstring(Client().get("/feed/").content)
    descriptions = {
        item.findtext("title"): item.findtext("description")
        for item in root.findall("./channel/item")
    }
    assert "<li>" in descriptions["Floods in Sindh"]
    assert "Feed marker FDM" in descriptions["Floods in Sindh"]
    assert "Draft feed marker DFM" not in descriptions["Floods in Sindh"]
    assert descriptions[quiet.headline] == quiet.standfirst

    publish(story, "Second feed marker SFM")
    root = ET.fromstring(Client().get("/feed/").content)
    assert any(
        "Second feed marker SFM" in item.findtext("description")
        for item in root.findall("./channel/item")
    )


@pytest.mark.parametrize("story", ["abc", "", "-1", "99999999999999999999999", "１２"])
def test_hostile_story_parameters_are_refused(editor_client, story):
    # 400 from the hostile-input guard for absurd numbers, 404 otherwise.
    response = editor_client.get(LIVE_ADMIN, {"story": story})
    assert response.status_code in (400, 404)


def test_hostile_publish_parameter_is_404_and_changes_nothing(editor_client):
    story = live_story()
    draft = LiveUpdate.objects.create(article=story, text="Draft")
    for value in ("abc", "99999999999999999999999", str(draft.pk + 1000)):
        response = editor_client.post(
            f"{LIVE_ADMIN}?story={story.pk}", {"publish": value}
        )
        assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.status == LiveUpdate.Status.DRAFT


def test_writer_cannot_open_the_live_page_of_another_writers_draft(
    client, writer, other_writer
):
    theirs = make_article(status="draft", created_by=other_writer)
    mine = make_article(status="draft", created_by=writer)
    client.force_login(writer)
    assert client.get(f"{LIVE_ADMIN}?story={theirs.pk}").status_code == 404
    assert client.get(f"{LIVE_ADMIN}?story={mine.pk}").status_code == 200


def test_readers_cannot_open_the_live_page():
    story = live_story()
    response = Client().get(f"{LIVE_ADMIN}?story={story.pk}")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("count", [3, 30])
def test_front_page_query_count_does_not_grow_with_live_stories(
    client, django_assert_max_num_queries, count
):
    for _ in range(count):
        live_story()
    # The same 8 queries as without live stories (test_front_page.py): the
    # "Live" label is a subquery of the stories' queries.
    with django_assert_max_num_queries(8):
        page = client.get("/").text
    assert page.count('label--live">Live<') >= 3


@pytest.mark.parametrize("count", [1, 10])
def test_live_story_page_query_count_is_fixed(
    client, django_assert_max_num_queries, settings, count
):
    story = live_story()
    image = make_image()
    for n in range(count):
        publish(story, f"Update {n}", image=image)
    client.get(story.get_absolute_url())
    settings.PAGE_CACHE_SECONDS = 0
    # The story with its coverage, its bylines, regions and tags, and its
    # updates with their pictures.
    with django_assert_max_num_queries(3):
        page = client.get(story.get_absolute_url()).text
    assert page.count("data-update=") == count
    with django_assert_max_num_queries(2):
        assert client.get(fragment_url(story)).text.count("data-update=") == count


def test_writer_cannot_add_an_update_to_another_writers_draft(
    client, writer, other_writer
):
    theirs = make_article(status="draft", created_by=other_writer)
    client.force_login(writer)
    response = client.post(
        f"{LIVE_ADMIN}add/", {"article": theirs.pk, "text": "Sneaked in"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not LiveUpdate.objects.exists()
