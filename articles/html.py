"""Story body HTML: sanitising on save, the reading direction of each block
and splitting into top-level blocks; and addresses checked before they
become links."""

import html as html_module
import re
import unicodedata

import nh3
from django.utils import translation
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "strong", "em", "b", "i", "u", "s", "sub", "sup",
    "a", "ul", "ol", "li", "blockquote", "br", "hr", "code", "pre",
    "table", "thead", "tbody", "tr", "th", "td", "caption",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start", "type"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
# The one attribute any tag may carry, and its only values.
DIRECTIONS = {"auto", "ltr", "rtl"}
VOID_TAGS = {"br", "hr"}
# The blocks that get their own reading direction (set_directions()).
DIRECTED_TAGS = {
    "p", "h2", "h3", "h4", "li", "blockquote", "pre", "caption", "th", "td",
    "figcaption",
}  # fmt: skip

# Browsers drop spaces and control characters around an address, and tabs and
# newlines anywhere in it, before reading its scheme (WHATWG URL standard):
# " java\tscript:" is a javascript: address.
_URL_EDGES = "".join(chr(code) for code in range(0x21))
_URL_IGNORED = re.compile(r"[\t\n\r]")

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
_MARKUP = re.compile(r"<[^>]*>")
_HAS_DIR = re.compile(r"\sdir=", re.IGNORECASE)


def sanitize(html: str) -> str:
    """Return `html` with only the tags, attributes and URL schemes a story body
    may use: scripts, styles, event handlers and `javascript:` URLs are gone."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values={tag: {"dir": DIRECTIONS} for tag in ALLOWED_TAGS},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    ).strip()


def text_direction(text: str) -> str | None:
    """ "rtl" or "ltr" by which kind of letters `text` has more of (Urdu and
    other right-to-left letters against Latin and other left-to-right ones;
    digits, spaces and punctuation do not count), "auto" on a tie, None
    when it has no letters at all."""
    rtl = ltr = 0
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            rtl += 1
        elif kind == "L":
            ltr += 1
    if rtl == ltr:
        return "auto" if rtl else None
    return "rtl" if rtl > ltr else "ltr"


def set_directions(html: str) -> str:
    """Give each paragraph, heading, list item, quote, ... of sanitised
    `html` a dir attribute by the letters in it (text_direction()), so an
    English name inside Urdu text, or an Urdu quote inside an English story,
    reads in the right order. A dir the HTML already has is kept; a block
    with no letters (a number, a dash) keeps the direction around it."""
    open_tags = []  # (name, where its dir goes, where its content starts)
    inserts = []
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.groups()
        name = name.lower()
        if name not in DIRECTED_TAGS or self_closing:
            continue
        if not closing:
            has_dir = _HAS_DIR.search(match.group(0))
            open_tags.append((name, None if has_dir else match.end() - 1, match.end()))
            continue
        while open_tags:
            open_name, position, start = open_tags.pop()
            if open_name == name:
                break
        else:
            continue
        if position is None:
            continue
        text = html_module.unescape(_MARKUP.sub("", html[start : match.start()]))
        direction = text_direction(text)
        if direction:
            inserts.append((position, f' dir="{direction}"'))
    for position, attribute in sorted(inserts, reverse=True):
        html = html[:position] + attribute + html[position:]
    return html


def dir_attr(text: str | None) -> Markup:
    """` dir="rtl"` for a line of Urdu on a left-to-right page, ` dir="ltr"`
    for a line of English on an Urdu page (` dir="auto"` for an even mix),
    nothing when the text reads the page's way: for headlines, standfirsts
    and captions, `<h1{{ article.headline|dir_attr }}>`."""
    direction = text_direction(text or "")
    page = "rtl" if translation.get_language_bidi() else "ltr"
    if direction is None or direction == page:
        return Markup("")
    return Markup(' dir="{}"').format(direction)


def safe_url(url: str | None) -> str:
    """`url` if it is safe in a link: an http or https address, or a path on
    this site ("/news/..."); "" for anything else (javascript:, data:,
    vbscript:, a relative word), so templates show the text without a link.

    Models refuse such addresses (full_clean, the admin), but rows written
    by an import or a script never went through it."""
    url = _URL_IGNORED.sub("", url or "").strip(_URL_EDGES)
    if url.lower().startswith(("https://", "http://", "/")):
        return url
    return ""


def split_blocks(html: str) -> list[str]:
    """Split sanitised HTML into its top-level blocks (paragraphs, lists, ...).

    Text between blocks is attached to the next block, so joining the result
    gives back the input.
    """
    blocks = []
    depth = 0
    start = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.groups()
        name = name.lower()
        if name in VOID_TAGS or self_closing:
            if depth == 0 and name == "hr":
                blocks.append(html[start : match.end()])
                start = match.end()
            continue
        depth += -1 if closing else 1
        if depth == 0:
            blocks.append(html[start : match.end()])
            start = match.end()
        depth = max(depth, 0)
    tail = html[start:]
    if tail.strip():
        blocks.append(tail)
    elif blocks:
        blocks[-1] += tail
    return blocks
