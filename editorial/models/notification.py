"""In-app notifications, each with the state of its e-mail copy."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
    # Waiting for its person's hourly or daily digest, then taken into one (`digest_id`).
    HOURLY = "hourly"
    DAILY = "daily"
    DIGESTED = "digested"


class EmailDelivery(StrEnum):
    """How a person wants the e-mail copies of one kind of notification."""

    IMMEDIATE = "immediate"
    HOURLY = "hourly"
    DAILY = "daily"
    NONE = "none"

    @property
    def waiting_state(self) -> EmailState:
        """The e-mail state a new notification starts in under this choice."""
        return {
            EmailDelivery.IMMEDIATE: EmailState.PENDING,
            EmailDelivery.HOURLY: EmailState.HOURLY,
            EmailDelivery.DAILY: EmailState.DAILY,
            EmailDelivery.NONE: EmailState.NONE,
        }[self]


DIGEST_FREQUENCIES = (EmailDelivery.HOURLY, EmailDelivery.DAILY)
# Not sent yet, and nobody is sending it.
WAITING_EMAIL = (EmailState.PENDING, EmailState.HOURLY, EmailState.DAILY)


class EmailCopy:
    """The sending state of one e-mail, claimed before sending so it goes out once."""

    email_state: Mapped[EmailState] = mapped_column(String(10), default=EmailState.NONE)
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set at the first claim and kept: every attempt sends the same Message-ID, so a copy sent
    # twice (a worker died between the server's acceptance and marking it sent) is recognisable.
    email_message_id: Mapped[str | None] = mapped_column(String(255))


class Notification(EmailCopy, Model):
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
    # The digest e-mail that carried it (email_state "digested").
    digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_digests.id", ondelete="SET NULL"), index=True
    )

    person: Mapped[Person] = relationship(lazy="raise")


class EmailDigest(EmailCopy, Model):
    """One person's hourly or daily digest e-mail for the period ending at `period_end`.

    The unique key is the claim: two schedulers sweeping the same period insert one row
    between them, and only the one whose insert went in takes the waiting notifications.
    """

    __tablename__ = "email_digests"
    __table_args__ = (
        UniqueConstraint("person_id", "frequency", "period_end"),
        CheckConstraint("frequency IN ('hourly', 'daily')", name="frequency"),
        Index("ix_email_digests_email_state", "email_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    frequency: Mapped[EmailDelivery] = mapped_column(String(10))
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    items: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship(lazy="raise")
