import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from articles.models import Article, SeeAlsoLink

from . import factories
from .factories import make_article, make_author, make_image, make_section

pytestmark = pytest.mark.django_db

ADD = reverse("admin:articles_article_add")
CHANGELIST = reverse("admin:articles_article_changelist")


def inline_management(**initial_counts) -> dict:
    data = {}
    for prefix in (
        "bylines",
        "read_more_links",
        "see_also_links",
        "gallery_items",
        "notes",
    ):
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = str(initial_counts.get(prefix, 0))
    return data


def story_form(section, **overrides) -> dict:
    now = timezone.localtime()
    data = {
        "headline": "Floods reach Sindh",
        "language": "en",
        "slug": "floods-reach-sindh",
        "standfirst": "Rivers burst their banks.",
        "body": "<p>Water rose overnight.</p><script>alert(1)</script>",
        "kind": "story",
        "status": "published",
        "section": section.pk,
        "published_at_0": now.strftime("%Y-%m-%d"),
        "published_at_1": now.strftime("%H:%M:%S"),
        "new_tags": "floods, sindh",
    }
    data |= inline_management()
    return data | overrides


def test_anonymous_visitor_is_sent_to_the_admin_login(client):
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_editor_adds_a_story_with_tags_author_and_see_also(editor_client):
    section = make_section()
    author = make_author()
    other = make_article(headline="Earlier floods")
    existing = Tag.objects.create(name="weather", slug="weather")
    data = story_form(section, tags=[existing.pk])
    data |= {
        "bylines-TOTAL_FORMS": "1",
        "bylines-0-author": author.pk,
        "bylines-0-position": "1",
        "see_also_links-TOTAL_FORMS": "1",
        "see_also_links-0-target": other.pk,
        "see_also_links-0-position": "1",
    }

    response = editor_client.post(ADD, data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    story = Article.objects.get(slug="floods-reach-sindh")
    assert sorted(story.tags.names()) == ["floods", "sindh", "weather"]
    assert list(story.authors.all()) == [author]
    assert story.see_also_links.get().target == other
    assert "<script>" not in story.body
    page = editor_client.get(story.get_absolute_url())
    assert "Floods reach Sindh" in page.content.decode()


def test_see_also_link_to_the_story_itself_is_refused(editor_client):
    story = make_article()
    data = story_form(
        story.section, headline=story.headline, slug=story.slug, new_tags=""
    )
    data |= {
        "see_also_links-TOTAL_FORMS": "1",
        "see_also_links-0-target": story.pk,
        "see_also_links-0-article": story.pk,
    }
    url = reverse("admin:articles_article_change", args=[story.pk])
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert "A story cannot list itself." in response.content.decode()
    assert not SeeAlsoLink.objects.exists()


def test_publishing_without_a_time_is_a_form_error(editor_client):
    section = make_section()
    data = story_form(section, published_at_0="", published_at_1="")
    response = editor_client.post(ADD, data)
    assert response.status_code == 200
    assert "A published story needs a publication time." in response.content.decode()
    assert not Article.objects.exists()


def test_video_from_an_unknown_provider_is_refused(editor_client):
    data = story_form(
        make_section(), kind="video", video_url="https://evil.example/v.mp4"
    )
    response = editor_client.post(ADD, data)
    assert "Only YouTube and Vimeo" in response.content.decode()
    assert not Article.objects.exists()


def test_tag_autocomplete_finds_existing_tags(editor_client):
    Tag.objects.create(name="diplomacy", slug="diplomacy")
    Tag.objects.create(name="cricket", slug="cricket")
    response = editor_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "articles",
            "model_name": "article",
            "field_name": "tags",
            "term": "dipl",
        },
    )
    results = json.loads(response.content)["results"]
    assert [r["text"] for r in results] == ["diplomacy"]


def test_story_autocomplete_for_links(editor_client):
    make_article(headline="Putin speaks")
    response = editor_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "articles",
            "model_name": "seealsolink",
            "field_name": "target",
            "term": "putin",
        },
    )
    assert [r["text"] for r in json.loads(response.content)["results"]] == [
        "Putin speaks"
    ]


