"""The Urdu pages in headless Chromium at phone and desktop widths: right to
left without sideways scrolling, set in Noto Nastaliq Urdu with no glyph
box clipped, within the phone budget; and English pages never fetch the
font. Screenshots land in screenshots/ for people to look at."""

import gzip
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from fontTools.ttLib import TTFont

from .factories import make_article, make_image, make_section
from .test_browser import (  # noqa: F401 (fixture)
    PAGE_FACTS,
    RECORD_CSP_VIOLATIONS,
    SCREENSHOTS,
    WIDTHS,
    browser,
    scroll_through,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FONT = Path(settings.BASE_DIR) / "static" / "fonts" / "noto-nastaliq-urdu.woff2"
FAMILY = "Noto Nastaliq Urdu"
# What an Urdu article page may transfer on a phone, pictures aside.
PAGE_BUDGET = 150_000

HEADLINES = [
    "لاہور میں مسیحی برادری نے کرسمس کی تیاریاں شروع کر دیں",
    "سندھ میں سیلاب کے بعد امدادی کام جاری، ہزاروں خاندان بے گھر",
    "پاکستان کرکٹ ٹیم نے آسٹریلیا کو تین وکٹوں سے شکست دے دی",
    "کراچی اسٹاک ایکسچینج میں ریکارڈ تیزی، KSE-100 انڈیکس نئی بلندی پر",
    "اسلام آباد میں بین المذاہب ہم آہنگی پر کانفرنس کا انعقاد",
    "پشاور کے تاریخی چرچ کی بحالی کا کام مکمل ہو گیا",
]
BODY = (
    "<p>لاہور کے گرجا گھروں میں کرسمس کی تیاریاں زور و شور سے جاری ہیں۔"
    " بشپ آف لاہور نے کہا کہ اس سال ۲۵ دسمبر کو خصوصی دعائیہ تقریبات ہوں گی۔</p>"
    "<h2>شہر بھر میں سجاوٹ</h2>"
    "<p>شہریوں نے بتایا کہ Cathedral Church of the Resurrection میں روشنیاں"
    " لگائی جا رہی ہیں، اور مزید معلومات https://example.org پر دستیاب ہیں۔</p>"
    "<blockquote><p>ہم سب مل کر امن اور محبت کا پیغام دینا چاہتے ہیں۔</p></blockquote>"
    "<p>The Bishop of Lahore said the services would be open to everyone.</p>"
    "<ul><li>پہلی تقریب: ۲۴ دسمبر، رات ۱۱ بجے</li><li>دوسری تقریب: ۲۵ دسمبر</li></ul>"
)

# Each visible heading and line of text that Nastaliq could overflow: its
# font, size, line height, the tallest box its glyphs get, and whether a
# box around it hides what sticks out.
TEXT_BOXES = """() => [...document.querySelectorAll(
    "h1, h2, h3, h4, .breaking__label, .breaking__list a, .nav__list a, "
    + ".card__title a, .card__standfirst, .latest__list a, .story__standfirst, "
    + ".story__body p, .story__body li, figcaption"
)].filter(el => !el.closest(".visually-hidden") && el.getClientRects().length
    && el.textContent.trim()
).map(el => {
    const style = getComputedStyle(el);
    const range = document.createRange();
    range.selectNodeContents(el);
    const glyphBoxes = [...range.getClientRects()].map(r => r.height);
    let hidden = null;
    for (let box = el; box && box !== document.body; box = box.parentElement) {
        const s = getComputedStyle(box);
        const clips = s.overflowY !== "visible" || s.overflowX !== "visible";
        if (clips && box.scrollHeight > box.clientHeight + 1) hidden = box.className;
    }
    return {
        text: el.textContent.trim().slice(0, 30),
        heading: /^H[1-4]$/.test(el.tagName) || el.matches(".breaking__label"),
        family: style.fontFamily,
        size: parseFloat(style.fontSize),
        lineHeight: parseFloat(style.lineHeight),
        tallestGlyphBox: Math.max(...glyphBoxes),
        hidden,
    };
})"""

FONT_FACES = """async () => {
    await document.fonts.ready;
    return [...document.fonts].map(face => [face.family, face.status]);
}"""


def font_extent() -> float:
    """The font's ascent plus descent, in em, as the browser lays it out:
    the OS/2 typographic metrics when the font says to use them, else hhea
    (the larger of the two, to be safe)."""
    font = TTFont(FONT)
    os2, hhea = font["OS/2"], font["hhea"]
    extents = [hhea.ascent - hhea.descent]
    if os2.fsSelection & (1 << 7):  # USE_TYPO_METRICS
        extents.append(os2.sTypoAscender - os2.sTypoDescender)
    return max(extents) / font["head"].unitsPerEm


@pytest.fixture
def urdu_urls(live_server, settings):
    section = make_section(name="خبریں", slug="khabrein")
    image = make_image()
    stories = [
        make_article(
            language="ur",
            headline=headline,
            slug=f"urdu-{n}",
            standfirst="مسیحی برادری کے رہنماؤں نے شہریوں سے تعاون کی اپیل کی۔",
            body=BODY,
            section=section,
            lead_image=image,
            lead_image_caption="لاہور کا کیتھیڈرل، Reuters",
            front_page_rank=n + 1 if n < 4 else None,
            is_breaking=n == 1,
            breaking_until=timezone.now() + timedelta(hours=2),
        )
        for n, headline in enumerate(HEADLINES)
    ]
    make_article(headline="An English story", front_page_rank=1, lead_image=image)
    with translation.override("ur"):
        return {
            "front": reverse("articles:front-page"),
            "story": stories[0].get_absolute_url(),
        }


def wire_size(page, response) -> int:
    """The bytes a response takes on the wire in production: text gzipped
    (nginx and Varnish; whitenoise's brotli is smaller), fonts as they are.
    Bodies are fetched again: the browser drops some once it has used them."""
    request = response.request
    if request.method != "GET":
        return request.sizes()["responseBodySize"]
    body = page.request.get(response.url).body()
    if request.resource_type == "font":
        return len(body)
    return len(gzip.compress(body, compresslevel=6))


@pytest.mark.parametrize("width", WIDTHS)
def test_urdu_pages_are_set_in_nastaliq_and_nothing_is_clipped(
    browser,  # noqa: F811
    urdu_urls,
    live_server,
    width,
):
    SCREENSHOTS.mkdir(exist_ok=True)
    extent = font_extent()
    viewport_width, viewport_height = WIDTHS[width]
    page = browser.new_page(
        viewport={"width": viewport_width, "height": viewport_height}
    )
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    for name, url in urdu_urls.items():
        responses = []

        def heard(response, responses=responses):
            responses.append(response)

        page.on("response", heard)
        assert page.goto(live_server.url + url).status == 200, url
        scroll_through(page)
        faces = page.evaluate(FONT_FACES)
        page.remove_listener("response", heard)
        facts = page.evaluate(PAGE_FACTS)
        assert facts["lang"] == "ur", url
        assert page.evaluate("document.documentElement.dir") == "rtl", url
        assert facts["overflow"] <= 0, f"{url} scrolls sideways at {width}"
        assert facts["h1"] == 1, url
        skip = page.locator(".skip-link").bounding_box()
        assert skip["y"] + skip["height"] <= 0, "the skip link peeks out"
        assert facts["brokenImages"] == [], url
        assert page.evaluate("window.cspViolations") == [], url
        assert [FAMILY, "loaded"] in [[f.strip('"'), s] for f, s in faces], url
        fonts = [r.url for r in responses if r.request.resource_type == "font"]
        assert [Path(font).name for font in fonts] == [FONT.name], url

        boxes = page.evaluate(TEXT_BOXES)
        assert boxes, url
        for box in boxes:
            where = f"{url} at {width}: {box['text']}"
            assert box["family"].startswith(f'"{FAMILY}"'), where
            assert box["hidden"] is None, f"{where} is clipped by .{box['hidden']}"
            if box["heading"]:
                # The line box holds the font's whole height, and the
                # glyphs' boxes (as tall as that: the font is in use) fit.
                needed = extent * box["size"]
                assert box["lineHeight"] >= needed - 0.5, where
                assert box["tallestGlyphBox"] >= needed - 1.5, where
                assert box["tallestGlyphBox"] <= box["lineHeight"] + 1, where

        if name == "story" and width == "phone":
            sent = {
                r.url: wire_size(page, r)
                for r in responses
                if r.request.resource_type not in ("image", "media")
            }
            total = sum(sent.values())
            (SCREENSHOTS / "urdu-story-phone-bytes.txt").write_text(
                f"{total} bytes before pictures: {sent}\n"
            )
            assert total < PAGE_BUDGET, sent
        page.screenshot(path=SCREENSHOTS / f"urdu-{name}-{width}.png", full_page=True)
    page.close()


def test_english_pages_do_not_fetch_the_urdu_font(
    browser,  # noqa: F811
    urdu_urls,
    live_server,
):
    english = make_article(headline="Floods in Sindh", body="<p>Rain.</p>")
    page = browser.new_page(viewport={"width": 390, "height": 844})
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    for url in ("/", english.get_absolute_url(), "/search/?q=floods"):
        page.goto(live_server.url + url)
        scroll_through(page)
        faces = page.evaluate(FONT_FACES)
        assert [status for family, status in faces] == ["unloaded"], url
    assert requested
    assert not [url for url in requested if FONT.name in url]
    page.close()
