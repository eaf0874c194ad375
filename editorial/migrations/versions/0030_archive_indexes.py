"""indexes for a big archive: keyset listings, embargo lifts, notifications, staff history

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-01 21:30:00

Public listings page by (published_at, id) from a cursor instead of OFFSET: the story id joins
the (state, published_at) and (desk_id, state, published_at) indexes so the walk from a cursor
needs no sort. The page cache's embargo lookup reads (state, embargo_at) of the stories with
an embargo (a partial index) instead of every published story. A person's notifications,
newest first, and a staff member's history read their own index in order (person_id,
created_at, id) and (subject_type, subject_id, at, id), and so does the audit log filtered by
action (action, at, id) or by who (actor_id, at, id).
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

# Plain CREATE INDEX, not batch mode: a batch table rebuild on SQLite would drop the
# full-text search triggers that migration 0002 put on the stories table.

REPLACED = [
    # (table, old name, old columns, new name, new columns)
    (
        "stories",
        "ix_stories_state_published_at",
        ["state", "published_at"],
        "ix_stories_state_published_id",
        ["state", "published_at", "id"],
    ),
    (
        "stories",
        "ix_stories_desk_state_published",
        ["desk_id", "state", "published_at"],
        "ix_stories_desk_state_published_id",
        ["desk_id", "state", "published_at", "id"],
    ),
    (
        "audit_events",
        "ix_audit_events_subject",
        ["subject_type", "subject_id", "at"],
        "ix_audit_events_subject_at_id",
        ["subject_type", "subject_id", "at", "id"],
    ),
    (
        "audit_events",
        "ix_audit_events_action",
        ["action"],
        "ix_audit_events_action_at_id",
        ["action", "at", "id"],
    ),
]
ADDED = [
    ("notifications", "ix_notifications_person_created", ["person_id", "created_at", "id"]),
    ("audit_events", "ix_audit_events_actor_at_id", ["actor_id", "at", "id"]),
]
# Only the stories with an embargo: an index of every story's embargo_at made SQLite's planner
# answer the public predicate's OR with it, reading every published story to find Top News.
WITH_EMBARGO = sa.text("embargo_at IS NOT NULL")


def upgrade() -> None:
    for table, old, _old_columns, new, columns in REPLACED:
        op.create_index(new, table, columns)
        op.drop_index(old, table_name=table)
    for table, name, columns in ADDED:
        op.create_index(name, table, columns)
    op.create_index(
        "ix_stories_state_embargo",
        "stories",
        ["state", "embargo_at"],
        sqlite_where=WITH_EMBARGO,
        postgresql_where=WITH_EMBARGO,
    )


def downgrade() -> None:
    op.drop_index("ix_stories_state_embargo", table_name="stories")
    for table, name, _columns in ADDED:
        op.drop_index(name, table_name=table)
    for table, old, old_columns, new, _columns in REPLACED:
        op.create_index(old, table, old_columns)
        op.drop_index(new, table_name=table)
