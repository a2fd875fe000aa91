"""The demo data file: its times, its fields and what a mistake in it does.

tests/test_demo.py pins the content the real file gives; these tests load
small files of their own, written the way a journalist would edit one.
"""

import re
import tomllib
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.management.commands import load_demo
from articles.models import Article, Image, Section

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

SMALL_FILE = """
demo_note = "<p><em>Demo.</em></p>"
picture_credit = "Demo credit"

[[section]]
name = "World"
slug = "world"
description = "World news."

[[region]]
name = "Europe"
slug = "europe"

[[source]]
name = "agencies"

[[author]]
name = "Desk"
slug = "desk"
bio = "The desk."
photo = "square"

[picture.square]
label = "Square"
alt = "Demo square"
caption = "A square."
colours = ["#000000", "#ffffff"]
size = [64, 64]

[[story]]
slug = "first"
headline = "First story"
standfirst = "The first."
published = "-2d 4h 30m"
updated = "+3h"
section = "world"
regions = ["europe"]
source = "agencies"
authors = ["desk"]
tags = ["one"]
picture = "square"
see_also = ["later", { url = "https://example.com/", title = "Elsewhere" }]
body = '''
<p>It's the first paragraph.</p>

<p>The second
runs over two lines.</p>
'''

[[story]]
slug = "later"
headline = "Later story"
standfirst = "Scheduled."
published = "+1d"
section = "world"
regions = ["europe"]
source = "agencies"
authors = ["desk"]
tags = []
picture = "square"
read_more = [{ story = "first", after_paragraph = 1 }]
demo_note = false
body = '''
<p>Not yet.</p>
'''

[[story]]
slug = "draft"
headline = "A draft"
standfirst = "Unfinished."
status = "draft"
section = "world"
regions = ["europe"]
source = "agencies"
authors = ["desk"]
tags = []
picture = "square"
body = '''
<p>To do.</p>
'''
"""


@pytest.fixture
def data_file(tmp_path, monkeypatch):
    path = tmp_path / "stories.toml"
    path.write_text(SMALL_FILE)
    monkeypatch.setattr(load_demo, "DATA_FILE", path)
    return path


def load() -> str:
    output = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("load_demo", stdout=output)
    return output.getvalue()


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("-30m", -timedelta(minutes=30)),
        ("-6h", -timedelta(hours=6)),
        ("-2d 4h", -timedelta(days=2, hours=4)),
        ("-9d 4h 30m", -timedelta(days=9, hours=4, minutes=30)),
        ("+1d", timedelta(days=1)),
        (" +2d ", timedelta(days=2)),
    ],
)
def test_times_count_from_now(text, delta):
    assert load_demo.parse_offset(text) == delta


@pytest.mark.parametrize("text", ["3h", "-", "", "yesterday", "-3x", "-4h 2d"])
def test_a_time_without_sign_or_unit_is_refused(text):
    with pytest.raises(ValueError, match="is not a time like"):
        load_demo.parse_offset(text)


@pytest.mark.django_db
def test_small_file_loads_with_times_relative_to_now(data_file):
    output = load()

    assert output.startswith("Loaded demo content: 3 new stories, 3 in all")
    assert "(1 published, 2 hidden), 1 images (1 new)" in output
    first = Article.objects.get(slug="first")
    assert first.published_at == NOW - timedelta(days=2, hours=4, minutes=30)
    assert first.updated_at == first.published_at + timedelta(hours=3)
    # The blank line between paragraphs is gone, the one inside a paragraph
    # stays, and the demo note ends the body.
    assert first.body == (
        "<p>It's the first paragraph.</p><p>The second\nruns over two lines.</p>"
        "<p><em>Demo.</em></p>"
    )
    assert [str(link.target or link.url) for link in first.see_also_links.all()] == [
        "Later story",
        "https://example.com/",
    ]
    later = Article.objects.get(slug="later")
    assert later.published_at == NOW + timedelta(days=1)
    assert later.body == "<p>Not yet.</p>"
    assert [link.target.slug for link in later.read_more_links.all()] == ["first"]
    draft = Article.objects.get(slug="draft")
    assert draft.status == Article.Status.DRAFT
    assert draft.published_at is None
    with time_machine.travel(NOW, tick=False):
        assert list(Article.objects.published()) == [first]
    image = Image.objects.get()
    assert (image.width, image.height, image.credit) == (64, 64, "Demo credit")


@pytest.mark.django_db
def test_an_edited_story_is_updated_in_place_on_the_next_run(data_file):
    load()
    first = Article.objects.get(slug="first")
    data_file.write_text(SMALL_FILE.replace("First story", "First story, corrected"))

    output = load()

    assert "refreshed it: 0 new stories, 3 in all" in output
    assert "1 images (0 new)" in output
    assert Article.objects.count() == 3
    assert Article.objects.get(pk=first.pk).headline == "First story, corrected"


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        (
            ('picture = "square"\nsee', 'picture = "sqaure"\nsee'),
            "story first: there is no picture 'sqaure'",
        ),
        (('"+1d"', '"1d"'), "story later: '1d' is not a time"),
        (('section = "world"\nregions', "regions"), "story first: missing 'section'"),
        (('status = "draft"', 'status = "review"'), "story draft: status is"),
        (
            ('tags = ["one"]', 'tags = ["one"]\nkind = "vidoe"'),
            "story first: kind is one of story, video, gallery, not 'vidoe'",
        ),
        (('story = "first"', 'story = "frist"'), "there is no story 'frist'"),
        (('photo = "square"', 'photo = "round"'), "author desk: there is no picture"),
    ],
)
@pytest.mark.django_db
def test_a_mistake_in_the_file_is_named_and_loads_nothing(data_file, mistake, message):
    wrong, right = mistake
    assert wrong in SMALL_FILE
    data_file.write_text(SMALL_FILE.replace(wrong, right, 1))

    with pytest.raises(CommandError, match="stories.toml, ") as error:
        load()

    assert message in str(error.value)
    assert not Section.objects.exists()
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_not_toml_says_where(data_file):
    data_file.write_text(
        SMALL_FILE.replace('headline = "A draft"', "headline = A draft")
    )
    line = SMALL_FILE.splitlines().index('headline = "A draft"') + 1

    with pytest.raises(CommandError, match=rf"stories\.toml: .* line {line}\b"):
        load()


