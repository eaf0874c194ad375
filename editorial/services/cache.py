"""Public cache invalidation by dependency, the way a CDN purges by surrogate key.

Every cached public page and fragment records the keys it depends on (`story:<id>`,
`desk:<id>`, `tag:<id>`, `latest`, `top`, and `site`, which every page has). A change bumps only
its own keys: a publish bumps the story's, its desk's and tags' and the listings' keys, so an
archive article that shows none of them stays cached.

The numbers live in the database (`cache_tokens`) and change in the same transaction as the
publish, correction or withdrawal that caused them. Each bump first increments the counter row
"*" (its row lock orders committing changes), then writes that number to each of its keys. A
page rendered after reading counter value G reflects every change numbered G or lower, so it is
fresh while none of its keys holds a number above G: checking that is one indexed read, in any
process, whether the copy came from Redis or from memory.

A web process reuses the numbers it read for CHECK_SECONDS (a quarter of a second): a hit then
costs no database round trip at all, and a committed change shows in every other process within
that window (well inside the second a publish is promised in, and the CDN's own s-maxage=1).
The process that commits a change forgets its numbers as the commit returns, so the newsroom
(and a test) sees its own change on the very next request.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from editorial.extensions import db
from editorial.models import CacheToken, Story, story_tags

COUNTER = "*"
SITE = "site"  # every public page: navigation, section names, tagline
LATEST = "latest"  # every list of the newest stories: homepage, /latest, feeds, sitemaps, API
TOP = "top"  # Top News (homepage, the article sidebar)
KEY_PATTERN = re.compile(r"[a-z]+(:[0-9]+)?|\*")
CHECK_SECONDS = 0.25  # how long a process may judge copies by numbers it has read
_WINDOW = "editorial.cache_numbers"
_BUMPED = "editorial.cache_bumped"


def story_key(story_id: int) -> str:
    return f"story:{story_id}"


def desk_key(desk_id: int) -> str:
    return f"desk:{desk_id}"


def tag_key(tag_id: int) -> str:
    return f"tag:{tag_id}"


def _insert() -> Any:  # the dialect's INSERT (sqlite's or postgresql's), for its upsert
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(CacheToken)


def bump(*keys: str) -> int:
    """Mark these keys changed, as part of the current transaction; the change's number."""
    counted = _insert().values(key=COUNTER, n=1)
    number: int = db.session.execute(
        counted.on_conflict_do_update(
            index_elements=[CacheToken.key], set_={"n": CacheToken.n + 1}
        ).returning(CacheToken.n)
    ).scalar_one()
    wanted = sorted(set(keys) - {COUNTER})
    if wanted:
        # Parameters beside one statement, not a VALUES list compiled afresh for every length:
        # SQLAlchemy reuses the statement's compiled form (a hundred keys a publishing chunk).
        rows = _insert()
        db.session.execute(
            rows.on_conflict_do_update(
                index_elements=[CacheToken.key], set_={"n": rows.excluded.n}
            ),
            [{"key": key, "n": number} for key in wanted],
        )
    db.session.info[_BUMPED] = True  # forget this process's numbers once this commits
    return number


def purge_public_cache() -> None:
    """Make every cached public page stale (navigation, section names, the tagline: what every
    page shows), as part of the current transaction."""
    bump(SITE)


def story_keys(story_ids: Iterable[int]) -> set[str]:
    """The keys pages showing these stories depend on, as the database holds them now: each
    story, its desk and its tags, and the listings (call before and after a change that moves a
    story to another desk or other tags, so the old ones refresh too)."""
    ids = sorted(set(story_ids))
    if not ids:
        return set()
    keys = {LATEST, TOP, *(story_key(i) for i in ids)}
    keys |= {
        desk_key(d) for d in db.session.scalars(select(Story.desk_id).where(Story.id.in_(ids)))
    }
    tagged = select(story_tags.c.tag_id).where(story_tags.c.story_id.in_(ids)).distinct()
    keys |= {tag_key(t) for t in db.session.scalars(tagged)}
    return keys


def refresh_stories(story_ids: Iterable[int], *, also: Iterable[str] = ()) -> None:
    """These stories changed for readers (published, corrected, withdrawn, placed, a photo
    re-cut): refresh their pages and every list that shows them, in this transaction."""
    keys = story_keys(story_ids) | set(also)
    if keys:
        bump(*keys)


def site_generation() -> str:
    """The number of the last committed change to anything public ("0" before the first)."""
    row = db.session.get(CacheToken, COUNTER)
    return str(row.n) if row else "0"


# --- reading the numbers ------------------------------------------------------------------------


@dataclass
class Window:
    """Numbers this process read since `opened` (time.monotonic()), each at or after it."""

    opened: float
    numbers: dict[str, int] = field(default_factory=dict)


def read_numbers(keys: set[str]) -> dict[str, int]:
    """The numbers of `keys` and the counter, as read at most CHECK_SECONDS ago.

    Every number of a window was read after it opened, so a change committed before then is in
    all of them: a window never outlives CHECK_SECONDS, and a commit here closes it at once.
    The counter is re-read with every key that was missing, so no key is ever newer than it (a
    copy rendered now would otherwise look stale at once and render again).
    """
    wanted = keys | {COUNTER}
    window = _window()
    known = window.numbers
    missing = wanted.difference(known)
    if missing:
        read = _select_numbers(missing | {COUNTER})
        # One dict.update (atomic under the GIL); a window only ever gains keys, so a thread
        # reading it meanwhile finds each of its own.
        known.update({key: read.get(key, 0) for key in missing | {COUNTER}})
    return {key: known[key] for key in wanted}


def forget_numbers() -> None:
    """Close this process's window: the next request reads the numbers afresh."""
    current_app.extensions.pop(_WINDOW, None)


def _window() -> Window:
    extensions = current_app.extensions
    window: Window | None = extensions.get(_WINDOW)
    now = time.monotonic()
    if window is None or now - window.opened > CHECK_SECONDS:
        # Opened before the read it is for: every number in it is at least this recent.
        window = extensions[_WINDOW] = Window(now)
    return window


def _select_numbers(keys: set[str]) -> dict[str, int]:
    """The committed numbers of `keys`, read outside any transaction.

    A cached page must not wait for a transaction: on SQLite every one takes the write lock.
    A plain autocommit read sees the latest committed numbers (WAL), which is all we need: the
    page is rendered (or judged fresh) after this read, so it is never older than what it read.
    Keys are ours ([a-z]+:digits), checked, so they are written into the statement as literals.
    """
    wanted = sorted(keys)
    if not all(KEY_PATTERN.fullmatch(key) for key in wanted):
        raise ValueError(f"not a cache key: {wanted}")
    listed = ", ".join(f"'{key}'" for key in wanted)
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(f"SELECT key, n FROM cache_tokens WHERE key IN ({listed})")
        rows = cursor.fetchall()
        cursor.close()
    finally:
        connection.close()
    return {key: int(n) for key, n in rows}


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    """A change to the numbers committed in this process: its own next request sees it."""
    if session.info.pop(_BUMPED, False) and has_app_context():
        forget_numbers()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_BUMPED, None)
