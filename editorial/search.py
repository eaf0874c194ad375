"""Full-text search over stories: PostgreSQL tsvector or SQLite FTS5, same matching rules.

Each word the reader types must match (AND), as a prefix ("elect" finds "election"); words are
runs of letters, digits and combining marks in any script, so Bangla works as well as English.
Stories and queries go through the same `editorial.searchtext.words()` (NFKC, case folding,
digits of every script as ASCII). The databases index `stories.search_text`, a story's words
joined by spaces, so FTS5 and PostgreSQL's parser cut them alike.
Ordering is left to the caller (newest first on the site), so both databases agree exactly.
"""

from __future__ import annotations

from typing import TypeAlias

from sqlalchemy import ColumnElement, Integer, TextClause, literal_column, select, text

from editorial.extensions import db
from editorial.models import Story
from editorial.searchtext import words

MAX_TERMS = 8
# What matches() gives: a plain expression on SQLite, raw tsquery SQL on PostgreSQL.
Condition: TypeAlias = ColumnElement[bool] | TextClause


def terms(query: str) -> list[str]:
    """The searchable words of a query, at most MAX_TERMS."""
    return list(dict.fromkeys(words(query or "")))[:MAX_TERMS]


def matches(query: str) -> Condition | None:
    """A WHERE condition on Story for the query, or None if it has no searchable words."""
    found = terms(query)
    if not found:
        return None
    if db.engine.dialect.name == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in found)
        return text("stories.search_vector @@ to_tsquery('simple', :tsquery)").bindparams(
            tsquery=tsquery
        )
    fts = " AND ".join(f'"{w}"*' for w in found)
    matched = (
        select(literal_column("rowid", Integer))
        .select_from(text("story_search"))
        .where(text("story_search MATCH :fts").bindparams(fts=fts))
    )
    return Story.id.in_(matched)
