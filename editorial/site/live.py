"""What readers see of live coverage: a public story's entries, newest first, a page at a time.

Every read joins the story and keeps `queries.is_public()`: the entries of a draft, embargoed,
scheduled or withdrawn story are not returned, whatever id is asked for. Pages are keyset pages
(`?before=<entry id>`: the 50 entries older than that one), so an address keeps showing the
same entries however many are posted later, and page 200 of 10,000 entries costs what page 1
does (the index on story_id, id).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache

import nh3
from sqlalchemy import Select, bindparam, func, select

from editorial.embeds import find_embed
from editorial.models import LiveEntry, Story
from editorial.rendering import embed_box, embeds_as_links
from editorial.site.prepared import Prepared
from editorial.site.queries import LeadPhoto, PublicStory, is_public, photos_by_id, rows

PAGE_SIZE = 50
ENTRY_COLUMNS = (
    LiveEntry.id,
    LiveEntry.body_html,
    LiveEntry.link,
    LiveEntry.is_pinned,
    LiveEntry.created_at,
    LiveEntry.edited_at,
    LiveEntry.photo_id,
)
NO_CURSOR = 2**31 - 1  # the largest id an INTEGER holds: the first page


@dataclass(frozen=True)
class Entry:
    id: int
    body_html: str
    link: str
    is_pinned: bool
    created_at: datetime
    edited_at: datetime | None
    photo_id: int | None
    photo: LeadPhoto | None = None  # set by with_photos()

    @property
    def text(self) -> str:
        """The entry as plain text (JSON-LD)."""
        return html.unescape(nh3.clean(embeds_as_links(self.body_html), tags=set())).strip()

    @property
    def link_box(self) -> str:
        """The entry's link as an embed box when it is a provider's post or video, else ""."""
        embed = find_embed(self.link)
        return embed_box(embed) if embed is not None else ""


@dataclass(frozen=True)
class Coverage:
    """A public story's live coverage as one page shows it."""

    started_at: datetime
    ended_at: datetime | None
    updated_at: datetime | None
    pinned: Entry | None  # first page only
    entries: list[Entry]
    total: int
    older: int | None  # ?before= of the next (older) page, None on the last
    is_first_page: bool

    @property
    def is_live(self) -> bool:
        return self.ended_at is None


def _public_entries() -> Select:
    return (
        select(*ENTRY_COLUMNS)
        .join(Story, Story.id == LiveEntry.story_id)
        .where(
            is_public(),
            LiveEntry.story_id == bindparam("story_id"),
            LiveEntry.deleted_at.is_(None),
        )
    )


@cache
def _page_query() -> Prepared:
    return Prepared(
        _public_entries()
        .where(LiveEntry.is_pinned.is_(False), LiveEntry.id < bindparam("before"))
        .order_by(LiveEntry.id.desc())
        .limit(bindparam("limit"))
    )


@cache
def _pinned_query() -> Prepared:
    return Prepared(
        _public_entries().where(LiveEntry.is_pinned.is_(True)).order_by(LiveEntry.id.desc())
    )


@cache
def _count_query() -> Prepared:
    return Prepared(
        select(func.count(LiveEntry.id))
        .join(Story, Story.id == LiveEntry.story_id)
        .where(
            is_public(),
            LiveEntry.story_id == bindparam("story_id"),
            LiveEntry.deleted_at.is_(None),
        )
    )


def with_photos(entries: list[Entry], pinned: Entry | None) -> tuple[list[Entry], Entry | None]:
    """The entries with their photos as figures (two queries for the page, none without)."""
    ids = {e.photo_id for e in [*entries, *([pinned] if pinned else [])] if e.photo_id}
    if not ids:
        return entries, pinned
    photos = photos_by_id(ids)

    def dressed(entry: Entry) -> Entry:
        return replace(entry, photo=photos.get(entry.photo_id)) if entry.photo_id else entry

    return [dressed(e) for e in entries], dressed(pinned) if pinned else None


def coverage_of(story: Story | PublicStory, before: int | None = None) -> Coverage | None:
    """The live coverage of a public story (None if it was never live); `before` picks an
    older page. A page past the end has no entries (the view answers 404)."""
    if story.live_started_at is None:
        return None
    page = rows(_page_query(), story_id=story.id, before=before or NO_CURSOR, limit=PAGE_SIZE + 1)
    entries = [Entry(*row) for row in page[:PAGE_SIZE]]
    pinned = None
    if before is None:
        found = rows(_pinned_query(), story_id=story.id)
        pinned = Entry(*found[0]) if found else None
    entries, pinned = with_photos(entries, pinned)
    return Coverage(
        started_at=story.live_started_at,
        ended_at=story.live_ended_at,
        updated_at=story.live_updated_at,
        pinned=pinned,
        entries=entries,
        total=rows(_count_query(), story_id=story.id)[0][0] or 0,
        older=entries[-1].id if len(page) > PAGE_SIZE else None,
        is_first_page=before is None,
    )
