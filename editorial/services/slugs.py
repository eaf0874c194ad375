"""Story slugs and tags: found by index lookups, and safe when two saves race for the same one.

A slug is checked, then written; between the two another request may take it (a double-clicked
Save draft). The unique index is the judge: the write runs in a savepoint, and a unique
violation on the slug rolls back only that savepoint and tries the next free slug.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from editorial.extensions import db
from editorial.models import SlugRedirect, Story, Tag
from editorial.rendering import slugify

T = TypeVar("T")
STEM_MAX = 75  # room for "-NNNN" within the 80 characters of a slug
FIRST_BATCH = 32  # candidates looked up at once; doubled while all are taken
# Each lost race costs one attempt; 40 simultaneous saves of one headline need 40 at worst.
MAX_ATTEMPTS = 200
TAG_NAME_MAX = 60


def unique_slug(base: str, *, story_id: int | None = None) -> str:
    """`base`, or `base`-2, -3... (the first free one), free among stories and old slugs.

    Candidates are looked up by exact value (`IN`), which the unique indexes answer; a prefix
    `LIKE` could not use them under the database's collation and scanned the whole table.
    """
    stem, start, size = base[:STEM_MAX], 2, FIRST_BATCH
    candidates = [base]
    while True:
        candidates += [f"{stem}-{n}" for n in range(start, start + size)]
        taken = _taken(candidates, story_id or 0)
        free = next((c for c in candidates if c not in taken), None)
        if free is not None:
            return free
        start, size, candidates = start + size, size * 2, []


def _taken(candidates: list[str], story_id: int) -> set[str]:
    stories = select(Story.slug).where(Story.slug.in_(candidates), Story.id != story_id)
    redirects = select(SlugRedirect.slug).where(
        SlugRedirect.slug.in_(candidates), SlugRedirect.story_id != story_id
    )
    return {*db.session.scalars(stories), *db.session.scalars(redirects)}


def with_free_slug(write: Callable[[str], T], base: str, *, story_id: int | None = None) -> T:
    """`write(slug)` with a free slug, retried with the next one when a racing save took it."""
    for _ in range(MAX_ATTEMPTS):
        slug = unique_slug(base, story_id=story_id)
        try:
            with db.session.begin_nested():
                return write(slug)
        except IntegrityError as error:
            if not _is_slug_clash(error):
                raise
    raise RuntimeError(f"no free slug for {base!r} after {MAX_ATTEMPTS} attempts")


def _is_slug_clash(error: IntegrityError) -> bool:
    """PostgreSQL names the constraint (uq_stories_slug), SQLite the column (stories.slug)."""
    text = str(error.orig)
    return "uq_stories_slug" in text or "stories.slug" in text


def tag_key(name: str) -> str:
    """What makes two tags the same: "Dhaka", "dhaka" and "Dhaka!" are one tag; "" is none."""
    return slugify(name, 70, fallback="")


def tag_problems(names: list[str]) -> str:
    """Why these tags cannot be saved, or "" when they can."""
    empty = [n for n in names if not tag_key(n)]
    if empty:
        return (
            f"“{empty[0]}” is not a usable tag: a tag needs at least one letter or digit. "
            "Remove it or reword it."
        )
    long = [n for n in names if len(n) > TAG_NAME_MAX]
    if long:
        return f"Tags are at most {TAG_NAME_MAX} characters; “{long[0][:30]}…” is longer."
    return ""


def tags_for(names: list[str]) -> list[Tag]:
    """One Tag per key, the first spelling typed naming a new one; existing tags are reused."""
    first_spelling: dict[str, str] = {}
    for name in names:
        first_spelling.setdefault(tag_key(name), name)
    return [_tag(key, name) for key, name in first_spelling.items() if key]


def _tag(key: str, name: str) -> Tag:
    tag = db.session.scalar(select(Tag).where(Tag.slug == key))
    if tag is not None:
        return tag
    try:
        with db.session.begin_nested():
            tag = Tag(name=name, slug=key)
            db.session.add(tag)
            db.session.flush()
        return tag
    except IntegrityError:  # a racing save created it first: use theirs
        return db.session.scalars(select(Tag).where(Tag.slug == key)).one()
