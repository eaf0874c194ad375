"""email digests: per-kind e-mail choices and the digest e-mails that claim their period

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01 21:30:00

The single `staff.wants_email` switch becomes three choices (my stories, my desk's queue,
mentions), each immediate, hourly, daily or none; on: immediate, off: none. An
`email_digests` row is one person's digest for one period; its unique key makes two
schedulers claim a period once. A notification records the digest that carried it.
"""

import sqlalchemy as sa
from alembic import op

import editorial.timeutil

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

PREFERENCES = ("email_my_stories", "email_desk_queue", "email_mentions")
CHOICES = "'immediate', 'hourly', 'daily', 'none'"


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch_op:
        for column in PREFERENCES:
            batch_op.add_column(
                sa.Column(column, sa.String(10), nullable=False, server_default="immediate")
            )
    op.execute(
        "UPDATE staff SET "
        + ", ".join(f"{column} = 'none'" for column in PREFERENCES)
        + " WHERE NOT wants_email"
    )
    with op.batch_alter_table("staff") as batch_op:
        batch_op.drop_column("wants_email")
        for column in PREFERENCES:
            batch_op.create_check_constraint(op.f(f"ck_staff_{column}"), f"{column} IN ({CHOICES})")
    op.create_table(
        "email_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(10), nullable=False),
        sa.Column("period_end", editorial.timeutil.UTCDateTime(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("created_at", editorial.timeutil.UTCDateTime(), nullable=False),
        sa.Column("email_state", sa.String(10), nullable=False),
        sa.Column("email_attempts", sa.Integer(), nullable=False),
        sa.Column("email_claimed_at", editorial.timeutil.UTCDateTime(), nullable=True),
        sa.Column("email_sent_at", editorial.timeutil.UTCDateTime(), nullable=True),
        sa.Column("email_message_id", sa.String(255), nullable=True),
        sa.CheckConstraint(
            "frequency IN ('hourly', 'daily')", name=op.f("ck_email_digests_frequency")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["staff.id"],
            name=op.f("fk_email_digests_person_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_digests")),
        sa.UniqueConstraint(
            "person_id", "frequency", "period_end", name=op.f("uq_email_digests_person_id")
        ),
    )
    op.create_index("ix_email_digests_email_state", "email_digests", ["email_state"])
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.add_column(sa.Column("digest_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_notifications_digest_id", ["digest_id"])
        batch_op.create_foreign_key(
            op.f("fk_notifications_digest_id_email_digests"),
            "email_digests",
            ["digest_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    # Waiting or digested copies count as sent: the old schema knows no digests.
    op.execute(
        "UPDATE notifications SET email_state = 'sent' "
        "WHERE email_state IN ('hourly', 'daily', 'digested')"
    )
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_constraint(
            op.f("fk_notifications_digest_id_email_digests"), type_="foreignkey"
        )
        batch_op.drop_index("ix_notifications_digest_id")
        batch_op.drop_column("digest_id")
    op.drop_index("ix_email_digests_email_state", table_name="email_digests")
    op.drop_table("email_digests")
    with op.batch_alter_table("staff") as batch_op:
        batch_op.add_column(
            sa.Column("wants_email", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    op.execute(
        "UPDATE staff SET wants_email = "
        + " OR ".join(f"{column} <> 'none'" for column in PREFERENCES)
    )
    with op.batch_alter_table("staff") as batch_op:
        for column in PREFERENCES:
            batch_op.drop_constraint(op.f(f"ck_staff_{column}"), type_="check")
            batch_op.drop_column(column)
