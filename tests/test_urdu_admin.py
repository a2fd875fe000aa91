"""The story form in two languages: the language and translation fields in
the Story fieldset, Urdu text fields written right to left, the translation
picker offering only stories in the other language, linking a translation
both ways (also a story that had one), a same-language translation refused
beside its field, and the story list's language column and filter."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article

from .factories import make_article, make_section
from .test_desk import rank_formset
from .test_story_form import field_errors
from .test_workflow import edit_form

pytestmark = pytest.mark.django_db

ADD = reverse("admin:articles_article_add")
CHANGELIST = reverse("admin:articles_article_changelist")
PICKER = reverse("admin:articles_article_translation_autocomplete")


def change_url(story: Article) -> str:
    return reverse("admin:articles_article_change", args=[story.pk])


def draft(**fields) -> Article:
    return make_article(status=Article.Status.DRAFT, published_at=None, **fields)


def tag(page: str, name: str) -> str:
    """The opening tag of the form control called `name`."""
    return re.search(rf'<(?:input|textarea|select)[^>]*name="{name}"[^>]*>', page)[0]


def story_fieldset(page: str) -> str:
    return re.search(r"<h2[^>]*>Story</h2>(.*?)</fieldset>", page, re.S)[1]


def picker(client, language: str, term: str = "") -> list[str]:
    response = client.get(
        PICKER,
        {
            "term": term,
            "language": language,
            "app_label": "articles",
            "model_name": "article",
            "field_name": "translation",
        },
    )
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


def test_the_story_fieldset_has_language_and_translation(editor_client):
    page = editor_client.get(ADD).content.decode()
    fieldset = story_fieldset(page)
    assert 'name="language"' in fieldset
    assert 'name="translation"' in fieldset
    assert '<option value="ur">اردو</option>' in fieldset
    assert "Saving links the two stories both ways" in fieldset
    # A new story is English until the editor says otherwise.
    assert 'lang="en"' in tag(page, "headline")
    assert 'dir="ltr"' in tag(page, "headline")
    assert "language=en" in tag(page, "translation")


def test_an_urdu_story_is_written_right_to_left(editor_client):
    story = draft(language="ur", headline="لاہور میں سیلاب", slug="lahore-sailab")
    page = editor_client.get(change_url(story)).content.decode()
    for name in ("headline", "standfirst", "slug", "body"):
        assert 'dir="rtl"' in tag(page, name), name
        assert 'lang="ur"' in tag(page, name), name
    # Fields in English stay as they were.
    assert "dir=" not in tag(page, "new_tags")
    # The picker asks for stories in the other language than Urdu.
    assert "language=ur" in tag(page, "translation")


def test_the_translation_picker_offers_only_the_other_language(editor_client):
    draft(headline="Floods in Lahore")
    draft(language="ur", headline="لاہور میں سیلاب", slug="lahore-sailab")
    make_article(
        language="ur",
        headline="سیلاب زدگان کے لیے امداد",
        slug="sailab-imdad",
        front_page_rank=None,
    )
    assert sorted(picker(editor_client, "en")) == [
        "اردو: سیلاب زدگان کے لیے امداد",
        "اردو: لاہور میں سیلاب — draft",
    ]
    assert picker(editor_client, "en", "امداد") == ["اردو: سیلاب زدگان کے لیے امداد"]
    assert picker(editor_client, "ur") == ["English: Floods in Lahore — draft"]


def test_linking_a_translation_in_the_form_links_both_ways(editor_client):
    english = draft(headline="Floods in Lahore")
    urdu = draft(language="ur", headline="لاہور میں سیلاب", slug="lahore-sailab")
    response = editor_client.post(
        change_url(english), edit_form(english, translation=urdu.pk)
    )
    assert response.status_code == 302
    english.refresh_from_db()
    urdu.refresh_from_db()
    assert english.translation == urdu
    assert urdu.translation == english
    # The Urdu story's form shows its English version, with its language.
    page = editor_client.get(change_url(urdu)).content.decode()
    assert "English: Floods in Lahore — draft</option>" in page


def test_picking_a_story_that_has_a_translation_relinks_it(editor_client):
    old = draft(headline="Floods in Lahore")
    urdu = draft(
        language="ur", headline="لاہور میں سیلاب", slug="lahore-sailab", translation=old
    )
    new = draft(headline="Lahore floods: the full story")
    response = editor_client.post(change_url(new), edit_form(new, translation=urdu.pk))
    # No "Article with this Translation already exists."
    assert response.status_code == 302
    for story in (old, urdu, new):
        story.refresh_from_db()
    assert (new.translation, urdu.translation) == (urdu, new)
    assert old.translation is None


def test_a_translation_in_the_same_language_is_refused_beside_its_field(
    editor_client,
):
    story = draft(headline="Floods in Lahore")
    other = draft(headline="Rain in Karachi")
    response = editor_client.post(
        change_url(story), edit_form(story, translation=other.pk)
    )
    assert response.status_code == 200
    errors = field_errors(response.content.decode(), "translation")
    assert (
        "A translation is in the other language: this story and “Rain in "
        "Karachi” are both in English."
    ) in errors.replace("&ldquo;", "“").replace("&rdquo;", "”")
    story.refresh_from_db()
    assert story.translation is None


def test_an_unknown_translation_or_language_is_refused_not_a_500(editor_client):
    story = draft(headline="Floods in Lahore")
    response = editor_client.post(
        change_url(story), edit_form(story, translation="999999", language="xx")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice" in field_errors(page, "translation")
    assert "Select a valid choice" in field_errors(page, "language")
    assert picker(editor_client, "xx") == ["English: Floods in Lahore — draft"]


def test_the_story_list_has_a_language_column_and_filter(editor_client):
    make_section()
    make_article(headline="Floods in Lahore")
    make_article(language="ur", headline="لاہور میں سیلاب", slug="lahore-sailab")
    page = editor_client.get(CHANGELIST).content.decode()
    assert re.search(r'<th scope="col" class="[^"]*column-language', page)
    assert '<td class="field-language">اردو</td>' in page
    assert '<td class="field-language">English</td>' in page
    urdu_only = editor_client.get(CHANGELIST, {"language__exact": "ur"})
    page = urdu_only.content.decode()
    assert "لاہور میں سیلاب" in page
    assert "Floods in Lahore" not in page
    assert 'href="?language__exact=ur"' in page


def test_the_story_list_gives_rank_1_to_an_english_and_an_urdu_story(editor_client):
    english = make_article(headline="Floods in Lahore")
    urdu = make_article(language="ur", headline="لاہور میں سیلاب", slug="lahore-sailab")
    response = editor_client.post(
        CHANGELIST, rank_formset([(english, "1"), (urdu, "1")]), follow=True
    )
    page = response.content.decode()
    assert "cannot both be at 1" not in page
    assert "no longer pinned" not in page
    english.refresh_from_db()
    urdu.refresh_from_db()
    assert (english.front_page_rank, urdu.front_page_rank) == (1, 1)
    # Two Urdu stories at one rank are still refused.
    other = make_article(
        language="ur", headline="کراچی میں بارش", slug="karachi-barish"
    )
    response = editor_client.post(CHANGELIST, rank_formset([(urdu, "2"), (other, "2")]))
    assert "cannot both be at 2 on the front page" in response.content.decode()


def test_editing_an_urdu_story_at_a_rank_leaves_the_english_holder_pinned(
    editor_client,
):
    english = make_article(headline="Floods in Lahore", front_page_rank=1)
    urdu = draft(language="ur", headline="لاہور میں سیلاب", slug="lahore-sailab")
    now = timezone.localtime()
    published = edit_form(
        urdu,
        status="published",
        published_at_0=now.strftime("%Y-%m-%d"),
        published_at_1=now.strftime("%H:%M:%S"),
        front_page_rank="1",
    )
    response = editor_client.post(change_url(urdu), published, follow=True)
    assert response.status_code == 200
    assert "was changed successfully" in response.content.decode()
    assert "no longer pinned" not in response.content.decode()
    english.refresh_from_db()
    urdu.refresh_from_db()
    assert (english.front_page_rank, urdu.front_page_rank) == (1, 1)
    assert urdu.status == Article.Status.PUBLISHED
