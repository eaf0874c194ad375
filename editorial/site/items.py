"""The small repeated parts of reader pages, as HTML made in Python: a story as a list shows
it (a card, a headline, its time), the numbered lists of headlines, the blocks beside and
under an article (Top News, Latest News, More articles), the section links and the ad slots.

A cold homepage prints some fifty stories and an article a dozen, and through macros each cost
a dozen escapes, several macro calls and three filters. Made here, a card costs one escape per
value and one f-string. The page's layout stays in the templates (templates/site/), which call
these as globals; every value is escaped here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import current_app, g
from markupsafe import Markup, escape

from editorial.site.cache import item_marker
from editorial.site.queries import Card, NavItem, Thumb
from editorial.templating import constant_url_for
from editorial.timeutil import utcnow, zone

LIVE_MARK = '<span class="live-mark">LIVE</span> '
LIST_SIZES = "(min-width: 700px) 220px, 100vw"  # a card's photo in a list's column
CLOCK = "_list_clock"  # on flask.g: (time zone, this year) for this request's lists


def story_item(
    card: Card, level: int = 3, standfirst: bool = False, kicker: bool = False, square: bool = False
) -> Markup:
    """A story in a list: its thumbnail, desk (`kicker`), headline, `standfirst`, byline and
    time; `square`: the thumbnail's 1:1 crop on phones."""
    desk = (
        f'<p class="kicker"><a href="{escape(card.desk_url)}">{escape(card.desk_name)}</a></p>'
        if kicker
        else ""
    )
    text = (
        f'<p class="story-standfirst">{escape(card.standfirst)}</p>'
        if standfirst and card.standfirst
        else ""
    )
    return Markup(
        f'<article class="story-item">\n  {thumb(card, square=square)}\n  {desk}\n'
        f'  <h{level:d} class="story-headline">{headline(card)}</h{level:d}>\n'
        f"  {text}\n  {meta(card)}\n</article>"
    )


def headline_list(cards: list[Card], class_: str = "headline-list", marked: bool = False) -> Markup:
    """Headlines with their times, newest or most important first. `marked`: a cached
    fragment's list, each item marked so a page can leave its own story out."""
    mark = _item_marks(marked)
    tz, year = _clock()
    items = "".join(
        f"\n  {mark(card.id)}<li>{headline(card)} {_time(card.published_at, tz, year)}</li>\n  "
        for card in cards
    )
    return Markup(f'<ol class="{escape(class_)}">\n  {items}\n  {mark(0)}\n</ol>')


def side_block(
    heading_id: str, title: str, cards: list[Card] | str, marked: bool = False
) -> Markup:
    """Top News or Latest News beside an article: its headlines, or (`cards` a string) the page
    cache's hole for them; nothing for no cards."""
    if isinstance(cards, str):
        return Markup(cards)
    if not cards:
        return Markup("")
    heading = escape(heading_id)
    return Markup(
        f'\n<section class="side-block" aria-labelledby="{heading}">\n'
        f'  <h2 id="{heading}" class="rubric">{escape(title)}</h2>\n'
        f"  {headline_list(cards, marked=marked)}\n</section>\n"
    )


def more_articles(cards: list[Card] | str, marked: bool = False) -> Markup:
    """More articles from the desk under an article (or the page cache's hole for them)."""
    if isinstance(cards, str):
        return Markup(cards)
    if not cards:
        return Markup("")
    mark = _item_marks(marked)
    items = "".join(f"{mark(card.id)}<li>{story_item(card)}</li>" for card in cards)
    return Markup(
        '\n<section class="more-articles" aria-labelledby="more-heading">\n'
        '  <h2 id="more-heading" class="rubric">More articles</h2>\n'
        f'  <ul class="more-grid">\n    {items}{mark(0)}\n  </ul>\n</section>\n'
    )


def _item_marks(marked: bool) -> Callable[[int], str]:
    """What goes before each item of a list (and 0 after the last): a cached fragment's
    marks, or nothing."""
    return item_marker() if marked else _unmarked


def _unmarked(_story_id: int) -> str:
    return ""


def ad(kind: str = "mpu") -> Markup:
    """An advertisement's slot."""
    return Markup(f'<div class="ad ad-{escape(kind)}"><p>Advertisement</p></div>')


def section_links(
    list_class: str, sections: list[NavItem], current: Any, at_section: Any, is_home: Any
) -> Markup:
    """The sections as links (the row on wide screens, the Sections menu on narrow ones), the
    reader's own marked (`current`: its slug; `at_section`: on its section page)."""
    home = ' aria-current="page"' if is_home else ""
    links = "".join(
        f'\n          <li><a href="{escape(section.url)}"{_marked(section, current, at_section)}>'
        f"{escape(section.name)}</a></li>\n          "
        for section in sections
    )
    return Markup(
        f'<ul class="{escape(list_class)}">\n'
        f'          <li><a href="{escape(constant_url_for("site.home"))}"{home}>Home</a></li>\n'
        f"          {links}\n        </ul>"
    )


