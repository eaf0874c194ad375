"""Migration 0008 re-cuts the search index of an existing archive by today's rule."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from editorial import create_app
from editorial.extensions import db
from editorial.models import Story
from editorial.search import matches
from tests.conftest import PG_TEST_DB, PG_URL, base_config, need_service

# Written before 0008 the way the old index kept them: as typed, য় as one code point,
# Bangla digits; the readers' queries below are in the other form.
OLD_STORIES = {
    1: ("বিজ\u09df দিবস উদযাপন", "Victory Day"),
    2: ("বাজেট ২০২৬ পাস", "Budget passed"),
    3: ("Flood warning for 2026", "পাহা\u09dcে বৃষ্টি"),
}
QUERIES = {
    "বিজ\u09af\u09bc": {1},
    "2026": {2, 3},
    "২০২৬": {2, 3},
    "পাহা\u09a1\u09bc": {3},
    "victory": {1},
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def empty_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The app on an empty database of each kind, not yet migrated."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
        admin = None
    else:
        need_service("PostgreSQL", PG_URL)
        name = f"{PG_TEST_DB}_search_migration"
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    app = create_app(base_config(tmp_path, url))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if admin is not None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def insert_old_stories() -> None:
    """Rows as a database at revision 0005 holds them (no search_text column yet)."""
    now = "2026-01-01 00:00:00+00:00"
    with db.engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO desks (id, name, slug, position) VALUES (1, 'Home', 'home', 1)")
        )
        connection.execute(
            sa.text(
                "INSERT INTO staff (id, email, name, default_byline, is_active, wants_email, "
                "credential_epoch, created_at) VALUES (1, 'r@example.test', 'R', '', true, "
                "true, 0, :now)"
            ),
            {"now": now},
        )
        for story_id, (headline, body) in OLD_STORIES.items():
            connection.execute(
                sa.text(
                    "INSERT INTO stories (id, headline, slug, standfirst, body, body_html, "
                    "byline, dateline, desk_id, state, placement, word_count, version, "
                    "was_submitted, publish_error, created_at, modified_at, created_by_id) "
                    "VALUES (:id, :headline, :slug, '', :body, '', '', '', 1, 'published', "
                    "'none', 2, 1, true, '', :now, :now, 1)"
                ),
                {
                    "id": story_id,
                    "headline": headline,
                    "slug": f"s{story_id}",
                    "body": body,
                    "now": now,
                },
            )


def found(query: str) -> set[int]:
    condition = matches(query)
    assert condition is not None
    return set(db.session.scalars(sa.select(Story.id).where(condition)))


def test_upgrade_recuts_the_index_of_existing_stories(empty_app: Flask) -> None:
    upgrade(revision="0005")
    insert_old_stories()
    upgrade(revision="0008")
    assert {query: found(query) for query in QUERIES} == QUERIES
    db.session.rollback()
    downgrade(revision="0005")  # the way back restores the index as typed
    with db.engine.connect() as connection:
        assert "search_text" not in {
            c["name"] for c in sa.inspect(connection).get_columns("stories")
        }
    upgrade(revision="0008")
    assert {query: found(query) for query in QUERIES} == QUERIES
