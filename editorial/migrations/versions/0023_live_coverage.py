"""live coverage: a story's coverage times and its entries

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 17:00:00

A story is marked live once and ended once (live_started_at, live_ended_at); live_updated_at
moves with every change to its entries. Entries are soft-deleted (deleted_at) so the audit log
keeps pointing at them; a photo used by an entry cannot be deleted.
"""

import sqlalchemy as sa
from alembic import op

import editorial.timeutil

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stories", schema=None) as batch_op:
        for name in ("live_started_at", "live_ended_at", "live_updated_at"):
            batch_op.add_column(
                sa.Column(name, editorial.timeutil.UTCDateTime(timezone=True), nullable=True)
            )
    op.create_table(
        "live_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=True),
        sa.Column("link", sa.String(length=2000), nullable=False),
        sa.Column("is_pinned", sa.Boolean(), nullable=False),
        sa.Column("created_at", editorial.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", editorial.timeutil.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", editorial.timeutil.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff.id"], name=op.f("fk_live_entries_author_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_live_entries_photo_id_photos"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_live_entries_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_entries")),
    )
    with op.batch_alter_table("live_entries", schema=None) as batch_op:
        batch_op.create_index("ix_live_entries_story_id", ["story_id", "id"])
        batch_op.create_index(batch_op.f("ix_live_entries_photo_id"), ["photo_id"])


def downgrade() -> None:
    op.drop_table("live_entries")
    with op.batch_alter_table("stories", schema=None) as batch_op:
        for name in ("live_updated_at", "live_ended_at", "live_started_at"):
            batch_op.drop_column(name)
