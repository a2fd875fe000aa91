"""Right to left: the reading direction of each block of a story's body and
of single lines (headlines, standfirsts, captions), and the stylesheet and
font that serve both directions."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.utils import translation

from articles.html import dir_attr, sanitize, set_directions, text_direction

from .factories import make_article, make_image

URDU = "پاکستان میں بارش سے سیلاب آ گیا"
ENGLISH = "Floods after heavy rain in Pakistan"


def test_text_direction_counts_letters_not_digits_or_punctuation():
    assert text_direction(URDU) == "rtl"
    assert text_direction(ENGLISH) == "ltr"
    assert text_direction("یہ BBC News کی خبر ہے") == "rtl"
    assert text_direction("He told BBC Urdu: شکریہ") == "ltr"
    assert text_direction("ab اب") == "auto"
    assert text_direction("2026 — 15%") is None
    assert text_direction("۲۰۲۶") is None


def test_each_block_gets_the_direction_of_most_of_its_letters():
    body = set_directions(
        sanitize(
            f"<p>{URDU}، <a href='https://bbc.com/urdu'>BBC News</a> کے مطابق</p>"
            "<p>The bishop closed his sermon with one word: «شکریہ»</p>"
            f"<h2>{URDU}</h2><blockquote><p>{URDU}</p></blockquote>"
            f"<ul><li>{ENGLISH}</li><li>{URDU}</li><li>1947</li></ul>"
        )
    )
    assert body.startswith(f'<p dir="rtl">{URDU}، <a href="https://bbc.com/urdu"')
    assert '<p dir="ltr">The bishop closed' in body
    assert f'<h2 dir="rtl">{URDU}</h2>' in body
    assert f'<blockquote dir="rtl"><p dir="rtl">{URDU}</p></blockquote>' in body
    assert f'<ul><li dir="ltr">{ENGLISH}</li><li dir="rtl">{URDU}</li>' in body
    # No letters: it reads the way the text around it does.
    assert "<li>1947</li>" in body


def test_a_direction_the_editor_set_is_kept():
    body = set_directions(sanitize(f'<p dir="ltr">{URDU}</p><p dir="auto">x</p>'))
    assert body == f'<p dir="ltr">{URDU}</p><p dir="auto">x</p>'


@pytest.mark.parametrize(
    "value", ["rtl; color: red", "up", "", "rtl rtl", "javascript:x", "ltr\u202e"]
)
def test_sanitize_refuses_other_dir_values(value):
    assert sanitize(f'<p dir="{value}">x</p>') == "<p>x</p>"


@pytest.mark.parametrize("value", ["auto", "ltr", "rtl"])
def test_sanitize_keeps_dir_auto_ltr_rtl(value):
    assert sanitize(f'<p dir="{value}">x</p>') == f'<p dir="{value}">x</p>'
    assert sanitize(f'<em dir="{value}">x</em>') == f'<em dir="{value}">x</em>'


def test_dir_attr_marks_only_lines_that_read_the_other_way():
    with translation.override("en"):
        assert dir_attr(URDU) == ' dir="rtl"'
        assert dir_attr(ENGLISH) == ""
        assert dir_attr("") == ""
        assert dir_attr(None) == ""
        assert dir_attr("ab اب") == ' dir="auto"'
    with translation.override("ur"):
        assert dir_attr(ENGLISH) == ' dir="ltr"'
        assert dir_attr(URDU) == ""
        assert dir_attr("2026") == ""


@pytest.mark.django_db
def test_urdu_story_page_gives_headline_and_body_their_direction(client):
    article = make_article(
        language="ur",
        headline=URDU,
        standfirst="Reuters",
        body=f"<p>{URDU}</p><p>Press release in English.</p>",
        lead_image=make_image(),
        lead_image_caption=URDU,
    )
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'<p dir="rtl">{URDU}</p>' in page
    assert '<p dir="ltr">Press release in English.</p>' in page
    assert '<html lang="ur" dir="rtl">' in page
    # Lines that read the page's way need no dir; an English one gets it.
    assert f'<h1 class="story__headline">{URDU}</h1>' in page
    assert f'<span class="caption">{URDU}</span>' in page
    assert '<p class="story__standfirst" dir="ltr">Reuters</p>' in page


@pytest.mark.django_db
def test_stored_bodies_get_their_direction_when_shown():
    article = make_article(body="<p>Old story.</p>")
    type(article).objects.filter(pk=article.pk).update(body=f"<p>{URDU}</p>")
    article.refresh_from_db()
    assert [block for block, _ in article.body_blocks()] == [f'<p dir="rtl">{URDU}</p>']


@pytest.mark.django_db
def test_english_pages_keep_english_lines_unmarked(client):
    article = make_article(headline=ENGLISH, standfirst="Talks in January.")
    page = client.get("/").content.decode()
    assert f">{ENGLISH}</a>" in page
    assert 'class="card__title">' in page
    assert 'class="card__title" dir=' not in page
    assert 'dir="rtl"' not in page
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'<h1 class="story__headline">{ENGLISH}</h1>' in page


def test_one_stylesheet_for_both_directions():
    css = Path(finders.find("css/site.css")).read_text()
    properties = re.findall(r"^\s+([a-z-]+):", css, flags=re.MULTILINE)
    physical = {"left", "right", "float", "clear"} | {
        p for p in properties if p.endswith(("-left", "-right"))
    }
    assert not physical & set(properties)
    assert "text-align: left" not in css
    assert "text-align: right" not in css


def test_urdu_font_is_served_and_only_urdu_text_uses_it():
    css = re.sub(
        r"/\*.*?\*/", "", Path(finders.find("css/site.css")).read_text(), flags=re.S
    )
    face = re.search(r"@font-face \{(.*?)\}", css, flags=re.DOTALL).group(1)
    assert "font-display: swap" in face
    assert 'url("../fonts/noto-nastaliq-urdu.woff2") format("woff2")' in face
    assert "U+0600-06FF" in face
    # Outside the @font-face rule, the family is named only under :lang(ur).
    rules = css.replace(face, "")
    for match in re.finditer("Noto Nastaliq Urdu", rules):
        selector = rules[: match.start()].rsplit("}", 1)[1]
        assert selector.strip().startswith(":lang(ur)")
    font = Path(finders.find("fonts/noto-nastaliq-urdu.woff2"))
    assert font.read_bytes()[:4] == b"wOF2"
    assert font.stat().st_size < 110_000
    assert "SIL Open Font License" in Path(finders.find("fonts/OFL.txt")).read_text()
