"""A story as a list shows it (site.items): the HTML the macros used to make, every value
escaped, the LIVE mark, the year only when it is not this one, a fragment's item marks; and the
thumbnails' statement finds the stories by id, never by walking the archive."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime

from flask import Flask, g

from editorial.extensions import db
from editorial.site import items, queries
from editorial.site.queries import Card, Thumb
from editorial.timeutil import utcnow, zone

HOSTILE = "<script>alert(\"x\")</script> & 'q'"


def _this_year() -> int:
    return utcnow().astimezone(zone("Asia/Dhaka")).year


def _card(**changes: object) -> Card:
    card = Card(
        id=7,
        headline="Teesta talks resume",
        standfirst="Both sides meet next month.",
        byline="Diplomatic Correspondent",
        dateline="DHAKA",
        url="/diplomatic/2026/12/04/teesta-talks-resume",
        desk_name="Diplomatic",
        desk_slug="diplomatic",
        desk_url="/diplomatic/",
        published_at=datetime(_this_year(), 3, 1, 12, 5, tzinfo=UTC),
        updated_at=None,
        slug="teesta-talks-resume",
    )
    return card._replace(**changes)


THUMB = Thumb(
    alt="Boats at dawn",
    width=640,
    height=427,
    src="/media/a-640.jpg",
    srcset="/media/a-320.jpg 320w, /media/a-640.jpg 640w",
    sources=(("image/avif", "/media/a-320.avif 320w"), ("image/jpeg", "/media/a-320.jpg 320w")),
    square=(("image/jpeg", "/media/s-224.jpg 224w"),),
    square_size=(224, 224),
)


def test_a_story_item_as_the_lists_print_it(app: Flask) -> None:
    with app.test_request_context("/"):
        html = str(items.story_item(_card(thumb=THUMB), level=2, standfirst=True, kicker=True))
    assert html == (
        '<article class="story-item">\n'
        '  <a class="thumb" href="/diplomatic/2026/12/04/teesta-talks-resume" tabindex="-1">'
        "<picture>"
        '<source type="image/avif" srcset="/media/a-320.avif 320w"'
        ' sizes="(min-width: 700px) 220px, 100vw">'
        '<img src="/media/a-640.jpg" srcset="/media/a-320.jpg 320w, /media/a-640.jpg 640w"'
        ' sizes="(min-width: 700px) 220px, 100vw" width="640" height="427" alt="Boats at dawn"'
        ' loading="lazy" decoding="async"></picture></a>\n'
        '  <p class="kicker"><a href="/diplomatic/">Diplomatic</a></p>\n'
        '  <h2 class="story-headline">'
        '<a href="/diplomatic/2026/12/04/teesta-talks-resume">Teesta talks resume</a></h2>\n'
        '  <p class="story-standfirst">Both sides meet next month.</p>\n'
        '  <p class="meta"><span class="meta-byline">Diplomatic Correspondent</span>'
        '<time datetime="' + f"{_this_year()}" + '-03-01T12:05:00+00:00">1 Mar, 18:05</time>\n'
        "</p>\n"
        "</article>"
    )


def test_what_a_story_item_leaves_out(app: Flask) -> None:
    """No photo, no kicker, no standfirst unless asked, no byline span without a byline."""
    with app.test_request_context("/"):
        html = str(items.story_item(_card(byline="")))
    assert 'class="thumb"' not in html and "kicker" not in html
    assert "story-standfirst" not in html and "meta-byline" not in html
    assert '<h3 class="story-headline">' in html


def test_every_value_is_escaped(app: Flask) -> None:
    card = _card(
        headline=HOSTILE, standfirst=HOSTILE, byline=HOSTILE, desk_name=HOSTILE,
        url='/x"><script>', desk_url='/d"><script>', thumb=replace(THUMB, alt=HOSTILE),
    )  # fmt: skip
    with app.test_request_context("/"):
        html = str(items.story_item(card, standfirst=True, kicker=True)) + str(
            items.headline_list([card], "a<b")
        )
    assert "<script" not in html
    assert html.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;q&#39;") == 6
    assert 'href="/x&#34;&gt;&lt;script&gt;"' in html and 'href="/d&#34;&gt;&lt;script&gt;"' in html
    assert 'class="a&lt;b"' in html


def test_a_live_story_is_marked_live_in_every_list(app: Flask) -> None:
    live = _card(is_live=True)
    with app.test_request_context("/"):
        for html in (
            items.headline(live),
            items.story_item(live),
            items.headline_list([live, _card(id=8)]),
        ):
            assert str(html).count('<span class="live-mark">LIVE</span> <a href=') == 1


def test_a_time_shows_its_year_only_when_it_is_not_this_one(app: Flask) -> None:
    with app.test_request_context("/"):
        now = str(items.story_time(_card()))
        old = str(items.story_time(_card(published_at=datetime(2019, 12, 31, 19, tzinfo=UTC))))
    assert now.endswith(">1 Mar, 18:05</time>")
    # 19:00 UTC on 31 December is 1 January in Dhaka (UTC+6): newsroom time decides the year.
    assert old == '<time datetime="2019-12-31T19:00:00+00:00">1 Jan 2020, 01:00</time>'
    assert _this_year() != 2020


def test_a_fragments_list_marks_each_item_so_a_page_can_drop_its_own(app: Flask) -> None:
    cards = [_card(id=3), _card(id=5)]
    with app.test_request_context("/"):
        g._page_holes = []  # rendering a fragment for the page cache
        marked = str(items.headline_list(cards, marked=True))
        plain = str(items.headline_list(cards))
    assert [int(n) for n in re.findall(r"<!--§\w+#(\d+)-->", marked)] == [3, 5, 0]
    assert "<!--" not in plain
    assert plain.startswith('<ol class="headline-list">') and plain.endswith("</ol>")
    assert plain.count("<li>") == 2


def test_the_thumbnails_statement_looks_stories_up_by_id(app: Flask) -> None:
    """SQLite has no statistics to tell it a page's few ids are fewer than the published
    stories: with the public predicate in the statement too, it walked the state index, every
    published story, a cost that grew with the archive. The cards are public already."""
    with app.test_request_context("/"):
        queries.begin_read()
        plan = queries._thumb_query(8).plan(db.engine.dialect)
        path = db.engine.url.database
        queries.release()
    assert path
    connection = sqlite3.connect(path)
    try:
        values = [None] * plan.sql.count("?")
        steps = [row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + plan.sql, values)]
    finally:
        connection.close()
    assert any("stories USING INTEGER PRIMARY KEY" in step for step in steps), steps
    assert not any("ix_stories_state" in step for step in steps), steps


def test_linked_data_is_written_as_tojson_writes_it(app: Flask) -> None:
    """The article's JSON-LD: the bytes of Flask's |tojson (sorted keys, ASCII, <>&' escaped),
    so no headline can close the script."""
    data = {
        "headline": HOSTILE + "</script><!--",
        "author": [{"name": "রহিম & Co"}, {"name": "O'Brien"}],
        "wordCount": 812,
        "isAccessibleForFree": True,
        "image": {"url": "https://example.com/a.jpg?x=1&y=<2>", "width": 1600},
    }
    expected = app.jinja_env.from_string("{{ data|tojson }}").render(data=data)
    made = items.ld_json(data)
    assert made == expected
    assert "<" not in made and "&" not in made and "'" not in made
