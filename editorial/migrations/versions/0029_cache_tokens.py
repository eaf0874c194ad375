"""cache tokens: the public page cache is invalidated per dependency, not site-wide

Revision ID: 0029
Revises: 0026
Create Date: 2026-12-01 21:15:00

One row per dependency key of the public cache ("story:12", "desk:3", "tag:7", "latest",
"top", "site") holding the number of the last committed change that touched it, and the row
"*": the counter those numbers are drawn from. A publish updates the counter and its own keys
in its transaction; a cached page stays valid while none of its keys moved past the counter it
was rendered at. The old site-wide generation (site_settings "site_generation") is left alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cache_tokens",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_cache_tokens")),
    )


def downgrade() -> None:
    op.drop_table("cache_tokens")
