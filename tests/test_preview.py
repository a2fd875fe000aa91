"""Staff preview of unpublished stories in the real article template."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from articles.models import Article

from .factories import make_article

pytestmark = pytest.mark.django_db

BANNER = "Preview — not published."


def preview_url(story: Article) -> str:
    return reverse("articles:article-preview", args=[story.pk])


def test_editor_previews_a_draft_in_the_article_template(editor_client):
    story = make_article(
        headline="Draft preview marker PRV",
        status=Article.Status.DRAFT,
        published_at=None,
        body="<p>First paragraph of the draft.</p>",
    )
    response = editor_client.get(preview_url(story))
    assert response.status_code == 200
    assert "articles/article_detail.html" in [t.name for t in response.templates]
    body = response.content.decode()
    assert '<h1 class="story__headline">Draft preview marker PRV</h1>' in body
    assert "First paragraph of the draft." in body
    assert BANNER in body
    assert "Status: Draft. Readers cannot see it." in body
    assert '<meta name="robots" content="noindex">' in body
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    assert "public" not in cache_control


def test_preview_of_a_scheduled_story_says_when_it_goes_live(editor_client):
    later = timezone.now() + timedelta(days=1)
    story = make_article(published_at=later)
    body = editor_client.get(preview_url(story)).content.decode()
    assert BANNER in body
    assert "Scheduled: it goes live by itself on" in body
    assert timezone.localtime(later).strftime("%H:%M") in body


def test_preview_of_a_live_story_links_it_and_a_withdrawn_one_says_so(editor_client):
    story = make_article(headline="Live preview marker")
    body = editor_client.get(preview_url(story)).content.decode()
    assert (
        f'This story is live at <a href="{story.get_absolute_url()}">'
        "its public address</a>." in body
    )
    assert "Scheduled:" not in body
    story.status = Article.Status.WITHDRAWN
    story.save()
    body = editor_client.get(preview_url(story)).content.decode()
    assert "Status: Withdrawn. Readers cannot see it." in body
    assert "This story is live" not in body and "Scheduled:" not in body


def test_published_page_has_no_preview_banner_or_noindex(client):
    story = make_article()
    response = client.get(story.get_absolute_url())
    body = response.content.decode()
    assert BANNER not in body
    assert 'content="noindex"' not in body
    assert response["Cache-Control"] == "public, max-age=60"


def test_preview_is_404_for_anonymous_readers_and_non_staff(client):
    story = make_article(headline="Hidden draft", status=Article.Status.DRAFT)
    assert client.get(preview_url(story)).status_code == 404
    reader = User.objects.create_user("reader", password="pw-reader-1")
    client.force_login(reader)
    response = client.get(preview_url(story))
    assert response.status_code == 404
    assert "Hidden draft" not in response.content.decode()


def test_writer_previews_own_drafts_but_not_other_writers(
    writer_client, writer, other_writer
):
    mine = make_article(status=Article.Status.DRAFT, created_by=writer)
    theirs = make_article(status=Article.Status.DRAFT, created_by=other_writer)
    page = writer_client.get(preview_url(mine)).text
    assert f'<h1 class="story__headline">{mine.headline}</h1>' in page
    assert writer_client.get(preview_url(theirs)).status_code == 404


def test_change_form_has_a_preview_button(editor_client):
    story = make_article(status=Article.Status.REVIEW, published_at=None)
    page = editor_client.get(
        reverse("admin:articles_article_change", args=[story.pk])
    ).content.decode()
    assert f'href="{preview_url(story)}"' in page
    assert ">Preview</a>" in page
    # An unpublished story has no public address to view on the site.
    assert "View on site" not in page


def test_preview_refuses_post(editor_client):
    story = make_article(status=Article.Status.DRAFT)
    assert editor_client.post(preview_url(story)).status_code == 405
