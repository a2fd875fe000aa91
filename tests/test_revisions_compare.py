"""Comparing any two saved versions of a story, chosen on its history page."""

import pytest
from django.urls import reverse
from reversion.models import Version

from articles.models import Article

from .factories import make_article
from .test_history import change_url, save
from .test_workflow import edit_form

pytestmark = pytest.mark.django_db


def history_url(story: Article) -> str:
    return reverse("admin:articles_article_history", args=[story.pk])


def compare_url(story: Article) -> str:
    return reverse("admin:articles_article_compare", args=[story.pk])


def three_versions(client, story: Article) -> list[Version]:
    save(client, story, headline="Dam opens", body="<p>Water flows.</p>")
    save(client, story, headline="Dam opens early", body="<p>Water flows.</p>")
    save(client, story, headline="Dam opens early", body="<p>Water floods.</p>")
    return list(Version.objects.get_for_object(story).order_by("pk"))


def test_history_offers_two_columns_of_versions_to_compare(editor_client):
    story = make_article()
    first, second, third = three_versions(editor_client, story)
    page = editor_client.get(history_url(story)).content.decode()
    assert f'<form method="get" action="{compare_url(story)}">' in page
    # Newest first: the latest and the one before it are chosen already.
    assert f'name="to" value="{third.pk}" aria-label' in page
    assert f'name="from" value="{second.pk}" aria-label' in page
    assert f'name="from" value="{first.pk}"' in page
    assert page.count(" checked>") == 2
    assert 'value="Compare the chosen versions"' in page


def test_a_story_saved_once_has_nothing_to_compare(editor_client):
    story = make_article()
    save(editor_client, story)
    page = editor_client.get(history_url(story)).content.decode()
    assert "What changed" in page
    assert 'name="from"' not in page
    assert "Compare the chosen versions" not in page


def test_first_and_last_versions_show_every_change_between_them(editor_client):
    story = make_article()
    first, second, third = three_versions(editor_client, story)
    response = editor_client.get(compare_url(story), {"from": first.pk, "to": third.pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Dam opens<ins> early</ins>" in page
    assert "Water <del>flows</del><ins>floods</ins>." in page
    assert "From the version saved" in page
    assert "Choose other versions" in page

    # Neighbours show only their own change; the order chosen does not matter.
    neighbours = editor_client.get(
        compare_url(story), {"from": third.pk, "to": second.pk}
    ).content.decode()
    assert "Water <del>flows</del><ins>floods</ins>." in neighbours
    assert "early" not in neighbours.split("story-changes__table")[1]


def test_versions_with_no_difference_say_so(editor_client):
    story = make_article()
    save(editor_client, story, headline="Same")
    save(editor_client, story, headline="Same")
    first, second = Version.objects.get_for_object(story).order_by("pk")
    page = editor_client.get(
        compare_url(story), {"from": first.pk, "to": second.pk}
    ).content.decode()
    assert "Nothing readers see changed between these versions." in page


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"from": "1"},
        {"from": "x", "to": "1"},
        {"from": "-1", "to": "1"},
        {"from": "99999999999999999999999", "to": "1"},
        {"from": "1 ", "to": "1"},
    ],
)
def test_missing_or_malformed_choices_are_a_400(editor_client, query):
    story = make_article()
    three_versions(editor_client, story)
    assert editor_client.get(compare_url(story), query).status_code == 400


def test_versions_of_another_story_are_a_404(editor_client):
    story = make_article()
    other = make_article()
    first, _, third = three_versions(editor_client, story)
    save(editor_client, other)
    foreign = Version.objects.get_for_object(other).get()
    url = compare_url(story)
    foreign_pair = {"from": foreign.pk, "to": third.pk}
    assert editor_client.get(url, foreign_pair).status_code == 404
    assert editor_client.get(url, {"from": first.pk, "to": 9999}).status_code == 404
    missing = reverse("admin:articles_article_compare", args=[999999])
    assert editor_client.get(missing, {"from": 1, "to": 2}).status_code == 404


def test_the_same_version_twice_asks_for_two(editor_client):
    story = make_article()
    first, _, _ = three_versions(editor_client, story)
    response = editor_client.get(
        compare_url(story), {"from": first.pk, "to": first.pk}, follow=True
    )
    assert response.redirect_chain == [(history_url(story), 302)]
    assert "Choose two different versions to compare." in response.content.decode()


def test_compare_follows_who_may_see_the_story(client, writer, other_writer):
    story = make_article(status=Article.Status.DRAFT, created_by=writer)
    client.force_login(writer)
    client.post(change_url(story), edit_form(story, headline="Draft one"))
    client.post(change_url(story), edit_form(story, headline="Draft two"))
    first, second = Version.objects.get_for_object(story).order_by("pk")
    query = {"from": first.pk, "to": second.pk}
    page = client.get(compare_url(story), query)
    assert page.status_code == 200
    assert "Draft <del>one</del><ins>two</ins>" in page.content.decode()
    # Writers may compare but not restore.
    assert "Restore" not in page.content.decode()

    client.force_login(other_writer)
    assert client.get(compare_url(story), query).status_code == 404
    client.logout()
    response = client.get(compare_url(story), query)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_compare_page_queries_do_not_grow_with_the_history(
    editor_client, django_assert_max_num_queries
):
    story = make_article()
    first, _, third = three_versions(editor_client, story)
    # Expect 9 queries: session, user, the two-factor check, two permission
    # lookups, the story, the two versions, and each revision's other rows
    # (two); the same for a story saved 3 times or 13.
    with django_assert_max_num_queries(9):
        editor_client.get(compare_url(story), {"from": first.pk, "to": third.pk})
    for number in range(10):
        save(editor_client, story, standfirst=f"Standfirst {number}")
    latest = Version.objects.get_for_object(story).first()
    with django_assert_max_num_queries(9):
        editor_client.get(compare_url(story), {"from": first.pk, "to": latest.pk})
