"""The audit trail: who did what, when, from which state to which, and why."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from editorial.extensions import Model
from editorial.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:
    from editorial.models.staff import Person


class AuditEvent(Model):
    """One recorded action. Actions are dotted names (`story.published`, `staff.created`)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_story_id_at", "story_id", "at"),
        # The whole log, newest first, from a keyset cursor (migration 0033).
        Index("ix_audit_events_at_id", "at", "id"),
        # A photo's (or person's) history on its page.
        Index("ix_audit_events_subject_at_id", "subject_type", "subject_id", "at", "id"),
        # The log filtered by action or by who, newest first, read in order (migration 0030).
        Index("ix_audit_events_action_at_id", "action", "at", "id"),
        Index("ix_audit_events_actor_at_id", "actor_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # None: the system
    action: Mapped[str] = mapped_column(String(60))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    subject_type: Mapped[str] = mapped_column(String(30), default="story")
    subject_id: Mapped[int | None] = mapped_column(Integer)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[Person | None] = relationship(lazy="raise")
