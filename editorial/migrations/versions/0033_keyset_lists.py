"""indexes for keyset lists: the audit log walks (at, id) from its cursor

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-02 01:10:00

The audit log pages by an (at, id) cursor instead of OFFSET (issue 14), newest first: the id
joins the `at` index so the unfiltered log reads its page in index order, with no sort of the
events of one instant.
"""

from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

# Plain CREATE INDEX, not batch mode (see 0030).


def upgrade() -> None:
    op.create_index("ix_audit_events_at_id", "audit_events", ["at", "id"])
    op.drop_index("ix_audit_events_at", table_name="audit_events")


def downgrade() -> None:
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.drop_index("ix_audit_events_at_id", table_name="audit_events")
