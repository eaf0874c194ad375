"""Full-text search over stories: PostgreSQL tsvector or SQLite FTS5, same matching rules.

Each word the reader types must match (AND), as a prefix ("elect" finds "election"); words are
runs of letters, digits and combining marks in any script, so Bangla works as well as English.
Ordering is left to the caller (newest first on the site), so both databases agree exactly.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import ColumnElement, literal_column, select, text

from editorial.extensions import db
from editorial.models import Story

MAX_TERMS = 8


def terms(query: str) -> list[str]:
    """The searchable words of a query, lower-cased, at most MAX_TERMS."""
    normalised = unicodedata.normalize("NFKC", query or "").lower()
    cleaned = "".join(
        ch if unicodedata.category(ch)[0] in {"L", "N", "M"} else " " for ch in normalised
    )
    return list(dict.fromkeys(cleaned.split()))[:MAX_TERMS]


def matches(query: str) -> ColumnElement[bool] | None:
    """A WHERE condition on Story for the query, or None if it has no searchable words."""
    words = terms(query)
    if not words:
        return None
    if db.engine.dialect.name == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in words)
        return text("stories.search_vector @@ to_tsquery('simple', :tsquery)").bindparams(
            tsquery=tsquery
        )
    fts = " AND ".join(f'"{w}"*' for w in words)
    matched = (
        select(literal_column("rowid"))
        .select_from(text("story_search"))
        .where(text("story_search MATCH :fts").bindparams(fts=fts))
    )
    return Story.id.in_(matched)
