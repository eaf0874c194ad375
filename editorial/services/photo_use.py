"""Photos in stories: what a story's photos still lack, which photos a story's body uses, and
which stories use a photo (for "is it used" and "is it public")."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, insert, or_, select

from editorial.extensions import db
from editorial.models import Photo, Story, StoryPhoto
from editorial.rendering import PhotoRef, photo_refs
from editorial.workflow import StoryState

log = logging.getLogger(__name__)

# A story in these states needs its lead photo's credit and alt text (PRODUCT "Photos").
PUBLIC_STATES = frozenset({StoryState.PUBLISHED, StoryState.SCHEDULED})


class PhotoFacts(Protocol):
    """What deciding whether a photo may go public reads (a Photo, or the site's PhotoData)."""

    @property
    def credit(self) -> str: ...
    @property
    def alt_text(self) -> str: ...
    @property
    def renditions_ready_at(self) -> datetime | None: ...


def shortcomings(photo: PhotoFacts | None, *, alt_given: bool = False) -> list[str]:
    """What keeps a photo from a public page: none, no credit, no alt text (unless the story
    gives its own), renditions not ready. Empty: it may go public."""
    if photo is None:
        return ["is not in the library (no such photo, or it was deleted)"]
    return [
        problem
        for missing, problem in (
            (not photo.credit.strip(), "has no credit"),
            (not (alt_given or photo.alt_text.strip()), "has no alt text"),
            (photo.renditions_ready_at is None, "is still being processed"),
        )
        if missing
    ]


def ref_problem(ref: PhotoRef, photo: PhotoFacts | None) -> str:
    """One sentence on what is wrong with a photo the body places ("" when nothing is)."""
    if ref.photo_id is None:
        return (
            f"“photo:{ref.ref}” in the body names no photo: write photo: and the photo's number"
            ' from the library, e.g. ![Boats at dawn](photo:12 "Caption").'
        )
    problems = shortcomings(photo, alt_given=bool(ref.alt.strip()))
    if not problems:
        return ""
    fix = (
        f" Fix it on the photo's page (/newsroom/media/{ref.photo_id})."
        if photo is not None
        else " Choose a photo from the library."
    )
    return f"Photo {ref.photo_id} in the body {_and(problems)}.{fix}"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def lead_photo_problems(photo_id: int | None) -> dict[str, str]:
    """Why a story leading with this photo may not go public yet (empty: it may)."""
    photo = db.session.get(Photo, photo_id) if photo_id is not None else None
    if photo is None:
        return {}
    problems = [
        message
        for missing, message in (
            (not photo.credit.strip(), "The lead photo has no credit."),
            (not photo.alt_text.strip(), "The lead photo has no alt text."),
            (photo.renditions_ready_at is None, "The lead photo is still being processed."),
        )
        if missing
    ]
    if not problems:
        return {}
    return {
        "lead_photo": " ".join(problems)
        + f" Fix it on the photo's page (/newsroom/media/{photo.id}), or choose another lead"
        " photo or none; then try again."
    }


def story_photo_problems(lead_photo_id: int | None, body_html: str) -> dict[str, str]:
    """Why a story with this lead photo and rendered body may not go public yet: every photo
    it shows needs its credit, alt text and renditions, and every photo it names must exist.
    Lead problems under "lead_photo", the body's under "body" (empty: it may go public)."""
    errors = lead_photo_problems(lead_photo_id)
    refs = photo_refs(body_html)
    ids = {ref.photo_id for ref in refs if ref.photo_id is not None}
    found = (
        {p.id: p for p in db.session.scalars(select(Photo).where(Photo.id.in_(ids)))} if ids else {}
    )
    seen: set[str] = set()
    body = []
    for ref in refs:
        problem = ref_problem(ref, found.get(ref.photo_id or 0))
        if problem and problem not in seen:
            seen.add(problem)
            body.append(problem)
    if body:
        errors["body"] = " ".join(body) + " Then try again."
    return errors


def record_body_photos(story_id: int, body_html: str) -> set[int]:
    """Keep the story's rows of placed photos in step with its rendered body (in the caller's
    transaction, beside the UPDATE of the body). Returns the photos the body placed before,
    whose public copies may have to go."""
    placed = StoryPhoto.story_id == story_id
    before = set(db.session.scalars(select(StoryPhoto.photo_id).where(placed)))
    db.session.execute(delete(StoryPhoto).where(placed))
    rows = [
        {
            "story_id": story_id,
            "position": position,
            "photo_id": ref.photo_id,
            "alt": ref.alt,
            "caption": ref.caption,
        }
        for position, ref in enumerate(photo_refs(body_html))
        if ref.photo_id is not None
    ]
    if rows:
        db.session.execute(insert(StoryPhoto), rows)
    return before


def stories_using(photo_id: int) -> list[Story]:
    """The stories leading with the photo or placing it in their body (what keeps it from
    being deleted)."""
    in_body = select(StoryPhoto.story_id).where(StoryPhoto.photo_id == photo_id)
    return list(
        db.session.scalars(
            select(Story)
            .where(or_(Story.lead_photo_id == photo_id, Story.id.in_(in_body)))
            .order_by(Story.id)
        )
    )
