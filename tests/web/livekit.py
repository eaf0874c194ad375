"""Helpers for the live-coverage tests: a live story, entries written fast, the reader's URLs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from editorial.extensions import db
from editorial.models import LiveEntry, Person, Story
from editorial.rendering import render_body
from editorial.services import commit
from editorial.services.cache import purge_public_cache
from editorial.services.live import EntryInput, post_entry, start_live_coverage
from editorial.timeutil import utcnow


def live_story(story: Story, actor: Person, *entries: str) -> Story:
    """Mark `story` live and post `entries` in order (the last is the newest)."""
    start_live_coverage(story, actor=actor)
    for text in entries:
        post_entry(story, EntryInput(body=text), actor=actor)
    return story


def bulk_entries(story: Story, author: Person, count: int, word: str = "Update") -> None:
    """`count` entries in one INSERT (the newest is number `count`), as if posted a second
    apart: the same rows post_entry writes, without a transaction each."""
    start = utcnow() - timedelta(seconds=count)
    db.session.execute(
        insert(LiveEntry),
        [
            {
                "story_id": story.id,
                "author_id": author.id,
                "body": f"{word} number {n}.",
                "body_html": render_body(f"{word} number {n}."),
                "link": "",
                "is_pinned": False,
                "created_at": start + timedelta(seconds=n),
            }
            for n in range(1, count + 1)
        ],
    )
    purge_public_cache()
    commit()
