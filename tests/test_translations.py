"""The readers' interface in Urdu: Django's i18n on the Jinja2 pages, the
catalogue in locale/ur, Urdu dates, and sections' and regions' Urdu names.

Urdu pages are asked for at their /ur/ addresses; English pages must read
exactly as before."""

import gettext
import re
import subprocess
import sys
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from articles import cards
from articles.models import Article, ArticleNote, SeeAlsoLink
from articles.templatetags.articles_tags import short_time

from .factories import make_article, make_author, make_region, make_section

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "locale" / "ur" / "LC_MESSAGES"
KARACHI = ZoneInfo("Asia/Karachi")
PUBLISHED = datetime(2026, 3, 5, 9, 30, tzinfo=KARACHI)


def catalogue():
    with (LOCALE / "django.po").open("rb") as file:
        return read_po(file, locale="ur")


def get(client, url: str, language: str, status: int = 200) -> str:
    """The page as a reader of `language` gets it, freshly rendered (the page
    and card caches would otherwise answer the second language with the
    first's page, as the same address is asked twice here)."""
    cache.clear()
    cards.kept_cards.clear()
    if language == "ur" and not url.startswith("/ur/"):
        url = f"/ur{url}"  # The Urdu pages' addresses (newsroom/languages.py).
    with translation.override(language):
        response = client.get(url)
    assert response.status_code == status
    return response.content.decode()


class VisibleText(HTMLParser):
    """What a reader sees or hears: the title, the body's text, and the
    labels screen readers speak (aria-label, title, placeholder, alt)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0
        self.in_title = False
        self.in_body = False

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        self.in_title = tag == "title" or self.in_title
        self.in_body = tag == "body" or self.in_body
        if self.in_body:
            for name, value in attrs:
                if name in ("aria-label", "title", "placeholder", "alt") and value:
                    self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        if tag == "title":
            self.in_title = False

    def handle_data(self, data):
        if not self.skip and (self.in_body or self.in_title):
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_interface_strings() -> set[str]:
    """The catalogue's English text, cut at its placeholders ("News from
    %(name)s" gives "News from"): the pieces with a letter in them."""
    pieces = set()
    for message in catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for msgid in ids:
            for piece in re.split(r"%\(\w+\)[sd]", msgid):
                piece = piece.strip(" :,.–—“”()")
                if re.search(r"[A-Za-z]", piece):
                    pieces.add(piece)
    return pieces


def english_left_in(text: str) -> list[str]:
    return sorted(
        piece
        for piece in english_interface_strings()
        if re.search(rf"(?<![\w]){re.escape(piece)}(?![\w])", text)
    )


@pytest.fixture
def urdu_story():
    """An Urdu story with every part the story page can show, in a section
    and a region that have Urdu names."""
    section = make_section(name="World", slug="world", name_ur="دنیا")
    region = make_region(name="Europe", slug="europe", name_ur="یورپ")
    africa = make_region(name="Africa", slug="africa", name_ur="افریقہ")
    other = make_article(
        headline="دوسری خبر", standfirst="دوسری خبر کا خلاصہ۔", section=section
    )
    article = make_article(
        headline="لاہور میں کرسمس کی تیاریاں",
        standfirst="شہر کے گرجا گھروں میں رونق۔",
        body="<p>پہلا پیراگراف۔</p><p>دوسرا پیراگراف۔</p>",
        language="ur",
        section=section,
        regions=[region, africa],
        authors=[make_author(name="عائشہ خان"), make_author(name="یوسف مسیح")],
        tags=["کرسمس"],
        published_at=PUBLISHED,
        is_breaking=True,
    )
    SeeAlsoLink.objects.create(article=article, position=0, target=other)
    ArticleNote.objects.create(
        article=article, kind=ArticleNote.Kind.CORRECTION, text="نام درست کیا گیا۔"
    )
    return article


# The catalogue.


