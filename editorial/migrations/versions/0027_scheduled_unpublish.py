"""scheduled unpublish: a published (or scheduled) story may carry a time to be withdrawn

Revision ID: 0027
Revises: 0031
Create Date: 2026-12-01 21:20:00

`unpublish_at` and `unpublish_note` are what the desk editor set; the scheduler withdraws the
story at that time (services.unpublishing). `unpublish_failed_at`/`unpublish_error` flag a
withdrawal that failed on its own and waits for an editor. The index serves the due sweep.
"""

import sqlalchemy as sa
from alembic import op

import editorial.timeutil

revision = "0027"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stories") as batch_op:
        batch_op.add_column(
            sa.Column("unpublish_at", editorial.timeutil.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("unpublish_note", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "unpublish_failed_at", editorial.timeutil.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("unpublish_error", sa.Text(), nullable=False, server_default="")
        )
        batch_op.create_index("ix_stories_state_unpublish_at", ["state", "unpublish_at"])


def downgrade() -> None:
    with op.batch_alter_table("stories") as batch_op:
        batch_op.drop_index("ix_stories_state_unpublish_at")
        batch_op.drop_column("unpublish_error")
        batch_op.drop_column("unpublish_failed_at")
        batch_op.drop_column("unpublish_note")
        batch_op.drop_column("unpublish_at")
