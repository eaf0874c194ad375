"""The desk's tools: the front page's version, and each desk's house-style checklist."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from editorial.extensions import Model
from editorial.timeutil import UTCDateTime

FRONT_PAGE_ID = 1


class FrontPage(Model):
    """The one front page: its version, which every reorder names (a stale one is a conflict).

    The order itself lives on the stories (`Story.front_position`), so a story that leaves
    Top News takes its slot with it."""

    __tablename__ = "front_page"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))


class HouseStyle(Model):
    """A desk's checklist for Publish and Schedule (editorial.style holds the rules)."""

    __tablename__ = "house_styles"
    __table_args__ = (
        CheckConstraint("headline_max IS NULL OR headline_max > 0", name="headline_max"),
        CheckConstraint("body_min_words IS NULL OR body_min_words >= 0", name="body_min_words"),
    )

    desk_id: Mapped[int] = mapped_column(
        ForeignKey("desks.id", ondelete="CASCADE"), primary_key=True
    )
    needs_dateline: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_byline: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_standfirst: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_photo_credit: Mapped[bool] = mapped_column(Boolean, default=False)
    headline_max: Mapped[int | None] = mapped_column(Integer)
    body_min_words: Mapped[int | None] = mapped_column(Integer)
