"""Photos of the picture desk: the private original, its metadata, and its public renditions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from editorial.extensions import Model
from editorial.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:
    from editorial.models.desk import Desk
    from editorial.models.staff import Person

CAPTION_MAX = 2000
CREDIT_MAX = 200
ALT_MAX = 500


class Photo(Model):
    """A library item. The original file is never served: readers get renditions only."""

    __tablename__ = "photos"
    # The library's grid, newest first (a page of 20,000 photos: an index walk, not a sort).
    __table_args__ = (Index("ix_photos_created_at_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the original's bytes; the original lives at originals/<original_key>.
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    original_key: Mapped[str] = mapped_column(String(80))
    # The decoded format (JPEG, PNG, WEBP, HEIF, AVIF), whatever the file was called.
    format: Mapped[str] = mapped_column(String(10))
    size_bytes: Mapped[int] = mapped_column(Integer)
    # As displayed, i.e. after the EXIF orientation is applied.
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    caption: Mapped[str] = mapped_column(Text, default="")
    credit: Mapped[str] = mapped_column(String(CREDIT_MAX), default="")
    alt_text: Mapped[str] = mapped_column(String(ALT_MAX), default="")
    # Where crops centre, as fractions of width and height (0.5, 0.5: the middle).
    focal_x: Mapped[float] = mapped_column(Float, default=0.5)
    focal_y: Mapped[float] = mapped_column(Float, default=0.5)
    desk_id: Mapped[int | None] = mapped_column(ForeignKey("desks.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set once every rendition exists; until then the newsroom shows "processing" and the
    # beat job re-queues the photo (a worker may have died mid-way).
    renditions_ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A new original waiting for its renditions (originals/<replacement_key>): until the worker
    # has made them, stories keep showing the old ones; then one commit swaps them.
    replacement_key: Mapped[str | None] = mapped_column(String(80))
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    desk: Mapped[Desk | None] = relationship(lazy="raise")
    uploaded_by: Mapped[Person] = relationship(lazy="raise")
    renditions: Mapped[list[Rendition]] = relationship(
        back_populates="photo",
        cascade="all, delete-orphan",
        order_by="(Rendition.crop, Rendition.format, Rendition.width)",
        lazy="raise",
    )

    def __repr__(self) -> str:
        return f"<Photo {self.id} {self.width}x{self.height}>"


class Rendition(Model):
    """One re-encoded, metadata-free file made from a photo: a format at a width, of the whole
    frame (crop "") or of a crop around the focal point (imaging.CROPS: card, square, social).
    Whoever lists a photo's whole-frame renditions filters on `crop == ""`."""

    __tablename__ = "renditions"
    __table_args__ = (UniqueConstraint("photo_id", "crop", "format", "width"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    crop: Mapped[str] = mapped_column(String(10), default="", server_default="")
    # The focal point a crop was cut around: a crop whose point is not the photo's is stale,
    # and the next renditions job cuts it again (None for the whole frame).
    focal_x: Mapped[float | None] = mapped_column(Float)
    focal_y: Mapped[float | None] = mapped_column(Float)
    format: Mapped[str] = mapped_column(String(10))  # avif, webp, jpeg
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # The public file name, from a hash of its bytes: a changed file is a new URL, so every
    # rendition can be cached forever.
    key: Mapped[str] = mapped_column(String(120), unique=True)
    size_bytes: Mapped[int] = mapped_column(Integer)

    photo: Mapped[Photo] = relationship(back_populates="renditions", lazy="raise")


class StoryPhoto(Model):
    """A photo a story's body places (`![alt](photo:N "caption")`), kept in step with the body
    on every save, so "is this photo used, is it public" is one indexed lookup.

    `photo_id` is what the body names, with no foreign key: a body may name a photo that does
    not exist (yet); publishing refuses such a story (services.photo_use.story_photo_problems).
    """

    __tablename__ = "story_photos"

    story_id: Mapped[int] = mapped_column(
        ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0, 1... in the body
    photo_id: Mapped[int] = mapped_column(Integer, index=True)
    alt: Mapped[str] = mapped_column(Text, default="")  # as written; blank: the photo's own
    caption: Mapped[str] = mapped_column(Text, default="")


class PhotoTag(Model):
    """A word the picture desk files a photo under, for the library's search. Newsroom only:
    a vocabulary apart from the stories' public tags, so no tag page ever hints at a photo."""

    __tablename__ = "photo_tags"
    __table_args__ = (UniqueConstraint("photo_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    # tag_key(name): "Dhaka", "dhaka" and "Dhaka!" are one tag.
    key: Mapped[str] = mapped_column(String(80), index=True)
