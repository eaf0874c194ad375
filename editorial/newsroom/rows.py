"""Stories as the newsroom's lists show them: plain columns read by name, in a fixed number
of queries whatever the row count (no list loads an ORM story, nor a body)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Integer, Row, Select, any_, bindparam, select

from editorial.extensions import db
from editorial.models import Desk, Person, Story, story_authors
from editorial.workflow import StoryState

STATE_ORDER = list(StoryState)


@dataclass(frozen=True, slots=True)
class StoryRow:
    """A story as lists show it: plain columns, its desk's name and its authors' names.

    Lists read columns rather than ORM objects: a budget of hundreds of stories renders in a
    few milliseconds, and no list ever loads a body.
    """

    id: int
    headline: str
    standfirst: str
    state: StoryState
    desk_id: int
    word_count: int
    modified_at: datetime
    submitted_at: datetime | None
    publish_at: datetime | None
    published_at: datetime | None
    publish_failed_at: datetime | None
    publish_error: str
    desk_name: str
    authors: tuple[str, ...]


ROW_COLUMNS = (
    Story.id,
    Story.headline,
    Story.standfirst,
    Story.state,
    Story.desk_id,
    Story.word_count,
    Story.modified_at,
    Story.submitted_at,
    Story.publish_at,
    Story.published_at,
    Story.publish_failed_at,
    Story.publish_error,
)


def desk_names() -> dict[int, str]:
    """Every desk's name by id (a newsroom has a handful of desks)."""
    return {desk_id: name for desk_id, name in db.session.execute(select(Desk.id, Desk.name))}


def _among(column: ColumnElement[int], ids: list[int]) -> ColumnElement[bool]:
    """`column IN ids`; on PostgreSQL as `= ANY(array)`: one parameter, where binding a list of
    hundreds one parameter each cost more CPU than the query."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def author_names(story_ids: list[int]) -> dict[int, list[str]]:
    """The authors' names of these stories, in one query."""
    names: dict[int, list[str]] = {}
    rows = db.session.execute(
        select(story_authors.c.story_id, Person.name)
        .join(Person, Person.id == story_authors.c.person_id)
        .where(_among(story_authors.c.story_id, story_ids))
        .order_by(Person.name)
    )
    for story_id, name in rows:
        names.setdefault(story_id, []).append(name)
    return names


def story_rows(query: Select) -> list[StoryRow]:
    """Run a `select(Story)...` for its list columns: three queries whatever the row count."""
    rows = db.session.execute(query.with_only_columns(*ROW_COLUMNS)).all()
    if not rows:
        return []
    desks = desk_names()
    authors = author_names([r.id for r in rows])
    return [story_row(r, desks, authors) for r in rows]


def story_row(
    row: Row[*tuple[Any, ...]], desks: dict[int, str], authors: dict[int, list[str]]
) -> StoryRow:
    """A list row from a row of ROW_COLUMNS, each column named as it is unpacked.

    Unpacked rather than read as `row.headline`: Row attribute access made building a budget
    of 500 rows about four times slower, more than fetching them (bench/list_rows.py).
    """
    (
        story_id,
        headline,
        standfirst,
        state,
        desk_id,
        word_count,
        modified_at,
        submitted_at,
        publish_at,
        published_at,
        publish_failed_at,
        publish_error,
    ) = row  # ROW_COLUMNS, in order: a column added there and not here fails loudly
    return StoryRow(
        id=story_id,
        headline=headline,
        standfirst=standfirst,
        state=StoryState(state),
        desk_id=desk_id,
        word_count=word_count,
        modified_at=modified_at,
        submitted_at=submitted_at,
        publish_at=publish_at,
        published_at=published_at,
        publish_failed_at=publish_failed_at,
        publish_error=publish_error or "",
        desk_name=desks.get(desk_id, ""),
        authors=tuple(authors.get(story_id, ())),
    )


def in_order(ids: list[int]) -> list[StoryRow]:
    """The stories with these ids, in this order (one query)."""
    if not ids:
        return []
    found = {s.id: s for s in story_rows(select(Story).where(Story.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def by_state(stories: list[StoryRow]) -> list[tuple[StoryState, list[StoryRow]]]:
    """Group stories by state, in workflow order, skipping empty states."""
    groups: dict[StoryState, list[StoryRow]] = {}
    for story in stories:
        groups.setdefault(StoryState(story.state), []).append(story)
    return [(state, groups[state]) for state in STATE_ORDER if state in groups]
