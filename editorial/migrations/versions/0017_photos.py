"""photos: the photo library, renditions, and a story's lead photo

Revision ID: 0017
Revises: 0011
Create Date: 2026-12-01 15:00:00

Originals stay private under the media folder; renditions are public files named by a hash
of their bytes. A story names at most one lead photo, which then cannot be deleted.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

import editorial.timeutil

revision = "0017"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("original_key", sa.String(length=80), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("credit", sa.String(length=200), nullable=False),
        sa.Column("alt_text", sa.String(length=500), nullable=False),
        sa.Column("focal_x", sa.Float(), nullable=False),
        sa.Column("focal_y", sa.Float(), nullable=False),
        sa.Column("desk_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", editorial.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "renditions_ready_at", editorial.timeutil.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(["desk_id"], ["desks.id"], name=op.f("fk_photos_desk_id_desks")),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["staff.id"], name=op.f("fk_photos_uploaded_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photos_content_hash"), ["content_hash"])
        batch_op.create_index(batch_op.f("ix_photos_desk_id"), ["desk_id"])

    op.create_table(
        "renditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_renditions_photo_id_photos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renditions")),
        sa.UniqueConstraint("key", name=op.f("uq_renditions_key")),
        sa.UniqueConstraint("photo_id", "format", "width", name=op.f("uq_renditions_photo_id")),
    )
    with op.batch_alter_table("renditions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_renditions_photo_id"), ["photo_id"])

    with _triggers_kept("stories"), op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lead_photo_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("lead_caption", sa.Text(), nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_stories_lead_photo_id"), ["lead_photo_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_stories_lead_photo_id_photos"),
            "photos",
            ["lead_photo_id"],
            ["id"],
            ondelete="RESTRICT",
        )


@contextmanager
def _triggers_kept(table: str) -> Iterator[None]:
    """Batch mode rebuilds a SQLite table, and its triggers (the search index's, 0008) go
    with the old copy: put them back as they were."""
    bind = op.get_bind()
    saved: list[str] = []
    if bind.dialect.name == "sqlite":
        query = sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t")
        saved = list(bind.execute(query, {"t": table}).scalars())
    yield
    for sql in saved:
        op.execute(sql)


def downgrade() -> None:
    with _triggers_kept("stories"), op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_stories_lead_photo_id_photos"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_stories_lead_photo_id"))
        batch_op.drop_column("lead_caption")
        batch_op.drop_column("lead_photo_id")
    op.drop_table("renditions")
    op.drop_table("photos")
