"""Revisions of stories (django-reversion): who, when, what changed, restore;
and refusing a save made on a form loaded before someone else's save."""

import pytest
from django.urls import reverse
from reversion.models import Version

from articles.models import Article, SeeAlsoLink

from .factories import make_article, make_section
from .test_admin import story_form
from .test_workflow import edit_form, publish_fields, token

pytestmark = pytest.mark.django_db


def change_url(story: Article) -> str:
    return reverse("admin:articles_article_change", args=[story.pk])


def save(client, story: Article, **changes):
    data = edit_form(story) | publish_fields(story.published_at) | changes
    return client.post(change_url(story), data)


# Edit conflicts


def test_second_save_from_a_stale_form_is_refused(client, editor, administrator):
    story = make_article(headline="Original headline")
    stale = edit_form(story) | publish_fields(story.published_at)

    client.force_login(editor)
    assert save(client, story, headline="Editor's headline").status_code == 302

    client.force_login(administrator)
    response = client.post(
        change_url(story), stale | {"headline": "Administrator's headline"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "This story was changed by Editor at" in page
    assert "your changes were not saved" in page
    version = Version.objects.get_for_object(story).first()
    changes = reverse("admin:articles_article_changes", args=[story.pk, version.pk])
    assert f'<a href="{changes}">See the other change</a>' in page
    # The refused text is still in the form, to copy from.
    assert 'value="Administrator&#x27;s headline"' in page
    story.refresh_from_db()
    assert story.headline == "Editor's headline"


def test_save_without_the_loaded_version_is_refused(editor_client):
    story = make_article(headline="Kept headline")
    data = edit_form(story, headline="Blind overwrite")
    data |= publish_fields(story.published_at)
    del data["loaded_modified_at"]
    response = editor_client.post(change_url(story), data)
    assert "your changes were not saved" in response.content.decode()
    story.refresh_from_db()
    assert story.headline == "Kept headline"


def test_saving_twice_in_a_row_from_fresh_forms_works(editor_client):
    story = make_article()
    assert save(editor_client, story, headline="First edit").status_code == 302
    assert save(editor_client, story, headline="Second edit").status_code == 302
    story.refresh_from_db()
    assert story.headline == "Second edit"


def theirs_cell(text: str) -> str:
    return f'<td class="edit-conflict__theirs" data-label="Theirs">{text}</td>'


def conflict(client, story: Article, stale: dict, **typed):
    """Another editor saved since `stale` was loaded; post `typed` on it."""
    return client.post(change_url(story), stale | typed)


def test_refused_save_shows_their_version_beside_the_typed_one(
    client, editor, administrator
):
    story = make_article(
        headline="Flood warning", standfirst="Rivers rise.", body="<p>Old text.</p>"
    )
    stale = edit_form(story) | publish_fields(story.published_at)
    client.force_login(editor)
    save(client, story, headline="Flood warning lifted", body="<p>Their text.</p>")

    client.force_login(administrator)
    response = conflict(
        client, story, stale, headline="Flood warning ends", body="<p>My text.</p>"
    )
    page = response.content.decode()
    table = page.split('class="edit-conflict__table"')[1].split("</table>")[0]
    assert "Theirs (saved by Editor at" in table
    # Their saved headline and body beside mine, with mine's differences marked.
    assert theirs_cell("Flood warning lifted") in table
    assert "Flood warning <del>lifted</del><ins>ends</ins>" in table
    assert theirs_cell("Their text.") in table
    assert "<del>Their</del><ins>My</ins> text." in table
    assert "The same as theirs." in table  # the standfirst nobody changed
    # What I typed is still in the form, to merge and save again.
    assert 'value="Flood warning ends"' in page
    assert "&lt;p&gt;My text.&lt;/p&gt;</textarea>" in page
    story.refresh_from_db()
    assert story.headline == "Flood warning lifted"


def test_saving_again_without_the_box_is_refused_again(client, editor, administrator):
    story = make_article(headline="Bus fares")
    stale = edit_form(story) | publish_fields(story.published_at)
    client.force_login(editor)
    save(client, story, headline="Bus fares rise")

    client.force_login(administrator)
    refused = conflict(client, story, stale, headline="Bus fares fall")
    again = conflict(client, story, stale, headline="Bus fares fall")
    assert "your changes were not saved" in refused.content.decode()
    assert "your changes were not saved" in again.content.decode()
    story.refresh_from_db()
    assert story.headline == "Bus fares rise"


def test_saving_mine_over_theirs_replaces_the_version_shown(
    client, editor, administrator
):
    story = make_article(headline="Train strike")
    stale = edit_form(story) | publish_fields(story.published_at)
    client.force_login(editor)
    save(client, story, headline="Train strike called off")

    client.force_login(administrator)
    refused = conflict(client, story, stale, headline="Train strike goes on")
    box = refused.content.decode().split('name="overwrite_modified_at" value="')[1]
    shown = box.split('"')[0]
    assert shown == token(story)
    response = conflict(
        client,
        story,
        stale,
        headline="Train strike goes on",
        overwrite_modified_at=shown,
        _continue="1",
    )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.headline == "Train strike goes on"


def test_saving_mine_over_a_version_not_shown_is_refused(client, editor, administrator):
    story = make_article(headline="Power cuts")
    stale = edit_form(story) | publish_fields(story.published_at)
    client.force_login(editor)
    save(client, story, headline="Power cuts end")
    shown = token(story)
    # A third save after the refused form showed "Power cuts end".
    save(client, story, headline="Power cuts end tonight")

    client.force_login(administrator)
    response = conflict(
        client, story, stale, headline="Power cuts go on", overwrite_modified_at=shown
    )
    page = response.content.decode()
    assert "your changes were not saved" in page
    assert theirs_cell("Power cuts end tonight") in page
    story.refresh_from_db()
    assert story.headline == "Power cuts end tonight"


def test_the_choice_to_save_mine_holds_when_the_save_is_refused_for_another_reason(
    client, editor, administrator
):
    story = make_article(headline="Heat wave")
    stale = edit_form(story) | publish_fields(story.published_at)
    client.force_login(editor)
    save(client, story, headline="Heat wave eases")
    shown = token(story)

    client.force_login(administrator)
    refused = conflict(client, story, stale, headline="", overwrite_modified_at=shown)
    assert refused.status_code == 200
    assert "your changes were not saved" not in refused.content.decode()
    form = refused.context["adminform"].form
    assert form["loaded_modified_at"].value() == shown
    data = stale | {"headline": "Heat wave returns", "loaded_modified_at": shown}
    assert client.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    assert story.headline == "Heat wave returns"


# Unsaved typing kept in the browser (static/js/story-autosave.js): the
# server says where to keep it and when it is saved.


def test_story_form_names_where_the_browser_keeps_typing(editor_client, editor):
    story = make_article()
    page = editor_client.get(change_url(story)).content.decode()
    assert f'data-draft-key="story-draft.{editor.pk}.{story.pk}"' in page
    assert 'data-time-zone="Asia/Karachi"' in page
    assert "js/story-autosave.js" in page
    add = editor_client.get(reverse("admin:articles_article_add")).content.decode()
    assert f'data-draft-key="story-draft.{editor.pk}.new"' in add


def test_a_good_save_says_the_kept_typing_is_saved(editor_client, editor):
    story = make_article()
    response = save(editor_client, story, headline="Saved headline")
    assert response.status_code == 302
    cookie = response.cookies["story_draft_saved"]
    assert cookie.value == f"story-draft.{editor.pk}.{story.pk}"
    assert cookie["max-age"] == 120


def test_a_new_story_saved_says_the_typing_for_a_new_story_is_saved(
    editor_client, editor
):
    response = editor_client.post(
        reverse("admin:articles_article_add"), story_form(make_section())
    )
    assert response.status_code == 302
    assert response.cookies["story_draft_saved"].value == f"story-draft.{editor.pk}.new"


def test_a_refused_save_keeps_the_typing(client, editor, administrator):
    story = make_article()
    stale = edit_form(story) | publish_fields(story.published_at)
    client.force_login(editor)
    save(client, story, headline="First")
    client.force_login(administrator)
    refused = conflict(client, story, stale, headline="Second")
    assert refused.status_code == 200
    assert "story_draft_saved" not in refused.cookies
    empty = save(client, story, headline="")
    assert empty.status_code == 200
    assert "story_draft_saved" not in empty.cookies


# Revisions


def test_every_admin_save_keeps_a_revision_with_who_and_what(editor_client, editor):
    story = make_article(headline="Bridge opens", body="<p>The old text.</p>")
    save(editor_client, story, headline="Bridge opens early")
    save(editor_client, story, body="<p>The new text.</p>")
    versions = list(Version.objects.get_for_object(story).order_by("pk"))
    assert len(versions) == 2
    assert {v.revision.user for v in versions} == {editor}
    assert "Changed Headline" in versions[0].revision.get_comment()

    history = editor_client.get(
        reverse("admin:articles_article_history", args=[story.pk])
    ).content.decode()
    assert history.count("What changed") == 2
    assert "Editor" in history
    assert "Restore this version" in history

    diff = editor_client.get(
        reverse("admin:articles_article_changes", args=[story.pk, versions[1].pk])
    )
    page = diff.content.decode()
    assert diff.status_code == 200
    assert "<del>old</del><ins>new</ins>" in page
    assert "Headline" not in page.split("Change (")[1]  # only the body changed


def test_diff_lists_links_added_in_a_save(editor_client):
    story = make_article()
    other = make_article(headline="Linked story LKD")
    save(editor_client, story)
    data = edit_form(story) | publish_fields(story.published_at)
    data |= {
        "see_also_links-TOTAL_FORMS": "1",
        "see_also_links-0-target": other.pk,
        "see_also_links-0-position": "1",
    }
    editor_client.post(change_url(story), data)
    latest = Version.objects.get_for_object(story).first()
    page = editor_client.get(
        reverse("admin:articles_article_changes", args=[story.pk, latest.pk])
    ).content.decode()
    assert "<ins>See also: Linked story LKD</ins>" in page


def test_editor_restores_an_earlier_version(editor_client, client):
    story = make_article(headline="Right headline", body="<p>Right text.</p>")
    other = make_article(headline="Linked before LKB")
    link = SeeAlsoLink.objects.create(article=story, target=other, position=1)
    save(
        editor_client,
        story,
        **{
            "see_also_links-TOTAL_FORMS": "1",
            "see_also_links-INITIAL_FORMS": "1",
            "see_also_links-0-id": link.pk,
            "see_also_links-0-article": story.pk,
            "see_also_links-0-target": other.pk,
            "see_also_links-0-position": "1",
        },
    )
    first = Version.objects.get_for_object(story).get()
    save(
        editor_client,
        story,
        headline="Vandalised headline",
        body="<p>Wrong text.</p>",
        **{
            "see_also_links-TOTAL_FORMS": "1",
            "see_also_links-INITIAL_FORMS": "1",
            "see_also_links-0-id": link.pk,
            "see_also_links-0-article": story.pk,
            "see_also_links-0-target": other.pk,
            "see_also_links-0-position": "1",
            "see_also_links-0-DELETE": "on",
        },
    )
    story.refresh_from_db()
    assert story.headline == "Vandalised headline"
    assert not story.see_also_links.exists()

    url = reverse("admin:articles_article_revision", args=[story.pk, first.pk])
    page = editor_client.get(url)
    form = page.context["adminform"].form
    assert form["headline"].value() == "Right headline"
    # Looking is not restoring: nothing changed yet.
    story.refresh_from_db()
    assert story.headline == "Vandalised headline"

    inline = page.context["inline_admin_formsets"][2].formset
    assert [form.instance.pk for form in inline.forms] == [link.pk]
    data = edit_form(story, headline="Right headline", body="<p>Right text.</p>")
    data |= publish_fields(story.published_at)
    data["loaded_modified_at"] = form["loaded_modified_at"].value()
    data |= {
        "see_also_links-TOTAL_FORMS": "1",
        "see_also_links-INITIAL_FORMS": "1",
        "see_also_links-0-id": link.pk,
        "see_also_links-0-article": story.pk,
        "see_also_links-0-target": other.pk,
        "see_also_links-0-position": "1",
    }
    assert editor_client.post(url, data).status_code == 302
    story.refresh_from_db()
    assert story.headline == "Right headline"
    assert story.body == "<p>Right text.</p>"
    assert [link.target for link in story.see_also_links.all()] == [other]
    assert "Linked before LKB" in client.get(story.get_absolute_url()).content.decode()
    latest = Version.objects.get_for_object(story).first()
    assert latest.revision.get_comment().startswith("Reverted to previous version")


def test_writers_see_history_of_own_stories_but_cannot_restore(client, writer, editor):
    story = make_article(status=Article.Status.DRAFT, created_by=writer)
    client.force_login(writer)
    data = edit_form(story, headline="Writer's first edit")
    assert client.post(change_url(story), data).status_code == 302
    version = Version.objects.get_for_object(story).get()

    history = client.get(reverse("admin:articles_article_history", args=[story.pk]))
    assert history.status_code == 200
    assert "What changed" in history.content.decode()
    assert "Restore" not in history.content.decode()
    url = reverse("admin:articles_article_revision", args=[story.pk, version.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, edit_form(story)).status_code == 403
    recover = reverse("admin:articles_article_recoverlist")
    assert client.get(recover).status_code == 403
    changelist = reverse("admin:articles_article_changelist")
    assert recover not in client.get(changelist).content.decode()


def test_other_writers_cannot_read_a_drafts_history(client, writer, other_writer):
    story = make_article(status=Article.Status.DRAFT, created_by=writer)
    client.force_login(writer)
    assert client.post(change_url(story), edit_form(story)).status_code == 302
    version = Version.objects.get_for_object(story).get()
    client.force_login(other_writer)
    url = reverse("admin:articles_article_changes", args=[story.pk, version.pk])
    assert client.get(url).status_code == 404
