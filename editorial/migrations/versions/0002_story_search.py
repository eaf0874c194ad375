"""story full-text search: tsvector + GIN on PostgreSQL, an FTS5 index on SQLite

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 13:45:00

Both use a language-neutral tokenizer (PostgreSQL 'simple', FTS5 'unicode61'), so English and
Bangla match the same way on both databases.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PG_VECTOR = (
    "setweight(to_tsvector('simple', coalesce(headline, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(standfirst, '')), 'B') || "
    "to_tsvector('simple', coalesce(body, ''))"
)

SQLITE_STATEMENTS = [
    "CREATE VIRTUAL TABLE story_search USING fts5(headline, standfirst, body, "
    "content='stories', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER story_search_ai AFTER INSERT ON stories BEGIN "
    "INSERT INTO story_search(rowid, headline, standfirst, body) "
    "VALUES (new.id, new.headline, new.standfirst, new.body); END",
    "CREATE TRIGGER story_search_ad AFTER DELETE ON stories BEGIN "
    "INSERT INTO story_search(story_search, rowid, headline, standfirst, body) "
    "VALUES ('delete', old.id, old.headline, old.standfirst, old.body); END",
    "CREATE TRIGGER story_search_au AFTER UPDATE OF headline, standfirst, body ON stories BEGIN "
    "INSERT INTO story_search(story_search, rowid, headline, standfirst, body) "
    "VALUES ('delete', old.id, old.headline, old.standfirst, old.body); "
    "INSERT INTO story_search(rowid, headline, standfirst, body) "
    "VALUES (new.id, new.headline, new.standfirst, new.body); END",
    "INSERT INTO story_search(story_search) VALUES ('rebuild')",
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"ALTER TABLE stories ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({PG_VECTOR}) STORED"
        )
        op.execute("CREATE INDEX ix_stories_search_vector ON stories USING gin (search_vector)")
    else:
        for statement in SQLITE_STATEMENTS:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_stories_search_vector")
        op.execute("ALTER TABLE stories DROP COLUMN search_vector")
    else:
        for name in ("story_search_ai", "story_search_ad", "story_search_au"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE story_search")
