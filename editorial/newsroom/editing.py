"""Reads for the editor: a person's working copies, who else is editing, the editor's note.

Writes go through services.drafts; this module only reads and compares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from editorial.extensions import db
from editorial.models import AuditEvent, EditorPresence, Person, Story, WorkingCopy
from editorial.services.drafts import FIELDS, PRESENCE_STALE
from editorial.templating import newsroom_zone
from editorial.timeutil import utcnow
from editorial.workflow import StoryState

NEW_DRAFTS_OFFERED = 5


def when(value: datetime) -> str:
    """'14:02' today (newsroom time), '30 Nov 2026, 14:02' on another day."""
    zone = newsroom_zone()
    local, today = value.astimezone(zone), utcnow().astimezone(zone)
    return f"{local:%H:%M}" if local.date() == today.date() else f"{local:%d %b %Y, %H:%M}"


def my_copy(person_id: int, key: str) -> WorkingCopy | None:
    return db.session.scalar(
        select(WorkingCopy).where(WorkingCopy.person_id == person_id, WorkingCopy.key == key)
    )


def my_new_drafts(person_id: int) -> list[WorkingCopy]:
    """The person's working copies of stories never saved, newest first."""
    return list(
        db.session.scalars(
            select(WorkingCopy)
            .where(WorkingCopy.person_id == person_id, WorkingCopy.story_id.is_(None))
            .order_by(WorkingCopy.saved_at.desc(), WorkingCopy.id.desc())
            .limit(NEW_DRAFTS_OFFERED)
        )
    )


def _normal(name: str, value: object) -> str:
    text = " ".join(str(value or "").split())
    if name == "dateline":
        return text.upper()
    if name == "tags":
        return ",".join(sorted(t.strip().lower() for t in text.split(",") if t.strip()))
    if name == "is_correction":
        return "y" if text and text.lower() not in {"false", "n", "0"} else ""
    return text


# Left empty, these keep what the story has (the slug made from the headline, the byline).
KEPT_WHEN_EMPTY = frozenset({"slug", "byline"})


def differs(copy: Mapping[str, object], saved: Mapping[str, object]) -> bool:
    """Whether a working copy holds anything the saved text does not (spacing aside)."""
    for name in FIELDS:
        mine = _normal(name, copy.get(name))
        if mine != _normal(name, saved.get(name)) and (mine or name not in KEPT_WHEN_EMPTY):
            return True
    return False


@dataclass(frozen=True)
class Editing:
    """Someone else with this story's editor open."""

    name: str
    since: datetime


def others_editing(story_id: int, person_id: int) -> list[Editing]:
    """Who else sent a heartbeat for this story's editor in the last minute."""
    rows = db.session.execute(
        select(Person.name, EditorPresence.since)
        .join(Person, Person.id == EditorPresence.person_id)
        .where(
            EditorPresence.story_id == story_id,
            EditorPresence.person_id != person_id,
            EditorPresence.seen_at >= utcnow() - PRESENCE_STALE,
        )
        .order_by(EditorPresence.since, Person.name)
    )
    return [Editing(name=row.name, since=row.since) for row in rows]


def changes_note(story: Story) -> AuditEvent | None:
    """The editor's note of the last "Request changes", while the story waits on its authors."""
    if story.state != StoryState.CHANGES_REQUESTED:
        return None
    return db.session.scalar(
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(AuditEvent.story_id == story.id, AuditEvent.action == "story.changes_requested")
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
