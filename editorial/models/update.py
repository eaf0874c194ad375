"""A published story's pending update: the next text of the live copy, waiting for review.

One per story (unique `story_id`): a second author edits the same update, and a save from an
old version of it is a conflict. Readers never see it: nothing public reads this table. The
`base_*` columns keep the live text the update started from, so a live copy changed since
(a correction, a direct edit) is compared three ways before the update may replace it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from editorial.extensions import Model
from editorial.models.story import HEADLINE_MAX
from editorial.timeutil import UTCDateTime, utcnow
from editorial.workflow import UpdateState

# The text an update carries and compares three ways (the rest of the story's settings are
# taken from the update as they are, see services/updates.py).
TEXT_FIELDS = ("headline", "standfirst", "body", "byline", "dateline")


class StoryUpdate(Model):
    """The pending update of one published story."""

    __tablename__ = "story_updates"
    __table_args__ = (Index("ix_story_updates_state_publish_at", "state", "publish_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), unique=True)
    state: Mapped[UpdateState] = mapped_column(String(20), default=UpdateState.DRAFT)
    # Optimistic concurrency, like the story's: every change bumps it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    headline: Mapped[str] = mapped_column(String(HEADLINE_MAX))
    standfirst: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    byline: Mapped[str] = mapped_column(String(120), default="")
    dateline: Mapped[str] = mapped_column(String(80), default="")
    slug: Mapped[str] = mapped_column(String(240), default="")
    tags: Mapped[str] = mapped_column(Text, default="")  # comma separated, as typed
    # No foreign key: a photo deleted meanwhile is refused when the update is published.
    lead_photo_id: Mapped[int | None] = mapped_column(Integer)
    lead_caption: Mapped[str] = mapped_column(Text, default="")
    # The text rendered when it was saved (services/stories.rendered_columns), so going live
    # copies it; NULL: saved before migration 0034, rendered when it goes live. Nothing
    # searches `search_text` here: it is the story's once the update is live.
    body_html: Mapped[str | None] = mapped_column(Text)
    search_text: Mapped[str | None] = mapped_column(Text)
    word_count: Mapped[int | None] = mapped_column(Integer)
    # The live text this update started from (or was last rebased on).
    base_headline: Mapped[str] = mapped_column(String(HEADLINE_MAX))
    base_standfirst: Mapped[str] = mapped_column(Text, default="")
    base_body: Mapped[str] = mapped_column(Text, default="")
    base_byline: Mapped[str] = mapped_column(String(120), default="")
    base_dateline: Mapped[str] = mapped_column(String(80), default="")
    # The desk's note when it asked for changes (shown to the authors until they resubmit).
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    modified_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Schedule update: the time the scheduler publishes it (services/scheduled_updates.py),
    # with the public notice the editor chose then; `modified_by_id` is that editor.
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notice_note: Mapped[str] = mapped_column(Text, default="", server_default="")  # "": none
    notice_is_correction: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # A scheduled publish that failed on its own waits for an editor (like a story's).
    publish_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publish_error: Mapped[str] = mapped_column(Text, default="", server_default="")

    def text(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in TEXT_FIELDS}

    def rendered(self) -> dict[str, Any] | None:
        """The columns rendered from the text when it was saved (None: not rendered)."""
        if self.body_html is None or self.search_text is None or self.word_count is None:
            return None
        return {
            "body_html": self.body_html,
            "search_text": self.search_text,
            "word_count": self.word_count,
        }

    def base(self) -> dict[str, str]:
        return {name: getattr(self, f"base_{name}") for name in TEXT_FIELDS}

    def __repr__(self) -> str:
        return f"<StoryUpdate of story {self.story_id} {self.state}>"
