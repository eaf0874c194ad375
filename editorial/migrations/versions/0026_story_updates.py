"""story updates: a published story's pending update, reviewed before it replaces the live copy

Revision ID: 0026
Revises: 0028
Create Date: 2026-12-01 21:30:00

One row per story at most (unique story_id). `base_*` hold the live text the update started
from, for the three-way comparison when the live copy changed meanwhile.
"""

import sqlalchemy as sa
from alembic import op

import editorial.timeutil

revision = "0026"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story_updates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "story_id",
            sa.Integer(),
            sa.ForeignKey("stories.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("headline", sa.String(200), nullable=False),
        sa.Column("standfirst", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("byline", sa.String(120), nullable=False),
        sa.Column("dateline", sa.String(80), nullable=False),
        sa.Column("slug", sa.String(240), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("lead_photo_id", sa.Integer(), nullable=True),
        sa.Column("lead_caption", sa.Text(), nullable=False),
        sa.Column("base_headline", sa.String(200), nullable=False),
        sa.Column("base_standfirst", sa.Text(), nullable=False),
        sa.Column("base_body", sa.Text(), nullable=False),
        sa.Column("base_byline", sa.String(120), nullable=False),
        sa.Column("base_dateline", sa.String(80), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("modified_by_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("created_at", editorial.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", editorial.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", editorial.timeutil.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("story_updates")
