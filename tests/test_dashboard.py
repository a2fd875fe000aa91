"""The desk, the admin's first page (issue 18): what writers and editors
see there, its links to stories and to the filtered story list, and the
story list's filters and columns those links rely on."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ArticleNote

from .factories import make_article, make_section
from .test_admin import CHANGELIST
from .test_workflow import change_url, edit_form

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")

# 05 Jan 2030, 09:00 and 10:30 UTC: 14:00 and 15:30 Pakistan time.
GOES_LIVE = datetime(2030, 1, 5, 9, 0, tzinfo=UTC)
EXPIRES = datetime(2030, 1, 5, 10, 30, tzinfo=UTC)


def panel(page: str, name: str) -> str:
    """The HTML of one panel of the desk (empty when it is not there)."""
    found = re.search(rf'<section[^>]*id="desk-{name}".*?</section>', page, re.S)
    return found.group(0) if found else ""


def link(url: str, text: str) -> str:
    return f'<a href="{url}">{text}</a>'


def rows(client, query: str) -> list[str]:
    """The headlines the story list shows at CHANGELIST?query."""
    response = client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200
    return [story.headline for story in response.context["cl"].result_list]


def desk_of_every_kind(writer, other_writer) -> dict:
    return {
        "review": make_article(
            headline="Choir returns from Karachi",
            status=Article.Status.REVIEW,
            published_at=None,
            created_by=writer,
            section=make_section(name="Culture"),
        ),
        "draft": make_article(
            headline="Other writer's draft",
            status=Article.Status.DRAFT,
            published_at=None,
            created_by=other_writer,
        ),
        "scheduled": make_article(headline="Budget speech", published_at=GOES_LIVE),
        "breaking": make_article(
            headline="Storm nears the coast", is_breaking=True, breaking_until=EXPIRES
        ),
        "lead": make_article(headline="Election results", front_page_rank=1),
    }


# What an editor sees


def test_editor_desk_lists_each_panel_with_a_link_to_each_story(
    editor_client, writer, other_writer
):
    stories = desk_of_every_kind(writer, other_writer)
    ArticleNote.objects.create(
        article=stories["lead"],
        kind=ArticleNote.Kind.CORRECTION,
        text="An earlier version gave the wrong turnout.",
    )
    page = editor_client.get(INDEX).content.decode()

    assert "<h1>Your desk</h1>" in page
    review = panel(page, "review")
    assert "<h2" in review and "Waiting for review</h2>" in review
    assert link(change_url(stories["review"]), "Choir returns from Karachi") in review
    assert "Writer, Culture; last saved" in review
    assert link(f"{CHANGELIST}?review=needed", "All 1 in review →") in review
    assert "Other writer" not in review  # a draft is not for review

    breaking = panel(page, "breaking")
    assert link(change_url(stories["breaking"]), "Storm nears the coast") in breaking
    assert "Breaking until 05 Jan 15:30" in breaking
    assert link(f"{CHANGELIST}?front_page=breaking", "All 1 breaking →") in breaking

    scheduled = panel(page, "scheduled")
    assert link(change_url(stories["scheduled"]), "Budget speech") in scheduled
    assert "Goes live 05 Jan 14:00" in scheduled
    assert link(f"{CHANGELIST}?publication=scheduled", "All 1 scheduled →") in (
        scheduled
    )

    front = panel(page, "front-page")
    assert link(change_url(stories["lead"]), "Election results") in front
    assert "Lead, pinned at 1" in front
    assert "Top story 1, newest" in front
    assert "Budget speech" not in front  # not live yet

    corrections = panel(page, "corrections")
    assert link(change_url(stories["lead"]), "Election results") in corrections
    assert "Correction, " in corrections
    assert "An earlier version gave the wrong turnout." in corrections
    assert "All 1 corrected story →" in corrections

    assert "Times are Pakistan time (PKT)." in page
    assert not panel(page, "sent-back") and not panel(page, "drafts")


def test_editor_desk_says_when_a_panel_is_empty(editor_client):
    page = editor_client.get(INDEX).content.decode()
    for name, empty in [
        ("review", "Nothing waiting for review."),
        ("breaking", "No breaking news."),
        ("scheduled", "Nothing scheduled."),
        ("front-page", "No published stories yet."),
        ("corrections", "No corrections or updates yet."),
    ]:
        assert empty in panel(page, name), name
    assert "All " not in page


def test_breaking_news_panel_leaves_out_expired_and_unpublished_stories(
    editor_client,
):
    make_article(headline="Flag with no expiry", is_breaking=True)
    make_article(
        headline="Expired flag",
        is_breaking=True,
        breaking_until=timezone.now() - timedelta(minutes=5),
    )
    make_article(
        headline="Withdrawn flag", is_breaking=True, status=Article.Status.WITHDRAWN
    )
    make_article(
        headline="Breaking when it goes live",
        is_breaking=True,
        published_at=GOES_LIVE,
    )
    breaking = panel(editor_client.get(INDEX).content.decode(), "breaking")
    assert "Flag with no expiry" in breaking
    assert "Breaking, no expiry" in breaking
    assert "Breaking, no expiry; goes live 05 Jan 14:00" in breaking
    assert "Expired flag" not in breaking
    assert "Withdrawn flag" not in breaking
    assert "All 2 breaking →" in breaking


def test_the_desks_links_lead_to_lists_of_exactly_its_stories(
    editor_client, writer, other_writer
):
    desk_of_every_kind(writer, other_writer)
    make_article(headline="Long gone storm", is_breaking=True, breaking_until=GOES_LIVE)
    make_article(
        headline="Expired storm",
        is_breaking=True,
        breaking_until=timezone.now() - timedelta(hours=1),
    )
    assert rows(editor_client, "review=needed") == ["Choir returns from Karachi"]
    assert rows(editor_client, "publication=scheduled") == ["Budget speech"]
    assert set(rows(editor_client, "front_page=breaking")) == {
        "Storm nears the coast",
        "Long gone storm",
    }
    assert rows(editor_client, "front_page=pinned") == ["Election results"]


def test_administrator_keeps_the_list_of_everything_under_the_panels(
    client, administrator
):
    client.force_login(administrator)
    page = client.get(INDEX).content.decode()
    assert "Nothing waiting for review." in page
    assert ">Users</a>" in page and ">Stories</a>" in page
    assert page.index("Nothing waiting for review.") < page.index(">Users</a>")


# What a writer sees


def test_writer_desk_shows_own_stories_and_no_editors_panels(
    writer_client, writer, other_writer
):
    stories = desk_of_every_kind(writer, other_writer)
    own_draft = make_article(
        headline="My draft on the floods",
        status=Article.Status.DRAFT,
        published_at=None,
        created_by=writer,
    )
    page = writer_client.get(INDEX).content.decode()

    drafts = panel(page, "drafts")
    assert link(change_url(own_draft), "My draft on the floods") in drafts
    assert link(f"{CHANGELIST}?mine=yes&amp;status__exact=draft", "All 1 draft →") in (
        drafts
    )
    waiting = panel(page, "waiting")
    assert link(change_url(stories["review"]), "Choir returns from Karachi") in waiting
    assert "All 1 in review →" in waiting
    assert "Nothing sent back to you." in panel(page, "sent-back")

    # Not the other writer's draft, nor the editors' panels and stories.
    assert "Other writer&#x27;s draft" not in page
    for name in ["review", "breaking", "scheduled", "front-page", "corrections"]:
        assert not panel(page, name), name
    assert "Storm nears the coast" not in page
    assert "Waiting for review" not in page


def test_writer_desk_says_when_a_panel_is_empty(writer_client):
    page = writer_client.get(INDEX).content.decode()
    assert "Nothing sent back to you." in panel(page, "sent-back")
    assert "No drafts." in panel(page, "drafts")
    assert "None of your stories is in review." in panel(page, "waiting")
    assert "All " not in page


def test_a_story_an_editor_sends_back_is_sent_back_until_the_writer_saves_it(
    client, writer, editor
):
    story = make_article(
        headline="Church roof repaired",
        status=Article.Status.DRAFT,
        published_at=None,
        created_by=writer,
    )
    client.force_login(writer)
    assert client.post(change_url(story), edit_form(story)).status_code == 302
    assert "Nothing sent back" in client.get(INDEX).content.decode()
    client.post(change_url(story), edit_form(story, status="review"))

    # The editor sends it back: from "In review" to "Draft".
    client.force_login(editor)
    response = client.post(change_url(story), edit_form(story, status="draft"))
    assert response.status_code == 302

    client.force_login(writer)
    back = panel(client.get(INDEX).content.decode(), "sent-back")
    assert link(change_url(story), "Church roof repaired") in back
    story.refresh_from_db()
    assert "Sent back by Editor, " in back
    assert link(f"{CHANGELIST}?mine=sent_back", "All 1 sent back →") in back
    assert rows(client, "mine=sent_back") == ["Church roof repaired"]

    # The writer works on it again: a plain draft.
    client.post(change_url(story), edit_form(story, headline="Church roof mended"))
    page = client.get(INDEX).content.decode()
    assert "Nothing sent back to you." in panel(page, "sent-back")
    assert "Church roof mended" in panel(page, "drafts")
    assert rows(client, "mine=sent_back") == []


def test_an_editors_change_to_a_draft_never_in_review_is_not_a_sending_back(
    client, writer, editor
):
    story = make_article(
        headline="Notes on the synod",
        status=Article.Status.DRAFT,
        published_at=None,
        created_by=writer,
    )
    client.force_login(writer)
    client.post(change_url(story), edit_form(story))
    client.force_login(editor)
    client.post(change_url(story), edit_form(story, headline="Notes on the synod!"))
    client.force_login(writer)
    page = client.get(INDEX).content.decode()
    assert "Nothing sent back to you." in panel(page, "sent-back")
    assert "Notes on the synod!" in panel(page, "drafts")


# Queries


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INDEX).status_code == 200
    return len(queries)


def stories_for_every_panel(writer, number: int) -> None:
    section = make_section()
    for _ in range(number):
        for fields in [
            {"status": Article.Status.REVIEW, "published_at": None},
            {"status": Article.Status.DRAFT, "published_at": None},
            {"published_at": GOES_LIVE},
            {"is_breaking": True, "breaking_until": EXPIRES},
            {},
        ]:
            story = make_article(section=section, created_by=writer, **fields)
            ArticleNote.objects.create(
                article=story, kind=ArticleNote.Kind.UPDATE, text="More."
            )


@pytest.mark.parametrize("persona", ["editor", "writer"])
def test_desk_queries_do_not_grow_with_the_number_of_stories(
    client, writer, editor, persona
):
    client.force_login(editor if persona == "editor" else writer)
    stories_for_every_panel(writer, 2)
    make_article(front_page_rank=1)
    client.get(INDEX)  # the first request of a session loads more
    few = count_queries(client)
    stories_for_every_panel(writer, 12)
    many = count_queries(client)
    # Expect, beyond the session, the user and their permissions: for
    # editors one query for the counts and one for each of six panels (a
    # front page per language), for writers one for the counts and one for
    # each of three.
    assert many == few
    assert many <= (13 if persona == "editor" else 10)
    page = client.get(INDEX).content.decode()
    assert "All 14 " in page


def test_editor_desk_shows_each_languages_front_page(editor_client):
    english = make_article(headline="Election results", front_page_rank=1)
    urdu = make_article(headline="انتخابی نتائج", language="ur", front_page_rank=1)
    page = editor_client.get(INDEX).content.decode()

    front = panel(page, "front-page")
    assert link(change_url(english), "Election results") in front
    assert "انتخابی نتائج" not in front
    urdu_front = panel(page, "front-page-ur")
    assert "The Urdu front page now" in urdu_front
    assert link(change_url(urdu), "انتخابی نتائج") in urdu_front
    assert "Lead, pinned at 1" in urdu_front
    assert "Election results" not in urdu_front
    more = f"{CHANGELIST}?front_page=pinned&amp;language__exact=ur"
    assert link(more, "All 1 pinned →") in urdu_front
    assert rows(editor_client, "front_page=pinned&language__exact=ur") == [
        "انتخابی نتائج"
    ]


# The story list's filters and columns


def test_my_stories_filter_lists_the_users_own_stories(
    client, writer, other_writer, editor
):
    make_article(headline="Writer's story", created_by=writer)
    make_article(headline="Other writer's story", created_by=other_writer)
    make_article(headline="Editor's story", created_by=editor)
    client.force_login(writer)
    assert rows(client, "mine=yes") == ["Writer's story"]
    assert len(rows(client, "")) == 3  # all published, so all visible
    client.force_login(editor)
    assert rows(client, "mine=yes") == ["Editor's story"]
    page = client.get(CHANGELIST).content.decode()
    assert "My stories</a>" in page and "Sent back to me</a>" in page


def test_needs_my_review_filter_is_for_editors_only(
    client, writer, other_writer, editor
):
    make_article(
        headline="Waiting story",
        status=Article.Status.REVIEW,
        published_at=None,
        created_by=writer,
    )
    make_article(
        headline="Drafted story",
        status=Article.Status.DRAFT,
        published_at=None,
        created_by=writer,
    )
    client.force_login(editor)
    assert "Needs my review</a>" in client.get(CHANGELIST).content.decode()
    assert rows(client, "review=needed") == ["Waiting story"]

    client.force_login(writer)
    assert "Needs my review" not in client.get(CHANGELIST).content.decode()
    assert set(rows(client, "")) == {"Waiting story", "Drafted story"}
    # Nothing to review: the address's filter is ignored, and the list is
    # still only what the writer may see.
    make_article(
        headline="Another writer's review",
        status=Article.Status.REVIEW,
        published_at=None,
        created_by=other_writer,
    )
    assert set(rows(client, "review=needed")) == {"Waiting story", "Drafted story"}


def test_publication_filter_lists_scheduled_and_corrected_stories(editor_client):
    make_article(headline="Live story")
    make_article(headline="Later story", published_at=GOES_LIVE)
    corrected = make_article(headline="Corrected story")
    ArticleNote.objects.create(
        article=corrected, kind=ArticleNote.Kind.CORRECTION, text="Fixed."
    )
    assert rows(editor_client, "publication=scheduled") == ["Later story"]
    assert rows(editor_client, "publication=corrected") == ["Corrected story"]
    assert len(rows(editor_client, "")) == 3


def test_story_list_shows_breaking_expiry_and_scheduled_time(editor_client):
    make_article(headline="Storm", is_breaking=True, breaking_until=EXPIRES)
    make_article(headline="Quake", is_breaking=True)
    make_article(
        headline="Old storm",
        is_breaking=True,
        breaking_until=datetime(2020, 3, 1, 7, 0, tzinfo=UTC),
    )
    make_article(headline="Speech", published_at=GOES_LIVE)
    page = editor_client.get(CHANGELIST).content.decode()
    assert '<td class="field-state">Published, breaking until 05 Jan 15:30</td>' in page
    assert '<td class="field-state">Published, breaking</td>' in page
    assert '<td class="field-state">Published, breaking ended 01 Mar 12:00</td>' in page
    assert '<td class="field-state">Scheduled for 05 Jan 14:00</td>' in page


def test_staff_without_a_newsroom_role_get_no_panels(client, writer):
    make_article(
        headline="Somebody's draft",
        status=Article.Status.DRAFT,
        published_at=None,
        created_by=writer,
    )
    writer.groups.clear()
    client.force_login(writer)
    page = client.get(INDEX).content.decode()
    assert "<h1>Your desk</h1>" in page
    assert 'class="desk-panel' not in page
    assert "Somebody" not in page
