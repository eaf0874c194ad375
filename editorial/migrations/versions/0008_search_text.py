"""stories.search_text: the index holds normalised words, so stories and queries match alike

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01 11:30:00

The index used to read headline, standfirst and body as typed, while queries were NFKC
normalised: য় ড় ঢ় typed as one code point (U+09DF, U+09DC, U+09DD) were never found, and
Bangla digits never matched ASCII ones. Now editorial.searchtext.document() (NFKC, case folding,
every decimal digit as ASCII) fills stories.search_text on every save, and both indexes read
only that column: the FTS5 table on SQLite, the generated tsvector on PostgreSQL.

The backfill calls the application's document() on purpose: the index must be cut by the same
rule as today's queries, whatever that rule is when this migration runs.
"""

import sqlalchemy as sa
from alembic import op

from editorial.searchtext import document

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 1000
TOKENIZER = "unicode61 remove_diacritics 0 categories ''L* N* Co M*''"
OLD_COLUMNS = ["headline", "standfirst", "body"]
OLD_PG_VECTOR = (
    "setweight(to_tsvector('simple', coalesce(headline, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(standfirst, '')), 'B') || "
    "to_tsvector('simple', coalesce(body, ''))"
)
PG_VECTOR = "to_tsvector('simple', search_text)"


def _sqlite_index(columns: list[str]) -> None:
    """Make the FTS5 table over these columns of stories, its triggers, and fill it."""
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    insert = f"INSERT INTO story_search(rowid, {names}) VALUES (new.id, {new});"
    delete = (
        f"INSERT INTO story_search(story_search, rowid, {names}) VALUES ('delete', old.id, {old});"
    )
    op.execute(
        f"CREATE VIRTUAL TABLE story_search USING fts5({names}, "
        f"content='stories', content_rowid='id', tokenize='{TOKENIZER}')"
    )
    op.execute(f"CREATE TRIGGER story_search_ai AFTER INSERT ON stories BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER story_search_ad AFTER DELETE ON stories BEGIN {delete} END")
    op.execute(
        f"CREATE TRIGGER story_search_au AFTER UPDATE OF {names} ON stories "
        f"BEGIN {delete} {insert} END"
    )
    op.execute("INSERT INTO story_search(story_search) VALUES ('rebuild')")


def _drop_sqlite_index() -> None:
    for name in ("story_search_ai", "story_search_ad", "story_search_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS story_search")


def _pg_index(expression: str) -> None:
    op.execute(
        f"ALTER TABLE stories ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({expression}) "
        "STORED"
    )
    op.execute("CREATE INDEX ix_stories_search_vector ON stories USING gin (search_vector)")


def _drop_pg_index() -> None:
    op.execute("DROP INDEX ix_stories_search_vector")
    op.execute("ALTER TABLE stories DROP COLUMN search_vector")


def _backfill() -> None:
    """search_text for every existing story, a batch at a time (keyset by id)."""
    connection = op.get_bind()
    stories = sa.table(
        "stories",
        sa.column("id", sa.Integer),
        sa.column("headline", sa.Text),
        sa.column("standfirst", sa.Text),
        sa.column("body", sa.Text),
        sa.column("search_text", sa.Text),
    )
    update = (
        sa.update(stories)
        .where(stories.c.id == sa.bindparam("story_id"))
        .values(search_text=sa.bindparam("text"))
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(stories.c.id, stories.c.headline, stories.c.standfirst, stories.c.body)
            .where(stories.c.id > last)
            .order_by(stories.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            update,
            [
                {"story_id": r.id, "text": document(r.headline, r.standfirst or "", r.body or "")}
                for r in rows
            ],
        )
        last = rows[-1].id


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        _drop_pg_index()  # before the backfill: no tsvector recomputed per row updated
    else:
        _drop_sqlite_index()
    op.add_column("stories", sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    _backfill()
    if postgresql:
        _pg_index(PG_VECTOR)
    else:
        _sqlite_index(["search_text"])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _drop_pg_index()
        op.drop_column("stories", "search_text")
        _pg_index(OLD_PG_VECTOR)
    else:
        _drop_sqlite_index()
        op.drop_column("stories", "search_text")
        _sqlite_index(OLD_COLUMNS)
