"""Issue 8: the slug check is an index lookup, not a scan of every story (24 ms at 100,000)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event, text

from editorial.extensions import db
from editorial.services.slugs import unique_slug
from editorial.services.stories import StoryInput, create_story
from tests.conftest import Factory


def test_the_slug_check_uses_the_unique_indexes_on_postgresql(pg_app: Flask, make: Factory) -> None:
    desk = make.desk()
    reporter = make.reporter(desk)
    for _ in range(3):
        create_story(StoryInput(headline="Weather", desk_id=desk.id), actor=reporter)
    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        assert unique_slug("weather") == "weather-4"
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert statements
    connection = db.session.connection()
    # A handful of rows never needs an index; forbid the scan so the plan shows what it can use.
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    cursor = connection.connection.driver_connection.cursor()
    for statement, parameters in statements:
        cursor.execute("EXPLAIN " + statement, parameters)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Seq Scan" not in plan, plan
        assert "Index" in plan, plan
