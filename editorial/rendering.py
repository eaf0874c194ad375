"""Story text: Markdown source to sanitised HTML, slugs, word counts.

Photos from the library go in the body as `![alt](photo:123 "caption")`. The stored HTML holds
a placeholder for each (`<figure data-photo=...>`, made here and nowhere else: raw HTML in a
body is escaped), which the page fills with the photo's `<figure>` when it is shown
(`fill_photos`), so a photo whose renditions are remade or whose credit is edited shows as it is
now. Any other image (`![x](https://...)`) becomes a link to it: readers' browsers load images
from this site only (the CSP's img-src is 'self').

A paragraph holding nothing but the address of a YouTube video, a post on X or a Facebook post
or video (editorial.embeds) becomes a privacy embed: a box with a link to the original that
says what loading it would fetch from where; static/js/embeds.js frames it on the reader's
click, and nothing comes from the provider before that. Any other address stays text or a link.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from editorial.embeds import Embed, find_embed

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
LINK_REL = "noopener noreferrer nofollow"

PHOTO_SCHEME = "photo:"
PHOTO_ID_MAX = 2**31 - 1  # an INTEGER column: a larger number names no photo
REF_MAX = 40  # of the text after photo: kept in a placeholder (for the newsroom's warning)
# The placeholder's attributes, in this order (nh3 keeps the order it is given).
_PLACEHOLDER_ATTRIBUTES = ("data-photo", "data-alt", "data-caption")
_PLACEHOLDER = re.compile(
    r'<figure data-photo="([^"]*)" data-alt="([^"]*)" data-caption="([^"]*)"></figure>'
)
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>\n?")
# The embed box's attributes, in this order; its link is the original post or video.
_EMBED_ATTRIBUTES = ("class", "data-embed", "data-embed-src", "data-embed-title")
_EMBED_BOX = re.compile(
    r'<div class="embed" data-embed="[^"]*" data-embed-src="[^"]*" data-embed-title="[^"]*">'
    r'<a href="([^"]*)"[^>]*>[^<]*</a></div>'
)


@dataclass(frozen=True)
class PhotoRef:
    """One `![alt](photo:ref "caption")` of a body, as written (alt and caption may be blank:
    the photo's own alt text and caption are used then)."""

    ref: str  # what followed photo:, e.g. "123" (or "abc" when mistyped)
    alt: str = ""
    caption: str = ""

    @property
    def photo_id(self) -> int | None:
        """The photo's id, or None when the ref names no possible photo."""
        if not (self.ref.isascii() and self.ref.isdigit()) or len(self.ref) > 10:
            return None
        number = int(self.ref)
        return number if 1 <= number <= PHOTO_ID_MAX else None


def _is_photo(token: Token) -> bool:
    return token.type == "image" and str(token.attrGet("src") or "").lower().startswith(
        PHOTO_SCHEME
    )


def _photo_blocks(state: StateCore) -> None:
    """A paragraph of nothing but photos loses its <p> (a <figure> cannot sit in one); a photo
    inside running text closes the paragraph around itself (see _render_image)."""
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "inline" or not token.children or i == 0:
            continue
        opener = tokens[i - 1]
        if opener.type != "paragraph_open" or opener.hidden:
            continue
        photos = [child for child in token.children if _is_photo(child)]
        if not photos:
            continue
        alone = all(
            _is_photo(child)
            or child.type in ("softbreak", "hardbreak")
            or (child.type == "text" and not child.content.strip())
            for child in token.children
        )
        if alone:
            opener.hidden = tokens[i + 1].hidden = True
            for child in token.children:
                if not _is_photo(child):
                    child.type, child.content = "text", ""
        else:
            for photo in photos:
                photo.meta["split"] = True


def _alone_url(children: Sequence[Token]) -> str:
    """The URL a paragraph's inline content is, when it is nothing else (typed bare or <in
    angle brackets>); "" otherwise."""
    kinds = [child.type for child in children]
    if kinds == ["text"]:
        return children[0].content.strip()
    if kinds == ["link_open", "text", "link_close"] and children[0].markup == "autolink":
        return str(children[0].attrGet("href") or "")
    return ""


def _embed_blocks(state: StateCore) -> None:
    """A paragraph that is only a provider's post or video address becomes its embed box."""
    if state.env.get("embeds") is False:
        return
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "inline" or not token.children or i == 0:
            continue
        if tokens[i - 1].type != "paragraph_open" or tokens[i - 1].hidden:
            continue
        embed = find_embed(_alone_url(token.children))
        if embed is None:
            continue
        tokens[i - 1].hidden = tokens[i + 1].hidden = True
        box = Token("embed", "", 0)
        box.meta["embed"] = embed
        token.children = [box]


def embed_box(embed: Embed) -> str:
    """The reader's box for an embed (also a live entry's link): a plain link without
    JavaScript, the frame on click with it."""
    values = ("embed", embed.provider, embed.frame, embed.what)
    attributes = " ".join(
        f'{name}="{html.escape(value)}"'
        for name, value in zip(_EMBED_ATTRIBUTES, values, strict=True)
    )
    link = f'<a href="{html.escape(embed.url)}" rel="{LINK_REL}">{html.escape(embed.label)}</a>'
    return f"<div {attributes}>{link}</div>"


def _render_embed(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return embed_box(tokens[idx].meta["embed"]) + "\n"


def _render_image(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    if not src.lower().startswith(PHOTO_SCHEME):  # an outside image: a link to it
        return '<a href="{}">{}</a>'.format(html.escape(src), html.escape(alt.strip() or "Image"))
    values = (src[len(PHOTO_SCHEME) :][:REF_MAX], alt, str(token.attrGet("title") or ""))
    attributes = " ".join(
        f'{name}="{html.escape(value)}"'
        for name, value in zip(_PLACEHOLDER_ATTRIBUTES, values, strict=True)
    )
    figure = f"<figure {attributes}></figure>"
    return f"</p>{figure}<p>" if token.meta.get("split") else figure


_markdown.core.ruler.push("photo_blocks", _photo_blocks)
_markdown.add_render_rule("image", _render_image)
_markdown.core.ruler.push("embed_blocks", _embed_blocks)
_markdown.add_render_rule("embed", _render_embed)


def sanitise_html(html: str) -> str:
    """Keep only harmless markup: no script, no event handlers, no javascript:/data: URLs."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
    )


def render_body(source: str, *, embeds: bool = True) -> str:
    """Render a story body (Markdown) to sanitised HTML, with a placeholder for each photo and
    a box for each embed (`embeds=False`: the address stays as typed)."""
    rendered = _EMPTY_PARAGRAPH.sub("", _markdown.render(source or "", {"embeds": embeds}))
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS | {"figure", "div"},
        attributes=ALLOWED_ATTRIBUTES
        | {"figure": set(_PLACEHOLDER_ATTRIBUTES), "div": set(_EMBED_ATTRIBUTES)},
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
    )


_ALT_SPECIAL = re.compile(r"([\\\[\]*_`<&!])")
_TITLE_SPECIAL = re.compile(r'([\\"&])')


def photo_markdown(photo_id: int, alt: str, caption: str) -> str:
    """The Markdown that places a library photo, `![alt](photo:ID "caption")`, with whatever
    in the alt text or caption Markdown would read as markup escaped (so it renders as typed)."""
    alt_text = _ALT_SPECIAL.sub(r"\\\1", " ".join(alt.split()))
    title = _TITLE_SPECIAL.sub(r"\\\1", " ".join(caption.split()))
    return f'![{alt_text}]({PHOTO_SCHEME}{photo_id} "{title}")'


def photo_refs(body_html: str) -> list[PhotoRef]:
    """The photos a rendered body places, in order."""
    return [_ref(match) for match in _PLACEHOLDER.finditer(body_html)]


def _ref(match: re.Match[str]) -> PhotoRef:
    ref, alt, caption = (html.unescape(group) for group in match.groups())
    return PhotoRef(ref=ref, alt=alt, caption=caption)


def fill_photos(body_html: str, figure: Callable[[PhotoRef], str]) -> str:
    """The rendered body with each photo's placeholder replaced by `figure(ref)` (HTML the
    caller has escaped; an empty string leaves the photo out)."""
    return _PLACEHOLDER.sub(lambda match: figure(_ref(match)), body_html)


def embeds_as_links(body_html: str) -> str:
    """A rendered body with each embed box as a plain link to the original (feeds, text)."""
    return _EMBED_BOX.sub(lambda match: f'<p><a href="{match[1]}">{match[1]}</a></p>', body_html)


def plain_text(source: str) -> str:
    """The body as readable text (for search snippets, feeds and word counts); an embed is its
    address."""
    return nh3.clean(render_body(source, embeds=False), tags=set()).strip()


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
