"""sign_in_locks: accounts locked after many failed sign-ins, until the unlock link is used

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 14:20:00

Failed sign-ins are counted in the rate-limit store (Redis in production); the lock itself is
kept here, because it must outlive a Redis restart, a memory fallback and every web process,
and it holds the epoch that makes each unlock link single-use.
"""

import sqlalchemy as sa
from alembic import op

import editorial.timeutil

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_in_locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("locked_at", editorial.timeutil.UTCDateTime(timezone=True), nullable=True),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_locks")),
        sa.UniqueConstraint("email", name=op.f("uq_sign_in_locks_email")),
    )


def downgrade():
    op.drop_table("sign_in_locks")
