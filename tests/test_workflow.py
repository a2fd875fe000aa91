"""Roles and story states in the admin: writers write and submit, editors
publish, schedule, withdraw and curate. Forged POSTs change nothing."""

from datetime import UTC, timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from articles.roles import ADMINISTRATOR, EDITOR, WRITER

from .factories import make_article, make_section
from .test_admin import ADD, CHANGELIST, inline_management

pytestmark = pytest.mark.django_db

FRONT = reverse("articles:front-page")


def change_url(story: Article) -> str:
    return reverse("admin:articles_article_change", args=[story.pk])


def writer_form(section, **overrides) -> dict:
    """What a writer's story form posts: no publishing fields."""
    data = {
        "headline": "Choir tours Lahore",
        "language": "en",
        "slug": "choir-tours-lahore",
        "standfirst": "Forty voices, six churches.",
        "body": "<p>The tour starts on Monday.</p>",
        "kind": "story",
        "status": "draft",
        "section": section.pk,
    }
    return data | inline_management() | overrides


def edit_form(story: Article, **overrides) -> dict:
    """The change form of an existing story as the admin would post it."""
    loaded = token(story)
    data = writer_form(
        story.section,
        headline=story.headline,
        language=story.language,
        slug=story.slug,
        standfirst=story.standfirst,
        body=story.body,
        status=story.status,
        loaded_modified_at=loaded,
    )
    return data | overrides


def token(story: Article) -> str:
    """The edit-conflict token of the story as it is in the database now."""
    story.refresh_from_db()
    return story.modified_at.astimezone(UTC).isoformat()


def publish_fields(when) -> dict:
    local = timezone.localtime(when)
    return {
        "published_at_0": local.strftime("%Y-%m-%d"),
        "published_at_1": local.strftime("%H:%M:%S"),
    }


def run_action(client, action: str, stories, when: str = ""):
    """Run a list action; `when` ("2026-12-02 14:30") goes in the action
    bar's date and time boxes."""
    day, _, time = when.replace("T", " ").partition(" ")
    return client.post(
        CHANGELIST,
        {
            "action": action,
            "_selected_action": [story.pk for story in stories],
            "index": "0",
            "when_0": day,
            "when_1": time,
        },
        follow=True,
    )


# Groups


def test_migration_creates_the_three_roles():
    writer = Group.objects.get(name=WRITER)
    editor = Group.objects.get(name=EDITOR)
    administrator = Group.objects.get(name=ADMINISTRATOR)

    def codenames(group):
        return set(group.permissions.values_list("codename", flat=True))

    assert {"add_article", "change_article", "add_image"} <= codenames(writer)
    assert "publish_article" not in codenames(writer)
    assert "delete_article" not in codenames(writer)
    assert {"publish_article", "delete_article", "change_section"} <= codenames(editor)
    assert "change_user" not in codenames(editor)
    assert "change_user" in codenames(administrator)


# Writers


def test_writer_starts_a_story_and_submits_it_for_review(client, writer, editor):
    client.force_login(writer)
    section = make_section()
    response = client.post(ADD, writer_form(section, status="review"))
    assert response.status_code == 302
    story = Article.objects.get(slug="choir-tours-lahore")
    assert story.created_by == writer
    assert story.status == Article.Status.REVIEW
    assert story.published_at is None
    assert client.get(story.get_absolute_url()).status_code == 404

    client.force_login(editor)
    listing = client.get(CHANGELIST, {"status__exact": "review"}).content.decode()
    assert "Choir tours Lahore" in listing


def test_writer_status_choices_stop_at_in_review(writer_client):
    response = writer_client.get(ADD)
    choices = [
        value
        for value, _ in response.context["adminform"].form.fields["status"].choices
    ]
    assert choices == ["draft", "review"]
    # Publishing fields are shown as text, not as inputs.
    assert 'name="published_at_0"' not in response.content.decode()
    assert 'name="front_page_rank"' not in response.content.decode()