def test_every_story_field_in_the_demo_file_is_explained_at_its_top():
    text = load_demo.DATA_FILE.read_text()
    header = text[: text.index("[[section]]")]
    stories = tomllib.loads(text)["story"]
    fields = {field for story in stories for field in story}

    assert "published" in fields
    comments = [line for line in header.splitlines() if line.startswith("#")]
    explained = {word for line in comments for word in re.findall(r"\w+", line)}
    assert sorted(fields - explained) == []


URDU_STORY = """
[[story]]
slug = "pehli"
language = "ur"
translation = "first"
headline = "پہلی خبر"
standfirst = "پہلی۔"
published = "-1d"
rank = 1
section = "world"
regions = ["europe"]
source = "agencies"
authors = ["desk"]
tags = ["سیلاب"]
picture = "square"
body = '''
<p>پہلا پیراگراف۔</p>
'''
"""


@pytest.mark.django_db
def test_an_urdu_story_loads_linked_to_its_english_version(data_file):
    data_file.write_text(
        SMALL_FILE.replace(
            'picture_credit = "Demo credit"',
            'picture_credit = "Demo credit"\ndemo_note_ur = "<p><em>نمونہ۔</em></p>"',
        ).replace('see_also = ["later"', 'rank = 1\nsee_also = ["later"')
        + URDU_STORY
    )
    assert load().startswith("Loaded demo content: 4 new stories")
    urdu = Article.objects.get(slug="pehli")
    first = Article.objects.get(slug="first")
    assert (urdu.language, first.language) == ("ur", "en")
    assert urdu.translation == first
    assert first.translation == urdu
    # Each language's front page has its own rank 1.
    assert (urdu.front_page_rank, first.front_page_rank) == (1, 1)
    assert [tag.name for tag in urdu.tags.all()] == ["سیلاب"]
    assert urdu.body == "<p>پہلا پیراگراف۔</p><p><em>نمونہ۔</em></p>"
    links = [(s.pk, s.translation_id, s.front_page_rank) for s in Article.objects.all()]

    output = load()

    assert "refreshed it: 0 new stories, 4 in all" in output
    again = [(s.pk, s.translation_id, s.front_page_rank) for s in Article.objects.all()]
    assert again == links


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        (
            ('translation = "first"', 'translation = "frist"'),
            "there is no story 'frist'",
        ),
        (
            ('language = "ur"', 'language = "en"'),
            "its translation 'first' is in the same language ('en')",
        ),
        (('language = "ur"', 'language = "urdu"'), "language is one of en, ur"),
    ],
)
@pytest.mark.django_db
def test_a_wrong_language_or_translation_is_named_and_loads_nothing(
    data_file, mistake, message
):
    wrong, right = mistake
    data_file.write_text(SMALL_FILE + URDU_STORY.replace(wrong, right, 1))

    with pytest.raises(CommandError, match="stories.toml, story pehli: ") as error:
        load()

    assert message in str(error.value)
    assert not Article.objects.exists()


URDU_DEMO_NOTE = (
    "<p><em>یہ پاکستان کرسچن ٹی وی کی ویب سائٹ کا نمونے کا مواد ہے۔</em></p>"
)


@pytest.mark.django_db
def test_the_demo_file_has_an_urdu_front_page(demo_media):
    call_command("load_demo", stdout=StringIO())
    urdu = Article.objects.published().filter(language="ur")
    assert urdu.count() >= 12
    for section in Section.objects.all():
        assert urdu.filter(section=section).exists(), section.name
    assert urdu.filter(is_breaking=True).exists()
    assert sorted(
        urdu.exclude(front_page_rank=None).values_list("front_page_rank", flat=True)
    ) == [1, 2, 3, 4]
    for story in urdu:
        assert story.lead_image is not None, story.slug
        assert all("\u0600" <= tag.name[0] <= "\u06ff" for tag in story.tags.all())
        if not story.translation_id:  # the sample story's version has none
            assert story.body.endswith(URDU_DEMO_NOTE), story.slug
        # "See also" links stay in Urdu.
        assert {link.target.language for link in story.see_also_links.all()} <= {"ur"}
    assert urdu.filter(see_also_links__isnull=False).count() >= 10
    assert urdu.filter(authors__name="عائشہ نورین").exists()

    # The lead of the Urdu front page is the Urdu version of the sample story.
    lead = urdu.get(front_page_rank=1)
    sample = Article.objects.get(
        slug="biden-administration-ready-to-discuss-russian-security-proposals"
    )
    assert lead.translation == sample
    assert sample.translation == lead
    assert lead.lead_image == sample.lead_image
    assert lead.headline.startswith("بائیڈن انتظامیہ:")
    assert "سرگئی ریابکوف" in lead.body
    assert lead.body.count("<p>") == sample.body.count("<p>")
