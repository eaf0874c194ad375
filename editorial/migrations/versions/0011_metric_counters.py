"""metric_counters: counters kept in the database for /metrics (e-mail outcomes, publish lag)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:30:00

Workers may run in other containers than the web processes that answer /metrics, so what
they count is written beside the work it counts, in the same transaction.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_counters",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", "label", name=op.f("pk_metric_counters")),
    )


def downgrade() -> None:
    op.drop_table("metric_counters")
