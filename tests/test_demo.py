import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from taggit.models import Tag

from articles.context_processors import navigation
from articles.frontpage import front_page_stories
from articles.models import (
    Article,
    Author,
    Byline,
    GalleryImage,
    Image,
    ReadMoreLink,
    Region,
    Section,
    SeeAlsoLink,
    Source,
)

SAMPLE_HEADLINE = (
    "Biden administration: We are ready to discuss Russian security proposals in "
    "January, and there are conditions that we will never agree to meet"
)
PUTIN_HEADLINE = (
    "Putin: The West brought its missiles to our doorstep, and it must provide us "
    "with security guarantees here and immediately!"
)
GALLERY_HEADLINE = (
    "Emirati astronaut Hazza Al Mansouri: She carried the Israeli flag to the "
    "International Space Station (photos)"
)
COUNTED_MODELS = [
    Article,
    Image,
    Section,
    Region,
    Source,
    Author,
    Byline,
    GalleryImage,
    SeeAlsoLink,
    ReadMoreLink,
    Tag,
]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED_MODELS}


@pytest.fixture
def demo(demo_media) -> None:
    call_command("load_demo", stdout=StringIO())


@pytest.mark.django_db
def test_running_load_demo_twice_duplicates_nothing(demo_media):
    first_output = StringIO()
    call_command("load_demo", stdout=first_output)
    after_first = counts()
    second_output = StringIO()
    call_command("load_demo", stdout=second_output)

    assert counts() == after_first
    assert after_first["Image"] >= 25
    assert Article.objects.published().count() >= 38
    assert "Loaded demo content" in first_output.getvalue()
    assert "already loaded" in second_output.getvalue()
    assert "(0 new)" in second_output.getvalue()


@pytest.mark.django_db
def test_demo_covers_every_section_region_and_story_kind(demo):
    published = Article.objects.published()
    for section in Section.objects.all():
        assert published.filter(section=section).exists(), section.name
    assert list(Region.objects.values_list("slug", flat=True)) == [
        "us",
        "europe",
        "asia-pacific",
        "africa",
        "middle-east",
        "americas",
    ]
    for region in Region.objects.all():
        assert published.filter(regions=region).exists(), region.name

    videos = published.filter(kind=Article.Kind.VIDEO)
    assert videos.count() >= 2
    for video in videos:
        assert video.video_url.startswith("https://www.youtube.com/watch?v=")
        assert video.video_embed.startswith("https://www.youtube-nocookie.com/embed/")

    galleries = published.filter(kind=Article.Kind.GALLERY)
    assert galleries.count() >= 2
    for gallery in galleries:
        assert gallery.gallery_items.count() >= 3
        assert all(item.display_caption for item in gallery.gallery_items.all())

    assert published.filter(is_breaking=True).count() >= 3
    assert Author.objects.filter(photo__isnull=False).count() >= 2
    assert not Image.objects.filter(alt_text="").exists()

    # A draft and a scheduled story are in the database but readers see neither.
    draft = Article.objects.get(status=Article.Status.DRAFT)
    scheduled = Article.objects.get(
        status=Article.Status.PUBLISHED, published_at__gt=timezone.now()
    )
    assert not published.filter(pk__in=[draft.pk, scheduled.pk]).exists()


@pytest.mark.django_db
def test_sample_story_is_the_faithful_lead_with_its_links(demo):
    sample = Article.objects.published().get(headline=SAMPLE_HEADLINE)

    assert sample.front_page_rank == 1
    assert front_page_stories(*navigation())["lead"] == sample
    assert sample.section.name == "World"
    assert {region.slug for region in sample.regions.all()} == {"us", "europe"}
    assert sample.source.name == "agencies"
    assert sample.authors.exists()
    assert sample.lead_image.caption == "White House."
    assert sample.lead_image.credit == "Reuters / Jim Borg"
    assert "White House" in sample.lead_image.alt_text

    for text in [
        "would “never” agree to meet.",
        "through several channels… We assured Russia",
        "not in the public sphere.",
        "other areas “that can be explored.”",
        "On December 17, Russia published draft agreements",
        "Russian Deputy Foreign Minister Sergei Ryabkov stressed",
    ]:
        assert text in sample.body
    assert "read more" not in sample.body
    assert PUTIN_HEADLINE not in sample.body
    assert "demo content" not in sample.body

    first_block, links_after_first = sample.body_blocks()[0]
    assert "ready to hold discussions with Russia" in first_block
    assert [link.target.headline for link in links_after_first] == [PUTIN_HEADLINE]
    assert Article.objects.published().filter(headline=PUTIN_HEADLINE).exists()

    [see_also] = sample.see_also_links.all()
    assert see_also.target.headline == GALLERY_HEADLINE
    assert see_also.target.kind == Article.Kind.GALLERY
    assert see_also.target.gallery_items.count() >= 3
    assert Article.objects.published().filter(pk=see_also.target.pk).exists()


@pytest.mark.django_db
def test_every_link_on_the_demo_front_page_leads_to_a_working_page(client, demo_media):

    call_command("load_demo", verbosity=0)
    front = client.get("/").content.decode()
    links = set(re.findall(r'href="(/[^"]*)"', front))
    links = {link for link in links if not link.startswith("/static/")}
    assert len(links) > 40
    broken = [link for link in links if client.get(link).status_code != 200]
    assert broken == []
