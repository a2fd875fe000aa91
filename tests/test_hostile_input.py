"""Hostile input gives a clear 400, never a 500: NUL characters anywhere in a
request (PostgreSQL refuses them in text), and addresses with unsafe schemes
however they were stored."""

import pytest
from django.conf import settings

from articles.models import Section
from tests.factories import make_article, make_section

ADMIN = f"/{settings.ADMIN_URL}"


@pytest.fixture
def quiet_client(client):
    client.raise_request_exception = False
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address",
    [
        "autocomplete/?term=%00&app_label=articles&model_name=article"
        "&field_name=section",
        "articles/section/?slug=%00",
        "articles/article/?q=%00",
        "articles/article/?status=%00",
        "articles/article/?%00=1",
        "articles/section/%00/change/",
    ],
)
def test_a_null_character_in_the_admin_answers_bad_request(editor_client, address):
    editor_client.raise_request_exception = False
    response = editor_client.get(ADMIN + address)
    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in response.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address",
    [
        "/search/?q=%00",
        "/?page=%00",
        "/section/a%00b/",
        "/tag/%00/feed/",
        "/sitemap-stories.xml?p=%00",
    ],
)
def test_a_null_character_on_readers_pages_answers_the_branded_bad_request(
    quiet_client, address
):
    make_article()
    response = quiet_client.get(address)
    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in response.text
    assert "Pakistan Christian TV" in response.text


@pytest.mark.django_db
def test_the_same_addresses_without_the_null_character_still_work(editor_client):
    section = make_section(slug="business")
    make_article(section=section)
    changelist = editor_client.get(f"{ADMIN}articles/section/?slug=business")
    assert changelist.status_code == 200
    assert editor_client.get("/section/business/").status_code == 200
    assert editor_client.get("/search/?q=number").status_code == 200


@pytest.mark.django_db
def test_a_null_character_in_a_cookie_answers_bad_request(quiet_client):
    # A quoted cookie value may carry octal escapes; "\000" is a NUL.
    quiet_client.cookies["sessionid"] = "\x00" * 12
    response = quiet_client.get(ADMIN)
    assert response.status_code == 400


@pytest.mark.django_db
def test_a_null_character_in_form_data_answers_bad_request(quiet_client):
    story = make_article()
    response = quiet_client.post("/stats/view/", {"id": f"{story.pk}\x00"})
    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in response.text


@pytest.mark.django_db
def test_an_admin_form_with_a_null_character_keeps_the_text_and_says_why(
    editor_client,
):
    response = editor_client.post(
        f"{ADMIN}articles/section/add/",
        {"name": "Busi\x00ness", "slug": "business", "position": 1},
    )
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.text
    assert 'value="business"' in response.text
    assert not Section.objects.filter(slug="business").exists()
