"""The editors' desk (issue 18): one published story per front-page rank,
no accidental deletion of related records from the story form, the admin's
names, icon and time zone as the newsroom sees them."""

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from articles.models import Article

from .factories import make_article, make_author, make_section, make_source
from .test_admin import ADD, CHANGELIST, story_form
from .test_workflow import (
    FRONT,
    change_url,
    edit_form,
    publish_fields,
    rank_formset,
    run_action,
)

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")


def published_form(story: Article, **overrides) -> dict:
    """The change form of a published story as an editor posts it."""
    return edit_form(story, **publish_fields(story.published_at)) | overrides


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# One published story per front-page rank


def test_pinning_a_new_lead_unpins_the_old_one_and_says_so(editor_client, client):
    old = make_article(headline="Old lead", front_page_rank=1)
    new = make_article(headline="New lead")

    response = editor_client.post(
        change_url(new), published_form(new, front_page_rank="1"), follow=True
    )

    assert "“Old lead” was at 1 on the front page; it is no longer pinned." in (
        messages_of(response)
    )
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.front_page_rank, new.front_page_rank) == (None, 1)
    assert client.get(FRONT).context["lead"] == new
    # The old lead's history says why it moved.
    entry = LogEntry.objects.filter(object_id=str(old.pk)).get()
    assert "“New lead” took rank 1" in entry.get_change_message()


def test_a_free_rank_unpins_nothing(editor_client):
    lead = make_article(headline="Lead stays", front_page_rank=1)
    other = make_article(headline="Second story")

    response = editor_client.post(
        change_url(other), published_form(other, front_page_rank="2"), follow=True
    )

    assert not [m for m in messages_of(response) if "no longer pinned" in m]
    lead.refresh_from_db()
    other.refresh_from_db()
    assert (lead.front_page_rank, other.front_page_rank) == (1, 2)


def test_a_draft_may_hold_a_rank_and_takes_it_when_published(editor_client):
    lead = make_article(headline="Live lead", front_page_rank=1)
    draft = make_article(
        headline="Pinned draft",
        status=Article.Status.DRAFT,
        published_at=None,
        front_page_rank=1,
    )
    lead.refresh_from_db()
    assert lead.front_page_rank == 1  # drafts do not count

    response = run_action(editor_client, "publish_stories", [draft])

    page = response.content.decode()
    assert "1 story published." in page
    assert "“Live lead” was at 1 on the front page; it is no longer pinned." in page
    lead.refresh_from_db()
    draft.refresh_from_db()
    assert (lead.front_page_rank, draft.front_page_rank) == (None, 1)


def test_the_database_refuses_two_published_stories_at_one_rank():
    make_article(front_page_rank=1)
    other = make_article()
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=other.pk).update(front_page_rank=1)
    # Withdrawn and draft stories keep their number without clashing.
    make_article(status=Article.Status.WITHDRAWN, front_page_rank=1)
    make_article(status=Article.Status.DRAFT, published_at=None, front_page_rank=1)


def test_a_rank_taken_by_another_editor_meanwhile_is_a_form_error(editor_client):
    """Two editors at once: the other's save took the rank between this
    form's check and its save. The database refuses; the form says so and
    keeps what was typed, instead of a 500."""
    rival = make_article(headline="Rival lead", front_page_rank=1)
    story = make_article(headline="My story")
    data = published_form(story, headline="My story, rewritten", front_page_rank="1")

    with mock.patch.object(Article, "take_front_page_rank", return_value=[]):
        response = editor_client.post(change_url(story), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "another editor put “Rival lead” at 1 on the front page" in page
    assert "My story, rewritten" in page  # what was typed is still there
    story.refresh_from_db()
    rival.refresh_from_db()
    assert story.headline == "My story"
    assert rival.front_page_rank == 1

    # Saving again takes the rank, as the error promised.
    response = editor_client.post(change_url(story), data, follow=True)
    assert "“Rival lead” was at 1 on the front page; it is no longer pinned." in (
        messages_of(response)
    )
    story.refresh_from_db()
    assert (story.headline, story.front_page_rank) == ("My story, rewritten", 1)


def test_a_new_story_added_at_a_held_rank_takes_it(editor_client):
    old = make_article(headline="Yesterday's lead", front_page_rank=1)
    response = editor_client.post(
        ADD, story_form(make_section(), front_page_rank="1"), follow=True
    )
    assert "“Yesterday's lead” was at 1 on the front page; it is no longer pinned." in (
        messages_of(response)
    )
    old.refresh_from_db()
    assert old.front_page_rank is None
    assert Article.objects.get(slug="floods-reach-sindh").front_page_rank == 1


def test_swapping_two_ranks_in_the_list_unpins_nobody(editor_client):
    first = make_article(headline="First", front_page_rank=1)
    second = make_article(headline="Second", front_page_rank=2)

    response = editor_client.post(
        CHANGELIST, rank_formset([(first, "2"), (second, "1")]), follow=True
    )

    assert not [m for m in messages_of(response) if "no longer pinned" in m]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.front_page_rank, second.front_page_rank) == (2, 1)


