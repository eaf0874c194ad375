"""A photo's tags: newsroom-only words for the library's search, kept apart from the stories'
public tags (a tag page must never hint at an unpublished photo)."""

from __future__ import annotations

from sqlalchemy import delete, select

from editorial.extensions import db
from editorial.models import Photo, PhotoTag
from editorial.services.slugs import tag_key, tag_problems

TAGS_MAX = 30


def split_tags(text: str) -> list[str]:
    """Comma-separated text as tag names (blank ones dropped, inner spaces tidied)."""
    return [" ".join(part.split()) for part in text.split(",") if part.strip()]


def photo_tag_problems(names: list[str]) -> str:
    """Why these tags cannot be saved, or "" when they can."""
    if len(names) > TAGS_MAX:
        return f"At most {TAGS_MAX} tags, please; there are {len(names)}."
    return tag_problems(names)


def tag_names(photo_id: int) -> list[str]:
    """The photo's tags, alphabetically."""
    return list(
        db.session.scalars(
            select(PhotoTag.name).where(PhotoTag.photo_id == photo_id).order_by(PhotoTag.key)
        )
    )


def set_tags(photo_id: int, names: list[str]) -> bool:
    """Make the photo's tags these (in the caller's transaction); whether anything changed."""
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(tag_key(name), name)
    wanted.pop("", None)
    # The photo's row first: two saves at once (a double-click) then take turns, instead of
    # both inserting the same new tag and one failing on the unique key.
    db.session.execute(select(Photo.id).where(Photo.id == photo_id).with_for_update())
    rows = db.session.execute(
        select(PhotoTag.key, PhotoTag.name).where(PhotoTag.photo_id == photo_id)
    )
    have = {key: name for key, name in rows}
    gone = [key for key, name in have.items() if wanted.get(key) != name]
    if gone:
        db.session.execute(
            delete(PhotoTag).where(PhotoTag.photo_id == photo_id, PhotoTag.key.in_(gone))
        )
    added = [(key, name) for key, name in wanted.items() if have.get(key) != name]
    db.session.add_all(PhotoTag(photo_id=photo_id, key=key, name=name) for key, name in added)
    return bool(gone or added)
