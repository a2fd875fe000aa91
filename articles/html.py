"""Story body HTML: sanitising on save and splitting into top-level blocks;
and addresses checked before they become links."""

import re

import nh3

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
VOID_TAGS = {"br", "hr"}

# Browsers drop spaces and control characters around an address, and tabs and
# newlines anywhere in it, before reading its scheme (WHATWG URL standard):
# " java\tscript:" is a javascript: address.
_URL_EDGES = "".join(chr(code) for code in range(0x21))
_URL_IGNORED = re.compile(r"[\t\n\r]")

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")


def sanitize(html: str) -> str:
    """Return `html` with only the tags, attributes and URL schemes a story body
    may use: scripts, styles, event handlers and `javascript:` URLs are gone."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    ).strip()


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
