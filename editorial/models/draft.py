"""What the editor keeps between saves: a person's working copy, and who has a story open.

Neither is part of the newsroom's record: a working copy is never a revision and never moves a
story's version; a real save deletes it. Presence rows say who had an editor open lately
(heartbeats every few seconds; stale after a minute).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from editorial.extensions import Model
from editorial.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:
    from editorial.models.staff import Person


class WorkingCopy(Model):
    """The editor's fields as one person last had them, for one story or one new-story draft.

    `key` is "story:<id>" for a story, "new:<draft key>" for a story not saved yet (the draft
    key is made by the browser, one per new-story page).
    """

    __tablename__ = "working_copies"
    __table_args__ = (
        UniqueConstraint("person_id", "key"),
        Index("ix_working_copies_story_id", "story_id"),
        Index("ix_working_copies_saved_at", "saved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(60))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    # The story's version the editor was opened on (0 for a new story).
    base_version: Mapped[int] = mapped_column(Integer, default=0)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    client: Mapped[str] = mapped_column(String(40), default="")  # the browser tab that wrote it
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EditorPresence(Model):
    """Someone has this story's editor open: since when, and their last heartbeat."""

    __tablename__ = "editor_presence"
    __table_args__ = (Index("ix_editor_presence_seen_at", "seen_at"),)

    story_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True
    )
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    client: Mapped[str] = mapped_column(String(40), default="")

    person: Mapped[Person] = relationship(lazy="raise")