def _marked(section: NavItem, current: Any, at_section: Any) -> str:
    if current != section.slug:
        return ""
    return ' class="active" aria-current="page"' if at_section else ' class="active"'


def headline(card: Card) -> Markup:
    """The headline as a link (marked LIVE while its live coverage is under way)."""
    live = LIVE_MARK if card.is_live else ""
    return Markup(f'{live}<a href="{escape(card.url)}">{escape(card.headline)}</a>')


def meta(card: Card) -> Markup:
    """Byline and time under a story in a list."""
    byline = f'<span class="meta-byline">{escape(card.byline)}</span>' if card.byline else ""
    return Markup(f'<p class="meta">{byline}{story_time(card)}\n</p>')


def story_time(card: Card) -> Markup:
    """When it was first published: '30 Dec, 18:05' in newsroom time ('30 Dec 2024, 18:05' in
    another year), with its instant in the datetime attribute."""
    tz, year = _clock()
    return Markup(_time(card.published_at, tz, year))


def thumb(
    card: Card, sizes: str | None = None, first: bool = False, square: bool = False
) -> Markup:
    """A card's lead photo as a link to the story, when it has one (thumb_picture)."""
    if card.thumb is None:
        return Markup("")
    picture = thumb_picture(card.thumb, sizes, first, square)
    return Markup(f'<a class="thumb" href="{escape(card.url)}" tabindex="-1">{picture}</a>')


@lru_cache(maxsize=4096)
def thumb_picture(
    thumb: Thumb, sizes: str | None = None, first: bool = False, square: bool = False
) -> Markup:
    """A thumbnail's <picture>: with `square`, the 1:1 crop on phones; `first` (the homepage
    lead) loads at once, any other lazily. Made once per thumbnail and size in a process (a
    homepage's thirteen were a tenth of its render: a dozen escapes each, of the same srcsets
    every time)."""
    parts = ["<picture>"]
    if square and thumb.square_size:
        width, height = thumb.square_size
        parts.extend(
            f'<source media="(max-width: 699px)" type="{escape(mime)}" srcset="{escape(srcset)}"'
            f' sizes="112px" width="{width:d}" height="{height:d}">'
            for mime, srcset in thumb.square
        )
    size = escape(sizes or LIST_SIZES)
    parts.extend(
        f'<source type="{escape(mime)}" srcset="{escape(srcset)}" sizes="{size}">'
        for mime, srcset in thumb.sources
        if mime != "image/jpeg"
    )
    loading = 'fetchpriority="high"' if first else 'loading="lazy"'
    parts.append(
        f'<img src="{escape(thumb.src)}" srcset="{escape(thumb.srcset)}" sizes="{size}"'
        f' width="{thumb.width:d}" height="{thumb.height:d}" alt="{escape(thumb.alt)}"'
        f' {loading} decoding="async"></picture>'
    )
    return Markup("".join(parts))


def _clock() -> tuple[str, int]:
    # Read once per request: a list's time prints its year only when it is not this one.
    clock: tuple[str, int] | None = g.get(CLOCK)
    if clock is None:
        tz = current_app.config["EDITORIAL_TIMEZONE"]
        clock = (tz, utcnow().astimezone(zone(tz)).year)
        setattr(g, CLOCK, clock)
    return clock


@lru_cache(maxsize=8192)
def _time(value: datetime, tz: str, this_year: int) -> str:
    # Once per story and year in a process: the time zone conversion and formatting were a
    # tenth of a sidebar's render.
    local = value.astimezone(zone(tz))
    year = "" if local.year == this_year else f" {local.year}"
    when = f"{local.day} {local:%b}{year}, {local:%H:%M}"
    return f'<time datetime="{value.isoformat(timespec="seconds")}">{when}</time>'


# As Flask's |tojson writes it (sorted keys, ASCII only), with no provider, environment policy
# or encoder made per call: those layers were half of the JSON-LD's cost on a cold article.
_LD_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=True)


def ld_json(data: dict[str, Any]) -> Markup:
    """schema.org data for a <script type="application/ld+json">: nothing in it can close the
    script or start markup (<, >, & and ' written as \\u escapes, as |tojson does). JSON's own
    types only (the JSON-LD is strings, numbers, booleans, lists and dicts): Flask's default
    for dates and the like is not applied."""
    text = _LD_ENCODER.encode(data)
    return Markup(
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )
