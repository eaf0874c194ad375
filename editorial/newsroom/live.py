"""The live part of a newsroom story page: the newest entries and what this person may do."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from editorial.extensions import db
from editorial.models import LiveEntry, Person, Story
from editorial.newsroom.forms import parse_int, photo_choices
from editorial.workflow import Action, allowed_live_actions

NEWSROOM_ENTRIES = 50


@dataclass(frozen=True)
class LivePanel:
    """The live part of the story page: what this person may do, and the newest entries."""

    allowed: frozenset[Action]
    entries: list[LiveEntry]
    total: int
    editing: int | None  # the entry whose edit form is open (?edit=N)
    photos: list[tuple[str, str]]  # the Photo picker: the library's newest


def live_panel(story: Story, me: Person) -> LivePanel | None:
    """None for a story that was never live (the editor's checkbox starts it)."""
    if story.live_started_at is None:
        return None
    visible = select(LiveEntry).where(
        LiveEntry.story_id == story.id, LiveEntry.deleted_at.is_(None)
    )
    entries = list(
        db.session.scalars(
            visible.options(joinedload(LiveEntry.author))
            .order_by(LiveEntry.is_pinned.desc(), LiveEntry.id.desc())
            .limit(NEWSROOM_ENTRIES)
        )
    )
    total = db.session.scalar(
        select(func.count()).select_from(visible.with_only_columns(LiveEntry.id).subquery())
    )
    return LivePanel(
        allowed=allowed_live_actions(me.actor, story.facts),
        entries=entries,
        total=total or 0,
        editing=parse_int(request.args.get("edit")),
        photos=[("", "No photo"), *photo_choices(None)[1:]],
    )
