"""story photos: the photos a story's body places, kept in step with the body

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-01 17:30:00

A body places a library photo as ![alt](photo:123 "caption"). One row per placement, so
whether a photo is used (and public) is an indexed lookup. photo_id has no foreign key: a body
may name a photo that does not exist, and publishing refuses it. Bodies already naming photos
are rendered again (the placeholder the page fills) and their rows written.
"""

import sqlalchemy as sa
from alembic import op

from editorial.rendering import photo_refs, render_body

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story_photos",
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("alt", sa.Text(), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_story_photos_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("story_id", "position", name=op.f("pk_story_photos")),
    )
    with op.batch_alter_table("story_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_photos_photo_id"), ["photo_id"])
    _backfill()


def _backfill() -> None:
    bind = op.get_bind()
    stories = sa.table(
        "stories", sa.column("id", sa.Integer), sa.column("body"), sa.column("body_html")
    )
    rows = bind.execute(
        sa.select(stories.c.id, stories.c.body).where(stories.c.body.like("%photo:%"))
    ).all()
    placed = sa.table(
        "story_photos",
        sa.column("story_id"),
        sa.column("position"),
        sa.column("photo_id"),
        sa.column("alt"),
        sa.column("caption"),
    )
    for story_id, body in rows:
        html = render_body(body)
        bind.execute(stories.update().where(stories.c.id == story_id).values(body_html=html))
        values = [
            {
                "story_id": story_id,
                "position": n,
                "photo_id": ref.photo_id,
                "alt": ref.alt,
                "caption": ref.caption,
            }
            for n, ref in enumerate(photo_refs(html))
            if ref.photo_id is not None
        ]
        if values:
            bind.execute(placed.insert(), values)


def downgrade() -> None:
    op.drop_table("story_photos")
