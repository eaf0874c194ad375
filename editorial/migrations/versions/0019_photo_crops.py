"""photo crops: renditions cut around the focal point (card, square, social)

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-01 17:00:00

A rendition names its crop ("" for the whole frame, as every existing row is) and the focal
point it was cut around; the unique key becomes photo, crop, format and width. Existing photos
get their crops from the beat job (`photos:renditions` finds photos without any).
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("renditions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("crop", sa.String(length=10), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("focal_x", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("focal_y", sa.Float(), nullable=True))
        batch_op.drop_constraint("uq_renditions_photo_id", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_renditions_photo_id"), ["photo_id", "crop", "format", "width"]
        )


def downgrade() -> None:
    op.execute("DELETE FROM renditions WHERE crop != ''")
    with op.batch_alter_table("renditions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_renditions_photo_id", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_renditions_photo_id"), ["photo_id", "format", "width"]
        )
        batch_op.drop_column("focal_y")
        batch_op.drop_column("focal_x")
        batch_op.drop_column("crop")
