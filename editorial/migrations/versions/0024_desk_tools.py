"""desk tools: the front page's order and version, and each desk's house-style checklist

Revision ID: 0024
Revises: 0018
Create Date: 2026-12-01 17:10:00

Top News stories carry their slot (`front_position`, none: not ordered yet, after the ordered
ones, newest first); one `front_page` row holds the version every reorder must name, so two
editors reordering at once cannot lose an order. A desk's `house_styles` row says which
checks Publish and Schedule run (no row: none).
"""

import sqlalchemy as sa
from alembic import op

import editorial.timeutil

revision = "0024"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stories") as batch_op:
        batch_op.add_column(sa.Column("front_position", sa.Integer(), nullable=True))
    # Placement is only for stories that are or will be public.
    op.execute(
        "UPDATE stories SET placement = 'none' "
        "WHERE state NOT IN ('approved', 'scheduled', 'published')"
    )
    op.create_table(
        "front_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", editorial.timeutil.UTCDateTime(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff.id"],
            name=op.f("fk_front_page_updated_by_id_staff"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_front_page")),
    )
    op.create_table(
        "house_styles",
        sa.Column("desk_id", sa.Integer(), nullable=False),
        sa.Column("needs_dateline", sa.Boolean(), nullable=False),
        sa.Column("needs_byline", sa.Boolean(), nullable=False),
        sa.Column("needs_standfirst", sa.Boolean(), nullable=False),
        sa.Column("needs_photo_credit", sa.Boolean(), nullable=False),
        sa.Column("headline_max", sa.Integer(), nullable=True),
        sa.Column("body_min_words", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "headline_max IS NULL OR headline_max > 0", name=op.f("ck_house_styles_headline_max")
        ),
        sa.CheckConstraint(
            "body_min_words IS NULL OR body_min_words >= 0",
            name=op.f("ck_house_styles_body_min_words"),
        ),
        sa.ForeignKeyConstraint(
            ["desk_id"],
            ["desks.id"],
            name=op.f("fk_house_styles_desk_id_desks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("desk_id", name=op.f("pk_house_styles")),
    )


def downgrade() -> None:
    op.drop_table("house_styles")
    op.drop_table("front_page")
    with op.batch_alter_table("stories") as batch_op:
        batch_op.drop_column("front_position")
