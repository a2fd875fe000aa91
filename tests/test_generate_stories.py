from html import escape

import pytest

from articles.models import Article
from bench.stories import generate

pytestmark = pytest.mark.django_db


def test_generated_stories_render_on_every_page(client, demo_media):
    generate(count=60, batch=25, verbose=False)
    generated = Article.objects.filter(slug__startswith="generated-")
    assert generated.count() == 60
    story = generated.published().for_detail().first()
    assert story.bylines.all() and story.regions.all() and story.tags.all()

    page = client.get(story.get_absolute_url())
    assert page.status_code == 200
    assert story.headline in page.content.decode()
    # The newest of them head the section page and stand on the front page.
    newest = generated.published().filter(section=story.section).newest_first()[0]
    section_page = client.get(story.section.get_absolute_url()).text
    assert escape(newest.headline) in section_page
    newest = generated.published().newest_first()[0]
    assert escape(newest.headline) in client.get("/").text


def test_generating_again_only_adds_the_missing_stories(demo_media):
    generate(count=10, verbose=False)
    generate(count=25, verbose=False)
    slugs = Article.objects.filter(slug__startswith="generated-").values_list(
        "slug", flat=True
    )
    assert sorted(slugs, key=lambda s: int(s.split("-")[1])) == [
        f"generated-{n}" for n in range(25)
    ]
