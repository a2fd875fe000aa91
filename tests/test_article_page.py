from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import (
    Article,
    ArticleNote,
    GalleryImage,
    ReadMoreLink,
    SeeAlsoLink,
    StoryViews,
)

from .factories import (
    make_article,
    make_author,
    make_image,
    make_region,
    make_section,
    make_source,
)

pytestmark = pytest.mark.django_db


def test_article_page_shows_every_part_of_the_story(client):
    image = make_image(caption="White House.", credit="Reuters / Jim Borg")
    source = make_source(name="agencies")
    target = make_article(headline="Putin speaks on missiles")
    gallery = make_article(headline="Astronaut photos", kind=Article.Kind.GALLERY)
    article = make_article(
        headline="Biden administration ready to talk",
        standfirst="Talks in January.",
        body="<p>First paragraph.</p><p>Second paragraph.</p>",
        lead_image=image,
        source=source,
        section=make_section(name="World", slug="world"),
        regions=[make_region(name="Europe", slug="europe")],
        authors=[make_author(name="Jim Borg"), make_author(name="Ann Lee")],
        tags=["diplomacy"],
        updated_at=timezone.now(),
    )
    ReadMoreLink.objects.create(article=article, target=target, after_paragraph=1)
    SeeAlsoLink.objects.create(article=article, target=gallery, position=1)

    response = client.get(article.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<h1") == 1
    assert '<h1 class="story__headline">Biden administration ready to talk</h1>' in body
    assert "Talks in January." in body
    assert "Jim Borg</a>" in body and "Ann Lee</a>" in body
    assert body.count("<time datetime=") == 2
    assert "<figure" in body
    assert '<span class="caption">White House.</span>' in body
    assert '<span class="credit">Reuters / Jim Borg</span>' in body
    assert "Source: agencies" in body
    assert 'href="/tag/diplomacy/"' in body
    assert 'href="/region/europe/"' in body
    assert 'href="/section/world/"' in body
    # The "read more" link sits between the first and second paragraphs.
    first = body.index("First paragraph.")
    read_more = body.index(target.get_absolute_url())
    second = body.index("Second paragraph.")
    assert first < read_more < second
    assert "Putin speaks on missiles" in body[read_more:second]
    see_also = body.index("See also")
    assert "Astronaut photos" in body[see_also:]


def test_authors_regions_and_tags_show_in_their_order(client):
    # Bylines in the order the editor set, regions in menu order, tags by name.
    zara, adam = make_author(name="Zara Byline"), make_author(name="Adam Byline")
    late = make_region(name="Zone Late", slug="zone-late", position=9)
    early = make_region(name="Zone Early", slug="zone-early", position=1)
    article = make_article(
        authors=[zara, adam], regions=[late, early], tags=["zebra", "apple", "Mango"]
    )
    body = client.get(article.get_absolute_url()).content.decode()
    story = body[body.index('class="story__header"') :]
    assert story.index("Zara Byline") < story.index("Adam Byline")
    assert story.index("Zone Early") < story.index("Zone Late")
    footer = body[body.index('class="tags"') :]
    places = [
        footer.index(f'href="/tag/{tag}/"') for tag in ("apple", "mango", "zebra")
    ]
    assert places == sorted(places)


def test_renamed_author_region_and_tag_show_at_once(client):
    author = make_author(name="Old Author Name")
    region = make_region(name="Old Region Name")
    article = make_article(authors=[author], regions=[region], tags=["old tag name"])
    assert "Old Author Name" in client.get(article.get_absolute_url()).content.decode()

    author.name = "New Author Name"
    author.save()
    region.name = "New Region Name"
    region.save()
    tag = article.tags.get()
    tag.name = "new tag name"
    tag.save()
    body = client.get(article.get_absolute_url()).content.decode()
    assert "New Author Name" in body and "Old Author Name" not in body
    assert "New Region Name" in body and "Old Region Name" not in body
    assert "new tag name" in body and "old tag name" not in body


def test_read_more_link_shows_the_target_current_headline(client):
    target = make_article(headline="Old headline")
    article = make_article()
    ReadMoreLink.objects.create(article=article, target=target)
    target.headline = "New headline after edit"
    target.save()
    body = client.get(article.get_absolute_url()).content.decode()
    assert "New headline after edit" in body
    assert "Old headline" not in body


def test_links_to_unpublished_stories_are_hidden(client):
    draft = make_article(headline="Secret draft XQZ", status=Article.Status.DRAFT)
    article = make_article()
    ReadMoreLink.objects.create(article=article, target=draft)
    link = SeeAlsoLink.objects.create(article=article, target=draft)
    assert (
        "Secret draft XQZ"
        not in client.get(article.get_absolute_url()).content.decode()
    )

    draft.status = Article.Status.PUBLISHED
    draft.published_at = timezone.now()
    draft.save()
    body = client.get(article.get_absolute_url()).content.decode()
    assert body.count("Secret draft XQZ") == 2
    assert link.link_url in body


def test_external_see_also_link(client):
    article = make_article()
    SeeAlsoLink.objects.create(
        article=article, url="https://example.org/report", title="The full report"
    )
    body = client.get(article.get_absolute_url()).content.decode()
    assert (
        '<a href="https://example.org/report" rel="noopener">The full report</a>'
        in body
    )


def test_draft_article_is_404_for_readers(client):
    article = make_article(headline="Unseen", status=Article.Status.DRAFT)
    assert client.get(article.get_absolute_url()).status_code == 404
    article.status = Article.Status.PUBLISHED
    article.save()
    page = client.get(article.get_absolute_url()).text
    assert '<h1 class="story__headline">Unseen</h1>' in page


def test_scheduled_article_is_404_until_its_time(client):
    article = make_article(published_at=timezone.now() + timedelta(minutes=30))
    assert client.get(article.get_absolute_url()).status_code == 404
    Article.objects.filter(pk=article.pk).update(published_at=timezone.now())
    page = client.get(article.get_absolute_url()).text
    assert f'<h1 class="story__headline">{article.headline}</h1>' in page


def test_changed_slug_redirects_permanently_to_the_new_address(client):
    article = make_article(slug="first-slug")
    old_url = article.get_absolute_url()
    article.slug = "second-slug"
    article.save()
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == f"/news/{article.pk}/second-slug/"
    page = client.get(response["Location"]).text
    assert f'<h1 class="story__headline">{article.headline}</h1>' in page


def test_short_address_redirects_to_the_story(client):
    article = make_article(slug="short")
    response = client.get(f"/news/{article.pk}/")
    assert response.status_code == 301
    assert response["Location"] == f"/news/{article.pk}/short/"


def test_unknown_story_is_404_in_site_design(client):
    response = client.get("/news/999999/nothing-here/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert 'class="masthead"' in response.content.decode()


def test_video_story_embeds_privacy_friendly_player(client):
    article = make_article(
        kind=Article.Kind.VIDEO,
        video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    )
    body = client.get(article.get_absolute_url()).content.decode()
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in body
    assert 'title="Video: ' in body


def test_gallery_story_shows_its_photos_in_order(client):
    article = make_article(kind=Article.Kind.GALLERY)
    for position, caption in enumerate(["Launch", "Orbit", "Landing"]):
        GalleryImage.objects.create(
            article=article, image=make_image(caption=caption), position=position
        )
    body = client.get(article.get_absolute_url()).content.decode()
    assert body.index("Launch") < body.index("Orbit") < body.index("Landing")
    assert "3 / 3" in body


def test_hostile_body_html_never_reaches_the_page(client):
    article = make_article(
        body='<p onclick="steal()">Hi<script>alert(1)</script>'
        '<a href="javascript:alert(2)">x</a><img src=x onerror=alert(3)></p>'
    )
    body = client.get(article.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in body
    assert "steal()" not in body
    assert "javascript:" not in body
    assert "onerror" not in body
    assert '<p dir="ltr">Hi' in body


def test_lead_image_uses_sized_renditions(client):
    article = make_article(lead_image=make_image(size=(1400, 800)))
    body = client.get(article.get_absolute_url()).content.decode()
    assert 'type="image/webp"' in body
    assert " 320w" in body and " 1280w" in body
    assert 'width="1400" height="800"' in body


@pytest.mark.parametrize("extra", [1, 10])
def test_article_page_query_count_is_fixed(
    client, django_assert_max_num_queries, settings, extra
):
    image = make_image()
    article = make_article(
        lead_image=image,
        source=make_source(),
        regions=[make_region() for _ in range(extra)],
        authors=[make_author() for _ in range(extra)],
        tags=[f"tag-{n}" for n in range(extra)],
        kind=Article.Kind.GALLERY,
    )
    for n in range(extra):
        other = make_article()
        ReadMoreLink.objects.create(article=article, target=other)
        SeeAlsoLink.objects.create(article=article, target=other, position=n)
        GalleryImage.objects.create(article=article, image=image, position=n)
        StoryViews.objects.create(article=other, day=timezone.localdate(), views=n)
    # Expect 9 queries: the story, one for its bylines, regions and tags and
    # which parts it has, its read-more links, see-also links and gallery (it
    # has no corrections or updates), then, once per content version, the two
    # "Most read" lists and the navigation's sections and regions.
    # Plus 1 on the first render after a story is saved: what is
    # scheduled (purge.upcoming_changes()).
    with django_assert_max_num_queries(9 + 1):
        response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    settings.PAGE_CACHE_SECONDS = 0
    with django_assert_max_num_queries(5):
        assert client.get(article.get_absolute_url()).content == response.content


def test_a_story_without_links_gallery_or_notes_needs_no_queries_for_them(
    client, django_assert_max_num_queries, settings
):
    settings.PAGE_CACHE_SECONDS = 0
    author = make_author(name="Ayesha Khan")
    article = make_article(
        regions=[make_region(name="Asia Pacific")], authors=[author], tags=["floods"]
    )
    client.get(article.get_absolute_url())
    # The story, and one query for its bylines, regions and tags.
    with django_assert_max_num_queries(2):
        page = client.get(article.get_absolute_url()).content.decode()
    assert "Ayesha Khan" in page and "Asia Pacific" in page and "floods" in page
    assert "See also" not in page and "Corrections and updates" not in page


def test_withdrawn_story_answers_410_gone_with_a_notice(client):
    article = make_article(headline="Withdrawn marker WDN", slug="withdrawn-one")
    shown = '<h1 class="story__headline">Withdrawn marker WDN</h1>'
    assert shown in client.get(article.get_absolute_url()).text
    article.status = Article.Status.WITHDRAWN
    article.save()

    response = client.get(article.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 410
    assert "This story has been withdrawn" in body
    assert "Withdrawn marker WDN" not in body
    assert 'class="masthead"' in body
    assert '<meta name="robots" content="noindex">' in body
    assert client.get(f"/news/{article.pk}/").status_code == 410
    assert client.get(f"/news/{article.pk}/another-slug/").status_code == 410

    article.status = Article.Status.PUBLISHED
    article.save()
    assert shown in client.get(article.get_absolute_url()).text


def test_withdrawn_story_page_query_count(client, django_assert_max_num_queries):
    article = make_article(status=Article.Status.WITHDRAWN)
    # Expect 4 queries: the published story (none), the withdrawn check, and
    # the navigation's sections and regions.
    # Plus 1 on the first render after a story is saved: what is
    # scheduled (purge.upcoming_changes()).
    with django_assert_max_num_queries(4 + 1):
        assert client.get(article.get_absolute_url()).status_code == 410


def test_corrections_and_updates_show_with_their_dates(client):
    article = make_article()
    ArticleNote.objects.create(
        article=article,
        kind=ArticleNote.Kind.CORRECTION,
        text="An earlier version misnamed the bishop.",
    )
    ArticleNote.objects.create(
        article=article, kind=ArticleNote.Kind.UPDATE, text="Police made two arrests."
    )
    body = client.get(article.get_absolute_url()).content.decode()
    assert "Corrections and updates" in body
    correction = body.index("An earlier version misnamed the bishop.")
    update = body.index("Police made two arrests.")
    assert correction < update
    assert "<strong>Correction</strong>" in body
    assert "<strong>Update</strong>" in body
    assert body.count('<time datetime="') == 3
