"""scheduled updates: an approved pending update may carry a time to be published

Revision ID: 0032
Revises: 0030
Create Date: 2026-12-02 01:00:00

`publish_at` with the public notice chosen at scheduling (`notice_note`, empty for none, and
`notice_is_correction`) is what the desk editor set; the scheduler publishes the update at
that time (services.scheduled_updates). `publish_failed_at`/`publish_error` flag a scheduled
publish that failed on its own and waits for an editor. The index serves the due sweep.
"""

import sqlalchemy as sa
from alembic import op

import editorial.timeutil

revision = "0032"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("story_updates") as batch_op:
        batch_op.add_column(
            sa.Column("publish_at", editorial.timeutil.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("notice_note", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column(
                "notice_is_correction", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(
            sa.Column(
                "publish_failed_at", editorial.timeutil.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("publish_error", sa.Text(), nullable=False, server_default="")
        )
        batch_op.create_index("ix_story_updates_state_publish_at", ["state", "publish_at"])


def downgrade() -> None:
    with op.batch_alter_table("story_updates") as batch_op:
        batch_op.drop_index("ix_story_updates_state_publish_at")
        batch_op.drop_column("publish_error")
        batch_op.drop_column("publish_failed_at")
        batch_op.drop_column("notice_is_correction")
        batch_op.drop_column("notice_note")
        batch_op.drop_column("publish_at")