def test_every_string_of_the_catalogue_is_translated_and_none_is_fuzzy():
    messages = [message for message in catalogue() if message.id]
    assert len(messages) > 100
    assert not catalogue().fuzzy
    untranslated = [
        message.id
        for message in messages
        if not all(message.string if message.pluralizable else [message.string])
    ]
    fuzzy = [message.id for message in messages if message.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_translations_keep_the_placeholders_of_the_english():
    # Babel's checks: the same %(name)s placeholders on both sides.
    problems = [
        (message.id, [str(error) for error in errors])
        for message, errors in catalogue().check()
    ]
    assert problems == []


def test_translations_are_in_urdu_script():
    arabic_letter = re.compile(r"[\u0600-\u06ff]")
    for message in catalogue():
        if not message.id:
            continue
        strings = message.string if message.pluralizable else [message.string]
        for string in strings:
            text = re.sub(r"%\(\w+\)[sd]", "", string)
            if re.search(r"[A-Za-z]", text) or not arabic_letter.search(text):
                assert text.strip(" ،,") == "", (message.id, string)


def test_compiled_catalogue_matches_the_po_file():
    with (LOCALE / "django.mo").open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    for message in catalogue():
        if not message.id:
            continue
        if message.pluralizable:
            singular, plural = message.id
            for n, expected in zip((1, 2), message.string, strict=True):
                if message.context:
                    got = compiled.npgettext(message.context, singular, plural, n)
                else:
                    got = compiled.ngettext(singular, plural, n)
                assert got == expected, message.id
        elif message.context:
            assert compiled.pgettext(message.context, message.id) == message.string
        else:
            assert compiled.gettext(message.id) == message.string, message.id


def test_catalogue_has_every_string_the_templates_and_code_mark(tmp_path):
    # What `make messages` extracts (babel.cfg) is all in the .po.
    pot = tmp_path / "django.pot"
    subprocess.run(
        [
            str(Path(sys.executable).with_name("pybabel")),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "--ignore-dirs=migrations",
            "-k",
            "gettext_lazy",
            "-k",
            "gettext_noop",
            "-k",
            "pgettext_lazy:1c,2",
            "-o",
            str(pot),
            ".",
        ],
        cwd=settings.BASE_DIR,
        check=True,
    )
    with pot.open("rb") as file:
        marked = {(message.context, message.id) for message in read_po(file)}
    translated = {(message.context, message.id) for message in catalogue()}
    assert marked - translated == set()


# Pages.


def test_urdu_story_page_shows_the_interface_in_urdu(client, urdu_story):
    body = get(client, urdu_story.get_absolute_url(), "ur")
    assert "<title>لاہور میں کرسمس کی تیاریاں – پاکستان کرسچن ٹی وی</title>" in body
    assert ">صفحۂ اول</a>" in body
    assert '<p class="label label--breaking">بریکنگ نیوز</p>' in body
    assert "تحریر:" in body
    assert "عائشہ خان</a> اور" in body
    assert 'یورپ</a>، <a href="/ur/region/africa/">افریقہ</a>' in body
    assert "یہ بھی پڑھیے" in body
    assert "تصحیحات اور اضافے" in body
    assert "<strong>تصحیح</strong>" in body
    assert "اصل مواد پر جائیں" in body
    assert "سب سے زیادہ پڑھی جانے والی" in body


def test_english_story_page_keeps_its_english(client, urdu_story):
    urdu_story.language = "en"  # Its names stay Urdu: a story's content.
    urdu_story.save()
    body = get(client, urdu_story.get_absolute_url(), "en")
    assert "<title>لاہور میں کرسمس کی تیاریاں – Pakistan Christian TV</title>" in body
    assert ">Home</a>" in body
    assert '<p class="label label--breaking">Breaking</p>' in body
    assert "عائشہ خان</a> and" in body
    assert 'Europe</a>, <a href="/region/africa/">Africa</a>' in body
    assert '<h2 id="see-also-heading">See also</h2>' in body
    assert "<strong>Correction</strong>" in body
    assert "یہ بھی پڑھیے" not in body


def test_story_dates_use_urdu_month_names_on_urdu_pages(client, urdu_story):
    urdu = get(client, urdu_story.get_absolute_url(), "ur")
    assert "شائع شدہ <time" in urdu
    assert ">5 مارچ 2026، 09:30</time>" in urdu
    assert "March" not in visible_text(urdu)

    urdu_story.language = "en"
    urdu_story.save()
    english = get(client, urdu_story.get_absolute_url(), "en")
    assert "Published <time" in english
    assert ">5 March 2026, 09:30 PKT</time>" in english


def test_cards_dates_and_section_names_follow_the_language(client, urdu_story):
    make_article(section=urdu_story.section, published_at=PUBLISHED)  # English.
    urdu = get(client, "/", "ur")
    assert ">5 مارچ 2026، 09:30</time>" in urdu  # The story's card.
    assert '<a class="kicker" href="/ur/section/world/">دنیا</a>' in urdu

    english = get(client, "/", "en")
    assert ">5 Mar 2026, 09:30</time>" in english
    assert '<a class="kicker" href="/section/world/">World</a>' in english


def test_short_dates_of_the_latest_list_follow_the_language():
    with translation.override("ur"):
        assert short_time(PUBLISHED) == "5 مارچ"
    with translation.override("en"):
        assert short_time(PUBLISHED) == "5 Mar"


def test_navigation_shows_urdu_names_and_falls_back_to_english(client, urdu_story):
    make_section(name="Unnamed Section", slug="unnamed")
    urdu = get(client, "/", "ur")
    assert '<a href="/ur/section/world/">دنیا</a>' in urdu
    assert '<a href="/ur/region/europe/">یورپ</a>' in urdu
    assert '<a href="/ur/section/unnamed/">Unnamed Section</a>' in urdu

    english = get(client, "/", "en")
    assert '<a href="/section/world/">World</a>' in english
    assert '<a href="/region/europe/">Europe</a>' in english
    assert "دنیا" not in english


def test_section_and_region_pages_have_urdu_headings_and_titles(client, urdu_story):
    section = get(client, "/section/world/", "ur")
    assert "<title>دنیا کی خبریں – پاکستان کرسچن ٹی وی</title>" in section
    assert "<h1>دنیا</h1>" in section
    region = get(client, "/region/europe/", "ur")
    assert "<title>یورپ سے خبریں – پاکستان کرسچن ٹی وی</title>" in region
    assert '<p class="page-header__kicker">خطہ</p>' in region

    english = get(client, "/region/europe/", "en")
    assert "<title>News from Europe – Pakistan Christian TV</title>" in english


def test_search_page_in_urdu(client, urdu_story):
    empty = get(client, "/search/", "ur")
    assert "<h1>تلاش</h1>" in empty
    assert "تمام شعبے" in empty
    assert '<option value="world">دنیا</option>' in empty

    missing = get(client, "/search/?q=zzzqqq", "ur")
    assert "“zzzqqq” سے کوئی خبر نہیں ملی۔" in missing

    english = get(client, "/search/?q=zzzqqq", "en")
    assert "No stories matched “zzzqqq”." in english


def test_search_results_count_in_urdu_plural(
    client, urdu_story, django_capture_on_commit_callbacks
):
    # Searching Urdu words is the Urdu search's business; these match on
    # every database (PostgreSQL indexes a story once its save commits).
    for n, language in [(1, "ur"), (2, "ur"), (1, "en"), (2, "en")]:
        with django_capture_on_commit_callbacks(execute=True):
            make_article(
                headline=f"Lahore market {n}",
                section=urdu_story.section,
                language=language,
            )
    body = get(client, "/search/?q=Lahore", "ur")
    assert "“Lahore” کے لیے 2 خبریں، سب سے موزوں پہلے۔" in body
    english = get(client, "/search/?q=Lahore", "en")
    assert "2 stories for “Lahore”, best matches first." in english


def test_withdrawn_story_and_404_in_urdu(client, urdu_story):
    urdu_story.status = Article.Status.WITHDRAWN
    urdu_story.save()
    withdrawn = get(client, urdu_story.get_absolute_url(), "ur", status=410)
    assert "<h1>یہ خبر واپس لے لی گئی ہے</h1>" in withdrawn
    assert "پاکستان کرسچن ٹی وی نے یہ خبر ہٹا دی ہے۔" in withdrawn

    missing = get(client, "/section/no-such-section/", "ur", status=404)
    assert "<h1>صفحہ نہیں ملا</h1>" in missing
    english = get(client, "/section/no-such-section/", "en", status=404)
    assert "<h1>Page not found</h1>" in english


@pytest.mark.parametrize(
    ("template", "context", "urdu", "english"),
    [
        ("400.html", {}, "<h1>غلط درخواست</h1>", "<h1>Bad request</h1>"),
        ("500.html", {}, "<h1>کچھ گڑبڑ ہو گئی</h1>", "<h1>Something went wrong</h1>"),
        (
            "503.html",
            {},
            "<h1>ہم تھوڑی دیر میں واپس آئیں گے</h1>",
            "<h1>We'll be back in a moment</h1>",
        ),
        (
            "503.html",
            {"not_saved": True},
            "<h1>آپ کی تبدیلیاں محفوظ نہیں ہوئیں</h1>",
            "<h1>Your changes were NOT saved</h1>",
        ),
    ],
)
def test_error_pages_in_urdu(template, context, urdu, english):
    with translation.override("ur"):
        page = render_to_string(template, context)
    assert urdu in page
    assert "– پاکستان کرسچن ٹی وی</title>" in page
    assert english_left_in(visible_text(page)) == []
    with translation.override("en"):
        assert english in render_to_string(template, context)


def test_feeds_titles_in_urdu(client, urdu_story):
    urdu = get(client, "/region/europe/feed/", "ur")
    assert "<title>یورپ سے خبریں – پاکستان کرسچن ٹی وی</title>" in urdu
    assert "<description>یورپ سے تازہ ترین خبریں۔</description>" in urdu
    english = get(client, "/region/europe/feed/", "en")
    assert "<title>News from Europe – Pakistan Christian TV</title>" in english


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "story",
        "/section/world/",
        "/region/europe/",
        "/video/",
        "/search/",
        "/search/?q=کرسمس",
        "/search/?q=zzzqqq",
        "/most-read/",
        "/section/no-such-section/",
    ],
)
def test_urdu_pages_have_no_english_interface_text(client, urdu_story, url):
    make_article(
        headline="ویڈیو خبر",
        standfirst="ویڈیو کا خلاصہ۔",
        kind=Article.Kind.VIDEO,
        video_url="https://www.youtube.com/watch?v=aqz-KE-bpKQ",
        section=urdu_story.section,
        language="ur",
    )
    url = urdu_story.get_absolute_url() if url == "story" else url
    status = 404 if "no-such" in url else 200
    text = visible_text(get(client, url, "ur", status=status))
    assert re.search(r"[\u0600-\u06ff]", text)
    assert english_left_in(text) == []
    # Nor any other Latin word but the logo's letters, the query typed and
    # the language switch's link to English (named in its own language).
    assert set(re.findall(r"[A-Za-z]+", text)) <= {"PCTV", "zzzqqq", "English"}


def test_the_no_english_check_finds_english_interface_text(urdu_story):
    # The check above, shown to catch an untranslated string.
    assert english_left_in("صفحۂ اول See also دنیا") == ["See also"]
    assert english_left_in(visible_text("<body><nav aria-label='Pages'></nav>")) == [
        "Pages"
    ]


def test_author_and_tag_pages_in_urdu(client, urdu_story):
    author = urdu_story.bylines.first().author
    body = get(client, author.get_absolute_url(), "ur")
    assert '<p class="page-header__kicker">مصنف</p>' in body
    assert english_left_in(visible_text(body)) == []
    tag = urdu_story.tags.first()
    body = get(client, tag.get_absolute_url(), "ur")
    assert '<p class="page-header__kicker">موضوع</p>' in body
    assert english_left_in(visible_text(body)) == []


def test_breadcrumb_json_ld_names_the_front_page_in_urdu(urdu_story):
    from articles.seo import breadcrumbs

    request = RequestFactory().get("/")
    with translation.override("ur"):
        trail = breadcrumbs(urdu_story, "https://example.com/x", request)
    names = [item["name"] for item in trail["itemListElement"]]
    assert names == ["صفحۂ اول", "دنیا", "لاہور میں کرسمس کی تیاریاں"]
