"""index for Top News: placement, state, published_at

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 14:30:00

The public site lists the few stories editors placed in Top News on every page; without this
index the database reads every published story to find them.
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


# Plain CREATE INDEX, not batch mode: a batch table rebuild on SQLite would drop the
# full-text search triggers that migration 0002 put on this table.


def upgrade():
    op.create_index(
        "ix_stories_placement_state_published",
        "stories",
        ["placement", "state", "published_at"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_stories_placement_state_published", table_name="stories")
