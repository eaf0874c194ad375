"""Live coverage: the short timestamped entries of a story marked live."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from editorial.extensions import Model
from editorial.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:
    from editorial.models.staff import Person

ENTRY_MAX = 20_000
LINK_MAX = 2000


class LiveEntry(Model):
    """One entry of a live story: Markdown text (rendered and sanitised on save), an optional
    photo from the library and an optional link. Deleting keeps the row (the audit log points at
    it) and hides it everywhere."""

    __tablename__ = "live_entries"
    __table_args__ = (
        # The reader page: a story's entries newest first, a page at a time (keyset on id).
        Index("ix_live_entries_story_id", "story_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    photo_id: Mapped[int | None] = mapped_column(
        ForeignKey("photos.id", ondelete="RESTRICT"), index=True
    )
    link: Mapped[str] = mapped_column(String(LINK_MAX), default="")
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[Person] = relationship(lazy="raise")
