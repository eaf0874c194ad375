"""A story as a list shows it, as HTML made in Python: a card, a headline, its time, and the
numbered lists of headlines (Latest News, Top News beside an article).

A cold homepage prints some fifty stories and an article a dozen, and through macros each cost
a dozen escapes, several macro calls and three filters. Made here, a card costs one escape per
value and one f-string. The page's layout stays in the templates (templates/site/), which call
these as globals; every value is escaped here.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from flask import current_app, g
from markupsafe import Markup, escape

from editorial.site.cache import item_mark
from editorial.site.queries import Card, Thumb
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
    items = "".join(
        f"\n  {item_mark(card.id) if marked else ''}"
        f"<li>{headline(card)} {story_time(card)}</li>\n  "
        for card in cards
    )
    end = item_mark(0) if marked else ""
    return Markup(f'<ol class="{escape(class_)}">\n  {items}\n  {end}\n</ol>')


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
