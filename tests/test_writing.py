"""The story form: rich-text body, links, counters, corrections and updates,
and deleting a story others link to."""

from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone
from django_prose_editor.config import allowlist_from_extensions

from articles.forms import BODY_EDITOR_EXTENSIONS
from articles.html import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, sanitize
from articles.models import Article, ArticleNote, ReadMoreLink, SeeAlsoLink

from .factories import make_article
from .test_workflow import edit_form, publish_fields

pytestmark = pytest.mark.django_db


def change_url(story: Article) -> str:
    return reverse("admin:articles_article_change", args=[story.pk])


def test_body_uses_the_rich_text_editor_from_local_static_files(editor_client):
    page = editor_client.get(reverse("admin:articles_article_add")).content.decode()
    assert "data-django-prose-editor-configurable" in page
    assert "/static/django_prose_editor/editor.js" in page
    assert "/static/js/article-admin.js" in page
    assert "cdn" not in page.lower()
    assert finders.find("django_prose_editor/editor.js")
    assert finders.find("js/article-admin.js")


def test_everything_the_editor_makes_survives_sanitising():
    allowed = allowlist_from_extensions(BODY_EDITOR_EXTENSIONS)
    assert allowed["tags"] <= ALLOWED_TAGS
    # What the editor produces for each of its tools comes back unchanged.
    html = (
        "<h2>Heading</h2><p><strong>b</strong> <em>i</em> <u>u</u> <s>s</s> "
        "x<sub>2</sub> y<sup>3</sup> line<br>break</p>"
        '<ol start="3"><li><p>third</p></li></ol><ul><li><p>item</p></li></ul>'
        "<blockquote><p>quote</p></blockquote><hr>"
    )
    assert sanitize(html) == html
    assert ALLOWED_ATTRIBUTES["ol"] >= {"start"}


def test_body_from_the_browser_is_sanitised_on_save(editor_client):
    story = make_article()
    data = edit_form(
        story,
        body='<p onclick="x()">Safe <a href="javascript:alert(1)">link</a></p>'
        "<script>alert(2)</script><h2>Kept</h2>",
    )
    data |= publish_fields(story.published_at)
    assert editor_client.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    assert (
        story.body == '<p>Safe <a rel="noopener noreferrer">link</a></p><h2>Kept</h2>'
    )


def test_read_more_link_placed_by_the_editor_renders_in_the_body(editor_client):
    target = make_article(headline="Target headline RMX")
    story = make_article(body="<p>One.</p><p>Two.</p><p>Three.</p>")
    data = edit_form(story) | publish_fields(story.published_at)
    data |= {
        "read_more_links-TOTAL_FORMS": "1",
        "read_more_links-0-target": target.pk,
        "read_more_links-0-after_paragraph": "2",
    }
    assert editor_client.post(change_url(story), data).status_code == 302
    body = editor_client.get(story.get_absolute_url()).content.decode()
    link = body.index("Target headline RMX")
    assert body.index("Two.") < link < body.index("Three.")


def test_read_more_link_to_the_story_itself_is_refused(editor_client):
    story = make_article()
    data = edit_form(story) | publish_fields(story.published_at)
    data |= {
        "read_more_links-TOTAL_FORMS": "1",
        "read_more_links-0-target": story.pk,
        "read_more_links-0-after_paragraph": "1",
    }
    response = editor_client.post(change_url(story), data)
    assert "A story cannot point to itself." in response.content.decode()
    assert not ReadMoreLink.objects.exists()


def test_see_also_links_keep_the_editors_order(editor_client):
    first = make_article(headline="See also first SAF")
    second = make_article(headline="See also second SAS")
    story = make_article()
    data = edit_form(story) | publish_fields(story.published_at)
    data |= {
        "see_also_links-TOTAL_FORMS": "2",
        "see_also_links-0-target": second.pk,
        "see_also_links-0-position": "2",
        "see_also_links-1-target": first.pk,
        "see_also_links-1-position": "1",
    }
    assert editor_client.post(change_url(story), data).status_code == 302
    body = editor_client.get(story.get_absolute_url()).content.decode()
    assert body.index("See also first SAF") < body.index("See also second SAS")


