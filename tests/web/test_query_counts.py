"""Issue 14: every public page sends a small, fixed number of SELECTs, however many stories it
lists (no query per story, no count that grows with the archive).

The pages are the public GET routes of the URL map (the same table as test_route_matrix.py),
rendered with the page cache off with one story, then with 6 more on the same desk and tag (a
few in Top News, lead photos, live entries: every kind of row a page reads), then with 18 more:
the number of SELECTs of each page must not move between the last two, and stays under the
bound."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from editorial.extensions import db
from editorial.models import Desk, Placement, Story
from editorial.services.live import EntryInput, post_entry
from editorial.services.photos import PhotoInput, upload_photo
from editorial.services.stories import set_placement
from editorial.site import queries
from editorial.workflow import StoryState
from tests import photokit
from tests.conftest import Factory
from tests.web import sitekit

public_paths = sitekit.public_paths

# The keyset pages of the listings, from a cursor: newer than 1970, older than the year 5138.
KEYSET_PATHS = {
    "site.section ?before=": ("/metro/?before=99999999999999999.2147483647", 200),
    "site.latest ?after=": ("/latest?after=1.1", 200),
    "site.tag ?before=": ("/tag/flood?before=99999999999999999.2147483647", 200),
    "api.stories ?before=": ("/api/stories?before=99999999999999999.2147483647", 200),
    "api.stories ?after=": ("/api/stories?after=1.1&section=metro", 200),
    "api.stories ?page=": ("/api/stories?page=2&per_page=2", 200),
}
MOST_SELECTS = 16  # the article, the busiest page, runs 13 (story, authors, tags, notices...)


class Selects:
    """Counts the SELECT statements the app sends while it is open."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _conn, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.count += 1


@contextmanager
def counting() -> Iterator[Selects]:
    selects = Selects()
    event.listen(db.engine, "before_cursor_execute", selects)
    try:
        yield selects
    finally:
        event.remove(db.engine, "before_cursor_execute", selects)


def _page_selects(client: FlaskClient, paths: dict[str, tuple[str, int]]) -> dict[str, int]:
    """SELECTs per public page, each read twice and the second counted (the first may fill a
    per-generation memo, such as the embargo lifts)."""
    counts = {}
    for endpoint, (path, status) in paths.items():
        with client.get(path) as response:
            assert response.status_code == status, (path, response.status_code)
        with counting() as selects, client.get(path):
            pass
        counts[endpoint] = selects.count
    return counts


def _grow(make: Factory, stories: int, entries: int) -> None:
    """More public stories where every listing sees them, each with a lead photo, a few in
    Top News; more entries on the live story."""
    desk = db.session.scalar(select(Desk).where(Desk.slug == "metro"))
    live_story = db.session.scalar(select(Story).where(Story.live_started_at.is_not(None)))
    assert desk is not None and live_story is not None
    reporter, editor = make.reporter(desk), make.editor(desk)
    photos = [
        upload_photo(
            io.BytesIO(photokit.jpeg((400, 300))),
            PhotoInput(credit="Star", alt_text="Boats"),
            actor=reporter,
        ).id
        for _ in range(2)
    ]
    for n in range(stories):
        story = make.story(
            reporter,
            desk,
            StoryState.PUBLISHED,
            editor=editor,
            tags=["Flood"],
            lead_photo_id=photos[n % len(photos)],
        )
        if n % 4 == 0:
            set_placement(story, Placement.TOP, actor=editor)
    for n in range(entries):
        post_entry(live_story, EntryInput(body=f"Entry {n}."), actor=editor)


def test_every_public_page_sends_a_fixed_number_of_selects(
    app: Flask,
    client: FlaskClient,
    make: Factory,
    public_paths: dict[str, tuple[str, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app.config["PUBLIC_CACHE_ENABLED"] = False  # every request renders
    monkeypatch.setattr(queries, "PAGE_SIZE", 5)  # the listings page on (Older stories)
    paths = {**public_paths, **KEYSET_PATHS}
    small = _page_selects(client, paths)
    assert max(small.values()) <= MOST_SELECTS, small
    _grow(make, stories=6, entries=10)  # photos, Top News, an older page: every kind of row
    some = _page_selects(client, paths)
    _grow(make, stories=12, entries=60)  # then three times as many stories and entries
    many = _page_selects(client, paths)
    assert many == some, "a page's SELECTs grew with the stories it shows"
    assert max(many.values()) <= MOST_SELECTS, many


class WriteLocks:
    """Counts the transactions begun for writing (SQLite: BEGIN IMMEDIATE, the write lock)."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.path = ""

    def __call__(self, _conn, _cursor, statement: str, *_args) -> None:
        if statement.strip().upper() == "BEGIN IMMEDIATE":
            self.paths.append(self.path)


@pytest.mark.parametrize("cache", [False, True], ids=["cache off", "cache on"])
def test_public_pages_take_no_write_lock(
    app: Flask,
    client: FlaskClient,
    make: Factory,
    public_paths: dict[str, tuple[str, int]],
    cache: bool,
) -> None:
    """A reader's page reads in read-only transactions only: on SQLite a write lock per
    fragment would queue every reader behind the newsroom's saves."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite's transactions take a write lock at BEGIN")
    app.config["PUBLIC_CACHE_ENABLED"] = cache
    _grow(make, stories=3, entries=2)
    readers = {k: v for k, v in public_paths.items() if not k.startswith(("health", "readiness"))}
    paths = {
        **readers,
        **KEYSET_PATHS,
        "404": ("/no/such/page", 404),
        "400": ("/latest?before=x", 400),
    }
    locks = WriteLocks()
    event.listen(db.engine, "before_cursor_execute", locks)
    try:
        for path, status in paths.values():
            db.session.rollback()  # as a new request finds its session
            locks.path = path
            with client.get(path) as response:
                assert response.status_code == status, path
    finally:
        event.remove(db.engine, "before_cursor_execute", locks)
    assert locks.paths == []


def test_a_cold_page_and_its_fragments_read_in_one_transaction(
    app: Flask, client: FlaskClient, make: Factory, public_paths: dict[str, tuple[str, int]]
) -> None:
    """With the page cache off every reader's page renders its fragments too, in the page's
    own read transaction: one BEGIN a request (each was a twentieth of a cold article). The
    first request after a change also reads the embargo lifts, once per process: not counted."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's BEGIN is the driver's, not a statement")
    app.config["PUBLIC_CACHE_ENABLED"] = False
    _grow(make, stories=3, entries=2)
    pages = [
        (path, status)
        for name, (path, status) in public_paths.items()
        if not name.startswith(("health", "readiness")) and not path.startswith("/api/")
    ]
    begins: list[str] = []

    def count(_conn, _cursor, statement: str, *_args) -> None:
        if statement.strip().upper().startswith("BEGIN"):
            begins.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for path, status in pages:
            client.get(path).close()
            db.session.rollback()  # as a new request finds its session
            begins.clear()
            with client.get(path) as response:
                assert response.status_code == status, path
            assert len(begins) <= 1, path
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
