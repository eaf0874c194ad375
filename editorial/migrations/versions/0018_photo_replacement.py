"""photo library: replacement files, photo tags, and the history index

Revision ID: 0018
Revises: 0023
Create Date: 2026-12-01 17:10:00

A replaced photo keeps its old renditions until the worker has made the new ones
(`replacement_key`, `replaced_at`); photos carry newsroom-only tags for the library's
search; the grid walks an index newest first; a photo's page lists its audit events by
subject.
"""

import sqlalchemy as sa
from alembic import op

import editorial.timeutil

revision = "0018"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replacement_key", sa.String(length=80), nullable=True))
        batch_op.add_column(
            sa.Column("replaced_at", editorial.timeutil.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_photos_created_at_id", ["created_at", "id"], unique=False)
    op.create_table(
        "photo_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_photo_tags_photo_id_photos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo_tags")),
        sa.UniqueConstraint("photo_id", "key", name=op.f("uq_photo_tags_photo_id")),
    )
    with op.batch_alter_table("photo_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photo_tags_key"), ["key"])
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_subject", ["subject_type", "subject_id", "at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("photo_tags")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_subject")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index("ix_photos_created_at_id")
        batch_op.drop_column("replaced_at")
        batch_op.drop_column("replacement_key")
