"""Keyset pages of long lists, newest first: a place is a row's (time, id), written
`<microseconds since 1970>.<id>` in `?before=` and `?after=`.

A page is an index walk from its cursor (no OFFSET, no count), so the 700th page costs what
the first costs, and an address keeps showing the same rows however many are added later.
The public listings (editorial.site.queries) and the newsroom's and admin's long lists (the
audit log, the notification centre) share it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import abort, request
from sqlalchemy import Select, literal, tuple_

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_ID = 2**31 - 1
CURSOR_DIGITS = 17  # microseconds since 1970 stay under 10^17 until the year 5138
SortKey = tuple[Any, Any]  # (time, id) columns: mapped attributes or column expressions


@dataclass(frozen=True)
class Cursor:
    """A place in a list: a row's sort key (its time, then its id, for rows of one instant).

    Exact to the microsecond: a second would tie rows written in the same second."""

    published_at: datetime
    id: int

    def token(self) -> str:
        delta = self.published_at - EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return f"{micros}.{self.id}"

    @classmethod
    def parse(cls, raw: str) -> Cursor | None:
        """The cursor `raw` writes, or None for anything else (never an exception)."""
        micros, dot, row_id = raw.partition(".")
        if not (dot and _digits(micros, CURSOR_DIGITS) and _digits(row_id, 10)):
            return None
        if not 1 <= int(row_id) <= MAX_ID:
            return None
        return cls(EPOCH + timedelta(microseconds=int(micros)), int(row_id))


def _digits(text: str, most: int) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= most


BAD_CURSOR = "This list's address is not one this site wrote. Start from its first page."


def requested(message: str = BAD_CURSOR) -> tuple[Cursor | None, Cursor | None]:
    """The request's ?before= and ?after= cursors; anything this site never wrote, or both
    at once, is a 400 with `message`."""
    before, after = (_cursor_arg(name, message) for name in ("before", "after"))
    if before and after:
        abort(400, message)
    return before, after


def _cursor_arg(name: str, message: str) -> Cursor | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    cursor = Cursor.parse(raw)
    if cursor is None:
        abort(400, message)
    return cursor


@dataclass(frozen=True)
class Window:
    """One keyset page, newest first, with the cursors of its neighbours."""

    items: list[Any]
    older: str | None  # ?before= of the next page, None on the last
    newer: str | None  # ?after= of the previous page, None on the first


def window(
    statement: Select,
    key: SortKey,
    size: int,
    *,
    before: Cursor | None,
    after: Cursor | None,
    fetch: Callable[[Select], Sequence[Any]],
) -> Window:
    """The `size` rows of `statement` (ordered by `key` descending) older than `before`, or
    the `size` newer than `after` (nearest it first), or the newest. One query of size + 1
    rows: the extra one says whether there is a neighbour that way. A row's cursor is its
    attributes named as the key's columns are (an object's or a result row's)."""
    at, row_id = (column.key for column in key)

    def cursor_of(row: Any) -> Cursor:
        return Cursor(getattr(row, at), getattr(row, row_id))

    cursor = before or after
    rows = list(fetch(seek(statement, key, before=before, after=after).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    if after is not None:
        rows.reverse()
    beyond_older = more if after is None else True
    beyond_newer = cursor is not None and (more if after is not None else True)
    return Window(
        items=rows,
        older=cursor_of(rows[-1]).token() if rows and beyond_older else None,
        newer=cursor_of(rows[0]).token() if rows and beyond_newer else None,
    )


def seek(statement: Select, key: SortKey, *, before: Cursor | None, after: Cursor | None) -> Select:
    """`statement` (ordered by `key` descending) from the cursor on: the rows older than
    `before`, newest first; or those newer than `after`, nearest it first; or all of them.
    For a list that is a union of index walks, each walk seeks from the cursor (then a
    `window` over the union takes the page)."""
    sort = tuple_(*key)
    if after is not None:
        bound = tuple_(*_bounds(key, after))
        return statement.where(sort > bound).order_by(None).order_by(*(c.asc() for c in key))
    if before is not None:
        return statement.where(sort < tuple_(*_bounds(key, before)))
    return statement


def _bounds(key: SortKey, cursor: Cursor) -> list[Any]:
    """The cursor's values as parameters of the key columns' types (a time zone-aware time
    is stored the way the column stores it)."""
    at, row_id = key
    return [literal(cursor.published_at, at.type), literal(cursor.id, row_id.type)]