def test_significant_update_shows_the_updated_time_and_a_typo_fix_does_not(
    editor_client, client
):
    story = make_article(published_at=timezone.now() - timedelta(days=1))
    base = edit_form(story) | publish_fields(story.published_at)

    editor_client.post(change_url(story), base | {"standfirst": "Typo fixed."})
    story.refresh_from_db()
    assert story.standfirst == "Typo fixed."
    assert story.updated_at is None
    assert "· Updated" not in client.get(story.get_absolute_url()).content.decode()

    data = edit_form(story) | publish_fields(story.published_at)
    data |= {"body": "<p>Police made two arrests.</p>", "significant_update": "on"}
    assert editor_client.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    assert story.updated_at > timezone.now() - timedelta(minutes=1)
    assert "· Updated" in client.get(story.get_absolute_url()).content.decode()


def test_editor_adds_a_dated_correction_shown_on_the_page(editor_client, client):
    story = make_article()
    data = edit_form(story) | publish_fields(story.published_at)
    noted_at = timezone.localtime() - timedelta(hours=2)
    data |= {
        "notes-TOTAL_FORMS": "1",
        "notes-0-kind": "correction",
        "notes-0-text": "An earlier version gave the wrong date.",
        "notes-0-created_at_0": noted_at.strftime("%Y-%m-%d"),
        "notes-0-created_at_1": noted_at.strftime("%H:%M:%S"),
    }
    assert editor_client.post(change_url(story), data).status_code == 302
    note = ArticleNote.objects.get()
    assert note.kind == ArticleNote.Kind.CORRECTION
    body = client.get(story.get_absolute_url()).content.decode()
    assert "An earlier version gave the wrong date." in body
    assert noted_at.strftime("%H:%M") in body


def test_writers_cannot_add_corrections(writer_client, writer):
    story = make_article(status=Article.Status.DRAFT, created_by=writer)
    data = edit_form(story) | {
        "notes-TOTAL_FORMS": "1",
        "notes-0-kind": "correction",
        "notes-0-text": "Forged correction.",
    }
    writer_client.post(change_url(story), data)
    assert not ArticleNote.objects.exists()


def test_counters_script_names_the_recommended_maxima():
    script = open(finders.find("js/article-admin.js"), encoding="utf-8").read()
    assert "id_headline: { max: 70" in script
    assert "id_standfirst: { max: 160" in script


def test_deleting_a_linked_story_warns_and_removes_the_links(editor_client, client):
    doomed = make_article(headline="Doomed story DMD")
    linking = make_article(headline="Linking story LNK")
    ReadMoreLink.objects.create(article=linking, target=doomed)
    SeeAlsoLink.objects.create(article=linking, target=doomed)
    assert "Doomed story DMD" in client.get(linking.get_absolute_url()).content.decode()

    url = reverse("admin:articles_article_delete", args=[doomed.pk])
    page = editor_client.get(url).content.decode()
    assert "1 other story links to this one." in page
    assert "Linking story LNK" in page
    assert "links to it will be removed" in page

    assert editor_client.post(url, {"post": "yes"}).status_code == 302
    assert not Article.objects.filter(pk=doomed.pk).exists()
    assert not ReadMoreLink.objects.exists() and not SeeAlsoLink.objects.exists()
    response = client.get(linking.get_absolute_url())
    assert response.status_code == 200
    assert "Doomed story DMD" not in response.content.decode()
    front = client.get("/").text
    assert "Linking story LNK" in front and "Doomed story DMD" not in front


def test_deleting_an_unlinked_story_shows_no_link_warning(editor_client):
    story = make_article()
    url = reverse("admin:articles_article_delete", args=[story.pk])
    assert "links to this one" not in editor_client.get(url).content.decode()
