"""Public cache invalidation by dependency, the way a CDN purges by surrogate key.

Every cached public page and fragment records the keys it depends on (`story:<id>`,
`desk:<id>`, `tag:<id>`, `latest`, `top`, and `site`, which every page has). A change bumps only
its own keys: a publish bumps the story's, its desk's and tags' and the listings' keys, so an
archive article that shows none of them stays cached.

The numbers live in the database (`cache_tokens`) and change in the same transaction as the
publish, correction or withdrawal that caused them. Each bump first increments the counter row
"*" (its row lock orders committing changes), then writes that number to each of its keys. A
page rendered after reading counter value G reflects every change numbered G or lower, so it is
fresh while none of its keys holds a number above G: checking that is one indexed read per
request, in any process, whether the copy came from Redis or from memory. A committed change can
never be hidden by a stale copy past that instant.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from editorial.extensions import db
from editorial.models import CacheToken, Story, story_tags

COUNTER = "*"
SITE = "site"  # every public page: navigation, section names, tagline
LATEST = "latest"  # every list of the newest stories: homepage, /latest, feeds, sitemaps, API
TOP = "top"  # Top News (homepage, the article sidebar)


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
        rows = _insert().values([{"key": key, "n": number} for key in wanted])
        db.session.execute(
            rows.on_conflict_do_update(index_elements=[CacheToken.key], set_={"n": rows.excluded.n})
        )
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
