"""revisions: the story version each revision's save produced

Revision ID: 0031
Revises: 0025
Create Date: 2026-12-01 21:15:00

A stale save is merged against the text it started from: the form carries the story version
it was opened at, and `revisions.story_version` finds that text. Transitions bump the version
without a revision, so the text at version V is the revision with the greatest
story_version <= V. Rows from before this migration have none (the merge then treats every
difference as a conflict: nothing is taken for granted).
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("revisions") as batch_op:
        batch_op.add_column(sa.Column("story_version", sa.Integer(), nullable=True))
        batch_op.create_index("ix_revisions_story_version", ["story_id", "story_version"])


def downgrade() -> None:
    with op.batch_alter_table("revisions") as batch_op:
        batch_op.drop_index("ix_revisions_story_version")
        batch_op.drop_column("story_version")
