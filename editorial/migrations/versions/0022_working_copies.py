"""working copies and editor presence: autosave that is never a revision, who is editing

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 17:10:00

A working copy holds the editor's fields as one person last had them (one per story, or per
new-story draft); a real save deletes it. Presence rows are heartbeats of open editors.
"""

import sqlalchemy as sa
from alembic import op

import editorial.timeutil

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "working_copies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=True),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("saved_at", editorial.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["staff.id"],
            name=op.f("fk_working_copies_person_id_staff"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_working_copies_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_copies")),
        sa.UniqueConstraint("person_id", "key", name=op.f("uq_working_copies_person_id")),
    )
    with op.batch_alter_table("working_copies", schema=None) as batch_op:
        batch_op.create_index("ix_working_copies_story_id", ["story_id"])
        batch_op.create_index("ix_working_copies_saved_at", ["saved_at"])

    op.create_table(
        "editor_presence",
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("since", editorial.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", editorial.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["staff.id"],
            name=op.f("fk_editor_presence_person_id_staff"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_editor_presence_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("story_id", "person_id", name=op.f("pk_editor_presence")),
    )
    with op.batch_alter_table("editor_presence", schema=None) as batch_op:
        batch_op.create_index("ix_editor_presence_seen_at", ["seen_at"])


def downgrade() -> None:
    op.drop_table("editor_presence")
    op.drop_table("working_copies")
