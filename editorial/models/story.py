"""Stories and what hangs off them: authors, tags, revisions, corrections, old slugs, comments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from editorial.extensions import Model, db
from editorial.searchtext import document
from editorial.timeutil import UTCDateTime, utcnow
from editorial.workflow import Coverage, StoryFacts, StoryState

if TYPE_CHECKING:
    from editorial.models.desk import Desk
    from editorial.models.photo import Photo
    from editorial.models.staff import Person

HEADLINE_MAX = 200
BODY_MAX = 200_000

story_authors = Table(
    "story_authors",
    db.metadata,
    Column("story_id", ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    # A person's stories from the index alone (migration 0005).
    Index("ix_story_authors_person_story", "person_id", "story_id"),
)

story_tags = Table(
    "story_tags",
    db.metadata,
    Column("story_id", ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


def _search_text(context: DefaultExecutionContext) -> str:
    """The search words of a story being inserted, by any path (ORM, bulk insert, demo)."""
    row = context.get_current_parameters()
    return document(row.get("headline") or "", row.get("standfirst") or "", row.get("body") or "")


class Placement(StrEnum):
    """Where editors put a story on the homepage."""

    NONE = "none"
    TOP = "top"


class Story(Model):
    """A piece of journalism from first draft to the reader's screen."""

    __tablename__ = "stories"
    __table_args__ = (
        Index("ix_stories_state_publish_at", "state", "publish_at"),
        # Public listings walk these from a keyset cursor (published_at, id): migration 0030.
        Index("ix_stories_state_published_id", "state", "published_at", "id"),
        Index("ix_stories_desk_state_submitted", "desk_id", "state", "submitted_at"),
        Index("ix_stories_desk_state_published_id", "desk_id", "state", "published_at", "id"),
        # The page cache's embargo lifts, without reading every published story. Partial (only
        # stories with an embargo): whole, SQLite's planner took it for the public predicate's
        # OR and read every published story to find Top News (271 ms at 20,000).
        Index(
            "ix_stories_state_embargo",
            "state",
            "embargo_at",
            sqlite_where=text("embargo_at IS NOT NULL"),
            postgresql_where=text("embargo_at IS NOT NULL"),
        ),
        Index("ix_stories_desk_modified", "desk_id", "modified_at"),
        # Top News: the few placed stories, newest first, without scanning every published one.
        Index("ix_stories_placement_state_published", "placement", "state", "published_at"),
        # The scheduled-unpublish sweep: published stories whose withdrawal time has come.
        Index("ix_stories_state_unpublish_at", "state", "unpublish_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    headline: Mapped[str] = mapped_column(String(HEADLINE_MAX))
    slug: Mapped[str] = mapped_column(String(240), unique=True)
    standfirst: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")  # sanitised render of body
    # What the search indexes read (FTS5 table, tsvector): editorial.searchtext.document() of
    # headline, standfirst and body. Set on insert here; every UPDATE of the text sets it too.
    search_text: Mapped[str] = mapped_column(
        Text, default=_search_text, server_default="", deferred=True
    )
    byline: Mapped[str] = mapped_column(String(120), default="")
    dateline: Mapped[str] = mapped_column(String(80), default="")
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id"))
    state: Mapped[StoryState] = mapped_column(String(20), default=StoryState.DRAFT)
    placement: Mapped[Placement] = mapped_column(String(10), default=Placement.NONE)
    # The story's slot in Top News, chosen on the front page (0 leads); none: not ordered yet.
    front_position: Mapped[int | None] = mapped_column(Integer)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    # Optimistic concurrency: every change bumps it; forms carry the version they started from.
    version: Mapped[int] = mapped_column(Integer, default=1)
    was_submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    embargo_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    public_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publish_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publish_error: Mapped[str] = mapped_column(Text, default="")
    # Scheduled unpublish (migration 0027): when the story is withdrawn, with the editor's note;
    # kept after the withdrawal as the record of it (services.unpublishing).
    unpublish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unpublish_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    unpublish_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unpublish_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    # The photo at the top of the article; a photo in use cannot be deleted (RESTRICT).
    lead_photo_id: Mapped[int | None] = mapped_column(
        ForeignKey("photos.id", ondelete="RESTRICT"), index=True
    )
    # Overrides the photo's caption on this story only.
    lead_caption: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Live coverage (migration 0023): marked live once, ended once; live_updated_at moves with
    # every entry posted, edited, deleted or pinned.
    live_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    live_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    live_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Desk, authors, tags and notices: a query that reads them loads them
    # (models/loading.py: STORY_FACTS, STORY_CARD, STORY_WHOLE; a service: facts_of).
    desk: Mapped[Desk] = relationship(lazy="raise")
    authors: Mapped[list[Person]] = relationship(
        secondary=story_authors, lazy="raise", order_by="Person.name"
    )
    tags: Mapped[list[Tag]] = relationship(secondary=story_tags, lazy="raise", order_by="Tag.name")
    corrections: Mapped[list[Correction]] = relationship(
        back_populates="story",
        order_by="Correction.created_at",
        cascade="all, delete-orphan",
        lazy="raise",
    )
    lead_photo: Mapped[Photo | None] = relationship(lazy="raise")

    @property
    def facts(self) -> StoryFacts:
        """The workflow's view of this story."""
        return StoryFacts(
            state=StoryState(self.state),
            desk_id=self.desk_id,
            author_ids=frozenset(a.id for a in self.authors),
            was_submitted=self.was_submitted,
            coverage=self.coverage,
            embargoed=self.embargo_at is not None and self.embargo_at > utcnow(),
        )

    @property
    def coverage(self) -> Coverage:
        return coverage_of(self.live_started_at, self.live_ended_at)

    def __repr__(self) -> str:
        return f"<Story {self.id} {self.state}>"


def coverage_of(started_at: datetime | None, ended_at: datetime | None) -> Coverage:
    if started_at is None:
        return Coverage.NONE
    return Coverage.LIVE if ended_at is None else Coverage.ENDED


class Tag(Model):
    """A topic label shared by stories (public tag pages)."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    slug: Mapped[str] = mapped_column(String(80), unique=True)


class Revision(Model):
    """The text of a story as one save left it; any two can be compared, any one restored."""

    __tablename__ = "revisions"
    __table_args__ = (
        UniqueConstraint("story_id", "number"),
        Index("ix_revisions_story_version", "story_id", "story_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    headline: Mapped[str] = mapped_column(String(HEADLINE_MAX))
    standfirst: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    byline: Mapped[str] = mapped_column(String(120), default="")
    dateline: Mapped[str] = mapped_column(String(80), default="")
    summary: Mapped[str] = mapped_column(String(200), default="")  # e.g. "Restored revision 3"
    # The story's version after the save that made this revision (None: saved before 0031);
    # a stale save finds the text it started from by it.
    story_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))

    created_by: Mapped[Person] = relationship(lazy="raise")


class Correction(Model):
    """A public notice on a published story: a correction or an update."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    is_correction: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))

    story: Mapped[Story] = relationship(back_populates="corrections", lazy="raise")


class SlugRedirect(Model):
    """An old slug of a published story; its URL answers 301 to the current one."""

    __tablename__ = "slug_redirects"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(240), unique=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)


class Comment(Model):
    """Newsroom discussion on a story, seen by those who can see the story."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[Person] = relationship(lazy="raise")


def front_page_order() -> tuple[ColumnElement, ...]:
    """ORDER BY for Top News: the chosen slots in order (0 leads), then the stories nobody has
    ordered yet, newest first (with no slots at all, that is the whole rule)."""
    return (
        Story.front_position.is_(None),
        Story.front_position.asc(),
        Story.published_at.desc(),
        Story.id.desc(),
    )
