"""Issue 14: what readers and the newsroom ask of a big archive walks an index on PostgreSQL.

Every statement a public listing (a section's first page, a keyset page, a tag, Latest News,
a sitemap part, the JSON API's list), the page cache's embargo lookup, the notification centre,
the audit log and a staff member's history send is EXPLAINed with sequential scans priced out
(a handful of rows never needs an index): none may read the stories, notifications or audit
events in full, and the listings read their index in order (no sort of the matches)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event, text

from editorial import keyset
from editorial.extensions import db
from editorial.models import Story
from editorial.services.notifications import notify
from editorial.site import queries
from editorial.workflow import StoryState
from tests.conftest import Factory, login

BIG_TABLES = ("stories", "notifications", "audit_events")
DEEP = "99999999999999999.2147483647"  # a cursor older than the year 5138: a deep page
SCAN = re.compile(r"Seq Scan on (\w+)")


@contextmanager
def captured() -> Iterator[list[tuple[str, object]]]:
    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)


def plans(statements: list[tuple[str, object]]) -> Iterator[tuple[str, str]]:
    """(statement, plan) of each statement that reads a big table."""
    connection = db.session.connection()
    # The planner prices from this test's rows: TRUNCATE keeps the statistics that autovacuum
    # took of whichever tests ran on this database before (an order, or a worker, of its own),
    # and those once priced a sort of the matches below reading the listing's index in order.
    connection.execute(text("ANALYZE"))
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    cursor = connection.connection.driver_connection.cursor()
    for statement, parameters in statements:
        if not any(re.search(rf"\b{table}\b", statement) for table in BIG_TABLES):
            continue
        cursor.execute("EXPLAIN " + statement, parameters)
        yield statement, "\n".join(row[0] for row in cursor.fetchall())


def assert_indexed(statements: list[tuple[str, object]], *, ordered: Callable[[str], bool]) -> None:
    checked = 0
    for statement, plan in plans(statements):
        checked += 1
        scanned = set(SCAN.findall(plan)) & set(BIG_TABLES)
        assert not scanned, f"{statement}\n{plan}"
        if ordered(statement):
            assert "Sort" not in plan, f"sorts instead of reading the index in order:\n{plan}"
    assert checked, "no statement read a big table"
    db.session.rollback()


def _is_listing(statement: str) -> bool:
    """A keyset page of stories, newest first."""
    return "ORDER BY stories.published_at DESC, stories.id DESC" in statement and (
        "story_tags" not in statement  # a tag's stories are found by the tag, then sorted
    )


def test_public_listings_walk_an_index_in_order(pg_app: Flask, make: Factory) -> None:
    desk = make.desk("National")
    reporter, editor = make.reporter(desk), make.editor(desk)
    for _ in range(3):
        story = make.story(reporter, desk, StoryState.PUBLISHED, editor=editor, tags=["Flood"])
    newest = db.session.get(Story, story.id)
    assert newest is not None and newest.published_at is not None
    cursor = queries.Cursor(newest.published_at, newest.id).token()
    db.session.rollback()
    client = pg_app.test_client()
    pg_app.config["PUBLIC_CACHE_ENABLED"] = False
    paths = [
        "/national/",
        f"/national/?before={cursor}",
        f"/national/?after={queries.Cursor(keyset.EPOCH, 1).token()}",
        "/latest",
        f"/latest?before={cursor}",
        "/tag/flood",
        "/api/stories",
        f"/api/stories?before={cursor}&section=national",
        "/sitemap.xml",
        "/sitemaps/sections.xml",
    ]
    with captured() as statements:
        for path in paths:
            assert client.get(path).status_code == 200, path
        queries.embargo_lifts()
    assert_indexed(statements, ordered=_is_listing)


def test_the_notification_centre_and_staff_history_use_their_indexes(
    pg_app: Flask, make: Factory
) -> None:
    desk = make.desk("National")
    editor = make.editor(desk)
    admin = make.admin()
    story = make.story(make.reporter(desk), desk, StoryState.SUBMITTED)
    for _ in range(3):
        notify([editor], kind="submitted", story=story, subject="A story", message="")
    db.session.commit()
    client = pg_app.test_client()
    login(client, editor)
    with captured() as statements:
        assert client.get("/newsroom/notifications").status_code == 200
        deep = f"?before={DEEP}"
        assert client.get(f"/newsroom/notifications{deep}").status_code == 200
    assert_indexed(statements, ordered=lambda s: "FROM notifications" in s and "ORDER BY" in s)
    login(client, admin)
    with captured() as statements:
        assert client.get(f"/admin/staff/{editor.id}").status_code == 200
    assert_indexed(statements, ordered=lambda s: "audit_events.subject_type" in s)
    with captured() as statements:
        assert client.get("/admin/audit").status_code == 200
        assert client.get(f"/admin/audit?before={DEEP}").status_code == 200
        assert client.get("/admin/audit?after=1.1&action=staff.created").status_code == 200
    assert_indexed(statements, ordered=lambda s: "FROM audit_events" in s and "ORDER BY" in s)
