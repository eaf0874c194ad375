"""pending updates keep their rendered text: body_html, search_text and word_count

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-03 08:00:00

An update's text is rendered (Markdown to sanitised HTML, the search words, the word count)
when it is saved, as a story's is, so a scheduled update going live only copies columns: a
thousand due at once no longer render a thousand bodies in the scheduler's transaction.
NULL is an update saved before this revision; it is rendered when it goes live.
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("story_updates") as batch_op:
        batch_op.add_column(sa.Column("body_html", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("word_count", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("story_updates") as batch_op:
        batch_op.drop_column("word_count")
        batch_op.drop_column("search_text")
        batch_op.drop_column("body_html")
