"""Story text: Markdown source to sanitised HTML, slugs, word counts."""

from __future__ import annotations

import re
import unicodedata

import nh3
from markdown_it import MarkdownIt

# Raw HTML in the source is escaped by the parser, and whatever HTML it produces is cleaned
# again by nh3: two independent layers between a body and a reader's browser.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable("table").enable("strikethrough")

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitise_html(html: str) -> str:
    """Keep only harmless markup: no script, no event handlers, no javascript:/data: URLs."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def render_body(source: str) -> str:
    """Render a story body (Markdown) to sanitised HTML."""
    return sanitise_html(_markdown.render(source or ""))


def plain_text(source: str) -> str:
    """The body as readable text (for search snippets, feeds and word counts)."""
    return nh3.clean(render_body(source), tags=set()).strip()


def word_count(source: str) -> int:
    """Words as a reader counts them: runs of non-space text, in any script."""
    return len(re.findall(r"\S+", plain_text(source)))


def slugify(text: str, max_length: int = 80, fallback: str = "story") -> str:
    """A URL slug that keeps letters of any script (Bangla included), digits and marks;
    `fallback` when the text has none of them."""
    normalised = unicodedata.normalize("NFKC", text or "").lower()
    chars = [ch if unicodedata.category(ch)[0] in {"L", "N", "M"} else "-" for ch in normalised]
    slug = re.sub(r"-{2,}", "-", "".join(chars)).strip("-")
    slug = slug[:max_length].rstrip("-")
    return slug or fallback
