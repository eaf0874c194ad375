"""SQLite search: keep combining marks inside words and stop folding accents, like PostgreSQL

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 15:10:00

FTS5's default unicode61 tokenizer treats combining marks (Unicode category M) as separators,
so a Bangla word was cut at every vowel sign: "কী" matched any word starting with "ক". And
`remove_diacritics 2` made "cafe" find "Café" on SQLite but not on PostgreSQL ('simple' config).
Tokens are now runs of letters, digits and marks on both databases, as editorial.search.terms
cuts queries. PostgreSQL is unchanged.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NEW_TOKENIZER = "unicode61 remove_diacritics 0 categories ''L* N* Co M*''"
OLD_TOKENIZER = "unicode61 remove_diacritics 2"

TRIGGERS = [
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
]


def _rebuild(tokenizer: str) -> None:
    for name in ("story_search_ai", "story_search_ad", "story_search_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS story_search")
    op.execute(
        "CREATE VIRTUAL TABLE story_search USING fts5(headline, standfirst, body, "
        f"content='stories', content_rowid='id', tokenize='{tokenizer}')"
    )
    for statement in TRIGGERS:
        op.execute(statement)
    op.execute("INSERT INTO story_search(story_search) VALUES ('rebuild')")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(NEW_TOKENIZER)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(OLD_TOKENIZER)
