"""The writer/editor rules of articles/roles.py, seen where staff meet them:
the story list, the change page and the preview agree on every story."""

import pytest
from django.urls import reverse

from articles.models import Article
from articles.roles import may_edit, may_view

from .factories import make_article
from .test_admin import CHANGELIST
from .test_workflow import change_url, edit_form, publish_fields

pytestmark = pytest.mark.django_db

DRAFT, REVIEW = Article.Status.DRAFT, Article.Status.REVIEW
PUBLISHED, WITHDRAWN = Article.Status.PUBLISHED, Article.Status.WITHDRAWN

# (whose story, its status) -> (the writer may open it, the writer may change it)
WRITER_RULES = {
    ("mine", DRAFT): (True, True),
    ("mine", REVIEW): (True, True),
    ("mine", PUBLISHED): (True, False),
    ("mine", WITHDRAWN): (True, False),
    ("theirs", DRAFT): (False, False),
    ("theirs", REVIEW): (False, False),
    ("theirs", PUBLISHED): (True, False),
    ("theirs", WITHDRAWN): (False, False),
}


def make_stories(writer, other_writer) -> dict:
    owners = {"mine": writer, "theirs": other_writer}
    return {
        (whose, status): make_article(
            headline=f"Rules story {whose} {status}",
            status=status,
            created_by=owners[whose],
        )
        for whose, status in WRITER_RULES
    }


def test_writer_opens_the_same_stories_in_the_list_the_admin_and_the_preview(
    writer_client, writer, other_writer
):
    stories = make_stories(writer, other_writer)
    listing = writer_client.get(CHANGELIST).content.decode()
    for key, story in stories.items():
        may_open = WRITER_RULES[key][0]
        preview = reverse("articles:article-preview", args=[story.pk])
        assert may_view(writer, story) is may_open, key
        assert (story.headline in listing) is may_open, key
        assert writer_client.get(change_url(story)).status_code == (
            200 if may_open else 302  # "does not exist", back to the list
        ), key
        assert writer_client.get(preview).status_code == (200 if may_open else 404), key


def test_writer_saves_only_the_stories_the_rules_let_them_change(
    writer_client, writer, other_writer
):
    stories = make_stories(writer, other_writer)
    for key, story in stories.items():
        may_change = WRITER_RULES[key][1]
        assert may_edit(writer, story) is may_change, key
        # The form as it would be posted, in a status a writer may choose.
        data = edit_form(story, headline="Changed by the writer", status=DRAFT)
        writer_client.post(change_url(story), data)
        story.refresh_from_db()
        assert (story.headline == "Changed by the writer") is may_change, key


def test_editor_opens_and_changes_every_story(
    editor_client, editor, writer, other_writer
):
    stories = make_stories(writer, other_writer)
    listing = editor_client.get(CHANGELIST).content.decode()
    for key, story in stories.items():
        preview = reverse("articles:article-preview", args=[story.pk])
        assert may_view(editor, story) and may_edit(editor, story), key
        assert story.headline in listing, key
        assert editor_client.get(preview).status_code == 200, key
        data = edit_form(story, headline="Changed by the editor")
        data |= publish_fields(story.published_at)
        editor_client.post(change_url(story), data)
        story.refresh_from_db()
        assert story.headline == "Changed by the editor", key
