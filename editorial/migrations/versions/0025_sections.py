"""sections: a desk may be left out of the public navigation

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 19:00:00

`desks.position` already orders the sections; `in_navigation` (default true) says whether the
desk is listed in the public navigation. A hidden desk's section URL and stories stay public.
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("desks") as batch_op:
        batch_op.add_column(
            sa.Column("in_navigation", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("desks") as batch_op:
        batch_op.drop_column("in_navigation")