@pytest.mark.parametrize("status", ["published", "withdrawn"])
def test_writer_forging_a_publishing_status_is_refused(writer_client, status):
    data = writer_form(make_section(), status=status) | publish_fields(timezone.now())
    response = writer_client.post(ADD, data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Article.objects.exists()


def test_writer_forging_a_publication_time_is_refused(writer_client, writer):
    story = make_article(
        status=Article.Status.DRAFT, created_by=writer, published_at=None
    )
    later = timezone.now() + timedelta(days=1)
    data = edit_form(story) | publish_fields(later)
    response = writer_client.post(change_url(story), data)
    assert response.status_code == 200
    assert "Only editors can publish, schedule, withdraw or curate stories" in (
        response.content.decode()
    )
    story.refresh_from_db()
    assert story.published_at is None


@pytest.mark.parametrize(
    "forged",
    [{"front_page_rank": "1"}, {"is_breaking": "on"}, {"significant_update": "on"}],
)
def test_writer_forging_curation_fields_is_refused(writer_client, writer, forged):
    story = make_article(status=Article.Status.DRAFT, created_by=writer)
    data = edit_form(story, headline="Changed by forgery")
    response = writer_client.post(change_url(story), data | forged)
    assert response.status_code == 200
    assert "Only editors can" in response.content.decode()
    story.refresh_from_db()
    assert story.headline != "Changed by forgery"
    assert story.front_page_rank is None
    assert story.is_breaking is False


def test_writer_edits_own_draft(writer_client, writer):
    story = make_article(status=Article.Status.DRAFT, created_by=writer)
    data = edit_form(story, headline="Better headline")
    response = writer_client.post(change_url(story), data)
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.headline == "Better headline"
    assert story.status == Article.Status.DRAFT


def test_writer_cannot_open_or_change_another_writers_draft(
    writer_client, other_writer
):
    story = make_article(
        headline="Other writer's draft",
        status=Article.Status.DRAFT,
        created_by=other_writer,
    )
    response = writer_client.get(change_url(story))
    assert response.status_code == 302  # "does not exist", back to the list
    data = edit_form(story, headline="Hijacked")
    writer_client.post(change_url(story), data)
    story.refresh_from_db()
    assert story.headline == "Other writer's draft"
    listing = writer_client.get(CHANGELIST).content.decode()
    assert "Other writer&#x27;s draft" not in listing


def test_writer_sees_published_stories_but_cannot_change_them(
    writer_client, writer, editor
):
    theirs = make_article(headline="Editor's published story", created_by=editor)
    mine = make_article(headline="My published story", created_by=writer)
    listing = writer_client.get(CHANGELIST).content.decode()
    assert "Editor&#x27;s published story" in listing
    for story in (theirs, mine):
        page = writer_client.get(change_url(story))
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        data = edit_form(story, headline="Rewritten")
        assert writer_client.post(change_url(story), data).status_code == 403
        story.refresh_from_db()
        assert story.headline != "Rewritten"


def test_writer_gets_no_actions_and_forged_actions_do_nothing(writer_client, writer):
    story = make_article(status=Article.Status.REVIEW, created_by=writer)
    page = writer_client.get(CHANGELIST).content.decode()
    assert "publish_stories" not in page
    response = run_action(writer_client, "publish_stories", [story])
    assert response.status_code == 200
    assert "published." not in response.content.decode()
    story.refresh_from_db()
    assert story.status == Article.Status.REVIEW


def test_writer_cannot_delete_stories(writer_client, writer):
    story = make_article(status=Article.Status.DRAFT, created_by=writer)
    url = reverse("admin:articles_article_delete", args=[story.pk])
    assert writer_client.post(url, {"post": "yes"}).status_code == 403
    assert Article.objects.filter(pk=story.pk).exists()


# Editors


def test_editor_publishes_a_writers_story(editor_client, writer):
    story = make_article(
        headline="Choir marker ZZQ",
        status=Article.Status.REVIEW,
        created_by=writer,
        published_at=None,
    )
    assert "Choir marker ZZQ" not in editor_client.get(FRONT).content.decode()
    data = edit_form(story, status="published")
    data |= publish_fields(timezone.now() - timedelta(minutes=1))
    response = editor_client.post(change_url(story), data)
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.status == Article.Status.PUBLISHED
    assert story.created_by == writer
    assert "Choir marker ZZQ" in editor_client.get(FRONT).content.decode()


def test_editor_schedules_with_a_future_time(editor_client, client):
    story = make_article(status=Article.Status.DRAFT, published_at=None)
    data = edit_form(story, status="published")
    data |= publish_fields(timezone.now() + timedelta(hours=3))
    assert editor_client.post(change_url(story), data).status_code == 302
    listing = editor_client.get(CHANGELIST).content.decode()
    assert "Scheduled for" in listing
    client.logout()
    assert client.get(story.get_absolute_url()).status_code == 404


def test_publish_action_reports_only_stories_that_changed(editor_client, client):
    drafts = [
        make_article(status=Article.Status.DRAFT, published_at=None) for _ in range(2)
    ]
    already = make_article()
    response = run_action(editor_client, "publish_stories", [*drafts, already])
    assert "2 stories published." in response.content.decode()
    for story in drafts:
        story.refresh_from_db()
        assert story.is_live
        page = client.get(story.get_absolute_url()).text
        assert f'<h1 class="story__headline">{story.headline}</h1>' in page


def test_schedule_action_needs_a_future_time(editor_client, client):
    story = make_article(status=Article.Status.DRAFT, published_at=None)
    response = run_action(editor_client, "schedule_stories", [story])
    assert "Give a time in the future" in response.content.decode()
    story.refresh_from_db()
    assert story.status == Article.Status.DRAFT

    later = timezone.localtime() + timedelta(days=2)
    response = run_action(
        editor_client, "schedule_stories", [story], later.strftime("%Y-%m-%dT%H:%M")
    )
    assert "1 story scheduled for" in response.content.decode()
    story.refresh_from_db()
    assert story.status == Article.Status.PUBLISHED
    assert story.published_at > timezone.now() + timedelta(days=1)
    assert client.get(story.get_absolute_url()).status_code == 404
    # It goes live by itself once the time comes.
    Article.objects.filter(pk=story.pk).update(published_at=timezone.now())
    page = client.get(story.get_absolute_url()).text
    assert f'<h1 class="story__headline">{story.headline}</h1>' in page


def test_withdraw_action_takes_the_story_down_with_410(editor_client, client):
    story = make_article(headline="Withdraw marker QQX", front_page_rank=1)
    assert "Withdraw marker QQX" in client.get(FRONT).content.decode()
    response = run_action(editor_client, "withdraw_stories", [story])
    assert "1 story withdrawn." in response.content.decode()
    client.logout()
    assert client.get(story.get_absolute_url()).status_code == 410
    assert "Withdraw marker QQX" not in client.get(FRONT).content.decode()


def test_breaking_actions_mark_and_unmark_with_expiry(editor_client, client):
    story = make_article(headline="Breaking marker BRK")
    until = timezone.localtime() + timedelta(hours=2)
    response = run_action(
        editor_client, "mark_breaking", [story], until.strftime("%Y-%m-%dT%H:%M")
    )
    assert "1 story marked as breaking." in response.content.decode()
    story.refresh_from_db()
    assert story.breaking_until is not None
    assert [a.pk for a in client.get(FRONT).context["breaking"]] == [story.pk]

    response = run_action(editor_client, "unmark_breaking", [story])
    assert "1 story removed from breaking news." in response.content.decode()
    assert client.get(FRONT).context["breaking"] == []


def test_breaking_action_refuses_an_expiry_in_the_past(editor_client):
    story = make_article()
    earlier = timezone.localtime() - timedelta(hours=1)
    response = run_action(
        editor_client, "mark_breaking", [story], earlier.strftime("%Y-%m-%dT%H:%M")
    )
    assert "must be in the future" in response.content.decode()
    story.refresh_from_db()
    assert story.is_breaking is False


def test_actions_keep_a_revision_naming_the_editor(editor_client, editor):
    from reversion.models import Version

    story = make_article(status=Article.Status.DRAFT, published_at=None)
    run_action(editor_client, "publish_stories", [story])
    version = Version.objects.get_for_object(story).get()
    assert version.revision.user == editor
    assert "Published from the story list." in version.revision.comment


# Front page curation


def rank_formset(stories_and_ranks: list[tuple[Article, str]]) -> dict:
    data = {
        "form-TOTAL_FORMS": str(len(stories_and_ranks)),
        "form-INITIAL_FORMS": str(len(stories_and_ranks)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, (story, rank) in enumerate(stories_and_ranks):
        data[f"form-{index}-id"] = str(story.pk)
        data[f"form-{index}-front_page_rank"] = rank
    return data


def test_editor_pins_the_lead_and_top_stories_from_the_list(editor_client, client):
    older = make_article(
        headline="Older story to lead", published_at=timezone.now() - timedelta(days=2)
    )
    second = make_article(
        headline="Second pinned", published_at=timezone.now() - timedelta(days=1)
    )
    for _ in range(6):
        make_article()
    assert client.get(FRONT).context["lead"] != older

    response = editor_client.post(
        CHANGELIST, rank_formset([(older, "1"), (second, "2")])
    )
    assert response.status_code == 302
    context = client.get(FRONT).context
    assert context["lead"] == older
    assert context["top_stories"][0] == second

    # Unpinned, the front page falls back to the newest stories.
    editor_client.post(CHANGELIST, rank_formset([(older, ""), (second, "")]))
    assert client.get(FRONT).context["lead"] != older


def test_writer_cannot_pin_stories_with_a_forged_list_save(writer_client, writer):
    story = make_article(created_by=writer, status=Article.Status.DRAFT)
    page = writer_client.get(CHANGELIST).content.decode()
    assert "form-0-front_page_rank" not in page
    writer_client.post(CHANGELIST, rank_formset([(story, "1")]))
    story.refresh_from_db()
    assert story.front_page_rank is None


def test_front_page_filter_lists_pinned_stories(editor_client):
    make_article(headline="Pinned one", front_page_rank=2)
    make_article(headline="Not pinned")
    page = editor_client.get(CHANGELIST, {"front_page": "pinned"}).content.decode()
    assert "Pinned one" in page
    assert "Not pinned" not in page