def test_change_page_links_to_the_story_on_site(editor_client):
    story = make_article(headline="Floods reach Sindh", slug="floods-reach-sindh")
    page = editor_client.get(
        reverse("admin:articles_article_change", args=[story.pk])
    ).content.decode()
    link = re.search(r'<a href="([^"]+)" class="viewsitelink">View on site</a>', page)
    assert link, "no View on site link"
    # Followed (through the admin's shortcut view, were it used), the link
    # ends on the story's page.
    response = editor_client.get(link[1], follow=True)
    assert response.request["PATH_INFO"] == f"/news/{story.pk}/floods-reach-sindh/"
    assert "<h1" in response.content.decode()
    assert "Floods reach Sindh" in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_article_changelist_query_count_is_fixed(
    editor_client, django_assert_max_num_queries, count
):
    section = make_section()
    for _ in range(count):
        make_article(section=section, lead_image=make_image(size=(40, 30)))
    # The first request after signing in saves the session once more, with
    # the address and browser (qsessions); count a later one.
    editor_client.get(CHANGELIST)
    # Session, user, the editor's user and group permissions, count,
    # filtered count, page of stories, plus the filter sidebars (sections,
    # regions, sources) and date hierarchy; and one for two-step sign-in
    # (the second factor the session passed, or whether it needs one).
    with django_assert_max_num_queries(15):
        response = editor_client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["cl"].result_count == count


# The admin's pages for each model, with a factory for a row to list.
MAKERS = {
    name: getattr(factories, f"make_{name}")
    for name in ["section", "region", "source", "author", "image", "article"]
}


@pytest.mark.parametrize("name", MAKERS)
def test_every_admin_page_opens(editor_client, name):
    made = MAKERS[name]()
    listing = editor_client.get(reverse(f"admin:articles_{name}_changelist"))
    page = listing.content.decode()
    assert f"Select {made._meta.verbose_name} to change" in page
    # A story made with a section, a picture and so on: count this kind only.
    count = made._meta.model.objects.count()
    plural = made._meta.verbose_name if count == 1 else made._meta.verbose_name_plural
    assert f"{count} {plural}" in page
    assert reverse(f"admin:articles_{name}_change", args=[made.pk]) in page
    form = editor_client.get(reverse(f"admin:articles_{name}_add")).content.decode()
    assert f"<h1>Add {made._meta.verbose_name}</h1>" in form
    assert re.search(f'<form [^>]*method="post" id="{name}_form"', form)
    assert '<input type="submit" value="Save" class="default" name="_save">' in form


def error_message(response) -> list[str]:
    return [
        str(message)
        for message in response.context["messages"]
        if "form-errors" in message.tags
    ]


def test_refused_save_names_the_fields_with_errors(editor_client):
    section = make_section()
    data = story_form(section, headline="", published_at_0="", published_at_1="")
    response = editor_client.post(ADD, data)
    assert response.status_code == 200
    assert error_message(response) == [
        "Please correct the errors below: Headline, Published at."
    ]
    # Each field's own error stays beside it.
    page = response.content.decode()
    assert re.search(r'field-headline">\s*<ul class="errorlist"', page)
    assert "A published story needs a publication time." in page
    assert not Article.objects.exists()


def test_refused_save_names_one_field_and_inline_rows(editor_client):
    story = make_article()
    data = story_form(story.section, headline="", slug=story.slug, new_tags="")
    data |= {
        "see_also_links-TOTAL_FORMS": "2",
        "see_also_links-0-target": story.pk,
        "see_also_links-0-position": "1",
        "see_also_links-1-url": "not an address",
        "see_also_links-1-title": "Elsewhere",
        "see_also_links-1-position": "2",
    }
    url = reverse("admin:articles_article_change", args=[story.pk])
    response = editor_client.post(url, data)
    assert response.status_code == 200
    [message] = error_message(response)
    assert message.startswith("Please correct the errors below: Headline, ")
    assert "“See also” links (in order), row 1" in message
    assert "“See also” links (in order), row 2: Url" in message

    only_headline = story_form(story.section, headline="", slug=story.slug)
    response = editor_client.post(url, only_headline)
    assert error_message(response) == ["Please correct the error below: Headline."]


def test_a_good_save_has_no_error_message(editor_client):
    response = editor_client.post(ADD, story_form(make_section()), follow=True)
    assert response.redirect_chain
    assert error_message(response) == []
    assert Article.objects.count() == 1