def test_pinning_from_the_list_names_the_story_it_unpins(editor_client):
    make_article(headline="Holder", front_page_rank=3)
    newcomer = make_article(headline="Newcomer")
    response = editor_client.post(
        CHANGELIST, rank_formset([(newcomer, "3")]), follow=True
    )
    assert "“Holder” was at 3 on the front page; it is no longer pinned." in (
        response.content.decode()
    )


def test_one_list_save_cannot_give_two_stories_one_rank(editor_client):
    first = make_article(headline="Alpha story")
    second = make_article(headline="Beta story")

    response = editor_client.post(
        CHANGELIST, rank_formset([(first, "1"), (second, "1")])
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "cannot both be at 1 on the front page" in page
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.front_page_rank, second.front_page_rank) == (None, None)


def test_a_rank_clash_in_the_list_is_a_message_not_a_500(editor_client):
    make_article(headline="Holds one", front_page_rank=1)
    story = make_article(headline="Wants one")
    with mock.patch.object(Article, "take_front_page_rank", return_value=[]):
        response = editor_client.post(
            CHANGELIST, rank_formset([(story, "1")]), follow=True
        )
    assert response.status_code == 200
    assert "Another editor changed the front page while you were saving" in (
        response.content.decode()
    )
    story.refresh_from_db()
    assert story.front_page_rank is None


def test_load_demo_takes_its_ranks_from_stories_pinned_since(demo_media):
    pinned = make_article(headline="Pinned by an editor", front_page_rank=1)
    pinned_urdu = make_article(
        headline="ایڈیٹر کی منتخب خبر", language="ur", front_page_rank=1
    )
    call_command("load_demo", stdout=StringIO())
    pinned.refresh_from_db()
    pinned_urdu.refresh_from_db()
    assert pinned.front_page_rank is None
    assert pinned_urdu.front_page_rank is None
    # Each language's front page has one lead.
    leads = Article.objects.filter(status="published", front_page_rank=1)
    assert sorted(leads.values_list("language", flat=True)) == ["en", "ur"]


# The story form's related records: add and change, never delete


def test_story_form_offers_no_delete_links_for_related_records(editor_client):
    make_author()
    make_source()
    story = make_article()
    page = editor_client.get(change_url(story)).content.decode()
    assert "delete-related" not in page
    assert 'id="delete_id_section"' not in page
    assert 'id="delete_id_source"' not in page
    # The pencil and plus stay: an editor can still add or fix a section.
    assert 'id="change_id_section"' in page
    assert 'id="add_id_section"' in page
    assert 'id="add_id_source"' in page
    assert 'id="add_id_bylines-__prefix__-author"' in page


def test_other_admin_forms_keep_their_delete_links(editor_client):
    # The rule is the story form's: Django's default elsewhere (the author
    # form's photo) shows that the check above could fail.
    author = make_author()
    page = editor_client.get(
        reverse("admin:articles_author_change", args=[author.pk])
    ).content.decode()
    assert 'id="delete_id_photo"' in page


# Names, icon


def test_dashboard_speaks_of_stories_and_tags(editor_client):
    page = editor_client.get(INDEX).content.decode()
    assert ">Stories</a>" in page
    assert ">Tags</a>" in page
    assert "Taggit" not in page
    assert ">Newsroom</a>" in page  # the stories' app keeps its own name
    assert "<title>Select story to change" in (
        editor_client.get(CHANGELIST).content.decode()
    )
    assert "<title>Add story" in editor_client.get(ADD).content.decode()


@pytest.mark.parametrize("url", [INDEX, CHANGELIST, reverse("admin:login")])
def test_admin_pages_name_the_site_icon(client, editor, url):
    if url != reverse("admin:login"):
        client.force_login(editor)
    response = client.get(url, follow=True)
    page = response.content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in (
        page
    )


# Times


def test_story_form_names_the_time_zone_once(editor_client):
    page = editor_client.get(change_url(make_article())).content.decode()
    assert page.count("Times are Pakistan time (PKT)") == 1
    # Django's per-box warning is hidden by the stylesheet every admin page links.
    assert 'href="/static/css/admin.css"' in page


def test_action_bar_uses_the_story_forms_date_and_time_boxes(editor_client):
    make_article()
    page = editor_client.get(CHANGELIST).content.decode()
    assert 'type="datetime-local"' not in page
    assert 'name="when_0" class="vDateField"' in page
    assert 'name="when_1" class="vTimeField"' in page
    assert "admin/js/admin/DateTimeShortcuts.js" in page
    assert "Time (PKT)" in page


def test_action_bar_time_schedules_and_refuses_nonsense(editor_client):
    story = make_article(status=Article.Status.DRAFT, published_at=None)
    response = run_action(
        editor_client, "schedule_stories", [story], "31/31/2026 25:99"
    )
    assert response.status_code == 200
    assert "The “Time” box needs a date (YYYY-MM-DD)" in response.content.decode()
    story.refresh_from_db()
    assert story.status == Article.Status.DRAFT

    later = timezone.localtime() + timedelta(days=1)
    response = run_action(
        editor_client, "schedule_stories", [story], later.strftime("%Y-%m-%d %H:%M")
    )
    assert later.strftime("scheduled for %d %b %Y %H:%M") in response.content.decode()
    story.refresh_from_db()
    assert story.published_at == later.replace(second=0, microsecond=0)
