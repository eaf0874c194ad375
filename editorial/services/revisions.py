"""A story's history: its numbered revisions and the public notices under it."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select

from editorial.extensions import db
from editorial.models import Correction, Revision
from editorial.models.update import TEXT_FIELDS
from editorial.timeutil import utcnow


@dataclass
class CorrectionInput:
    """A public notice to attach to an edit of a published story."""

    note: str
    is_correction: bool = True


def next_revision_numbers(story_ids: Collection[int]) -> dict[int, int]:
    """The number each story's next revision takes (one SELECT for any number of stories)."""
    rows = db.session.execute(
        select(Revision.story_id, func.max(Revision.number))
        .where(Revision.story_id.in_(story_ids))
        .group_by(Revision.story_id)
    )
    found = {story_id: number for story_id, number in rows}
    return {story_id: (found.get(story_id) or 0) + 1 for story_id in story_ids}


def revision_values(
    story_id: int,
    number: int,
    text: Mapping[str, str],
    *,
    story_version: int,
    actor_id: int,
    summary: str = "",
) -> dict[str, Any]:
    """The row of the story's text (`text`: its TEXT_FIELDS) as revision `number`."""
    return {
        "story_id": story_id,
        "number": number,
        **{name: text[name] for name in TEXT_FIELDS},
        "summary": summary,
        "story_version": story_version,
        "created_by_id": actor_id,
        "created_at": utcnow(),
    }


def add_revision(values: Mapping[str, Any]) -> Revision:
    """Record one revision (`revision_values`)."""
    revision = Revision(**values)
    db.session.add(revision)
    return revision


def add_revisions(rows: Sequence[Mapping[str, Any]]) -> None:
    """Record a batch's revisions (`revision_values` each) with one executemany: a hundred
    ORM objects through the unit of work cost the scheduler more than PostgreSQL's writing
    them."""
    if rows:
        db.session.execute(insert(Revision), list(rows))


def add_correction(story_id: int, notice: CorrectionInput, *, actor_id: int) -> None:
    """A public notice under the story: a correction, or an update of it."""
    db.session.add(
        Correction(
            story_id=story_id,
            note=notice.note.strip(),
            is_correction=notice.is_correction,
            created_at=utcnow(),
            created_by_id=actor_id,
        )
    )
