"""Story body HTML: sanitising on save and splitting into top-level blocks."""

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
