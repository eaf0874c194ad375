"""Migration 0021 finds the photos that bodies written before it already place: their rows in
story_photos, and the body rendered again with the placeholder the page fills."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from editorial.extensions import db
from editorial.models import Story, StoryPhoto
from editorial.rendering import photo_refs
from tests.integration.test_search_migration import empty_app, insert_old_stories

__all__ = ["empty_app"]


def test_upgrade_records_the_photos_bodies_already_place(empty_app: Flask) -> None:
    upgrade(revision="0017")
    insert_old_stories()  # three stories without photos
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(Story.__table__)
            .where(Story.__table__.c.id == 2)
            .values(body='Text.\n\n![Boats](photo:7 "At dawn")\n\n![](photo:abc) ![](photo:9)')
        )
    upgrade(revision="0021")
    rows = db.session.execute(
        sa.select(
            StoryPhoto.story_id, StoryPhoto.photo_id, StoryPhoto.alt, StoryPhoto.caption
        ).order_by(StoryPhoto.position)
    ).all()
    assert [tuple(row) for row in rows] == [(2, 7, "Boats", "At dawn"), (2, 9, "", "")]
    html = db.session.scalar(sa.select(Story.body_html).where(Story.id == 2)) or ""
    assert [ref.ref for ref in photo_refs(html)] == ["7", "abc", "9"]
    assert db.session.scalar(sa.select(Story.body_html).where(Story.id == 1)) == ""  # untouched
    db.session.rollback()
    downgrade(revision="0017")
    with db.engine.connect() as connection:
        assert "story_photos" not in sa.inspect(connection).get_table_names()
