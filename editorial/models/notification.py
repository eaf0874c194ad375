"""In-app notifications, each with the state of its e-mail copy."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from editorial.extensions import Model
from editorial.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:
    from editorial.models.staff import Person


class EmailState(StrEnum):
    """The e-mail copy of a notification: claimed before sending so it goes out once."""

    NONE = "none"  # the person turned e-mail off, or this kind is in-app only
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Notification(Model):
    """Something a person should know about, usually a story event."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_person_read", "person_id", "read_at"),
        # The notification centre: one person's, newest first (ORDER BY created_at, id).
        Index("ix_notifications_person_created", "person_id", "created_at", "id"),
        Index("ix_notifications_email_state", "email_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_state: Mapped[EmailState] = mapped_column(String(10), default=EmailState.NONE)
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set at the first claim and kept: every attempt sends the same Message-ID, so a copy sent
    # twice (a worker died between the server's acceptance and marking it sent) is recognisable.
    email_message_id: Mapped[str | None] = mapped_column(String(255))

    person: Mapped[Person] = relationship(lazy="raise")
