"""notifications.email_message_id: the e-mail copy's Message-ID, fixed before the first attempt

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 14:30:00

A worker killed after the SMTP server accepted a message but before it was marked sent leaves
it "sending", and it is sent again once the claim's lease runs out. The second copy carries the
same Message-ID as the first, so receivers can recognise it. Existing rows get theirs at their
next claim.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("email_message_id", sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("email_message_id")
