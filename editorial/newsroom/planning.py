"""The planning views: a day's budget and a month's calendar, in the newsroom's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from editorial.extensions import db
from editorial.models import Desk, Person, Story
from editorial.newsroom.rows import StoryRow, story_rows
from editorial.newsroom.visibility import visible_condition
from editorial.workflow import StoryState

BUDGET_LIMIT = 500
WORKING_STATES = (
    StoryState.DRAFT,
    StoryState.SUBMITTED,
    StoryState.CHANGES_REQUESTED,
    StoryState.APPROVED,
)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where a local calendar day starts and the next one starts."""
    start = datetime.combine(day, time(), tz)
    end = datetime.combine(day + timedelta(days=1), time(), tz)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def _between(
    column: InstrumentedAttribute[Any], start: datetime, end: datetime
) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def budget(person: Person, day: date, tz: ZoneInfo) -> list[StoryRow]:
    """The day's budget: stories scheduled or published that day, and work in progress
    touched that day, on the person's desks."""
    start, end = day_bounds(day, tz)
    on_day = or_(
        and_(Story.state == StoryState.SCHEDULED, _between(Story.publish_at, start, end)),
        and_(Story.state == StoryState.PUBLISHED, _between(Story.published_at, start, end)),
        and_(Story.state.in_(WORKING_STATES), _between(Story.modified_at, start, end)),
    )
    return story_rows(
        select(Story)
        .where(on_day, visible_condition(person))
        .order_by(Story.modified_at.desc(), Story.id.desc())
        .limit(BUDGET_LIMIT)
    )


@dataclass(frozen=True)
class CalendarEntry:
    """One story on the calendar (columns only: a month can hold thousands)."""

    id: int
    headline: str
    state: StoryState
    at: datetime
    desk: str


def calendar_entries(
    person: Person, first: date, tz: ZoneInfo, per_day: int, until: date | None = None
) -> tuple[dict[date, list[CalendarEntry]], dict[date, int]]:
    """The first `per_day` scheduled and published stories of each local day from `first` to
    `until` (exclusive; default: the end of `first`'s month), in time order, and how many each
    day has. The calendar asks for its whole grid, adjacent months' days included.

    A month holds thousands; the grid shows a few a day. Each row gets the index of its local
    day from the day boundaries (computed here, so the zone's rules apply), and a window
    function keeps each day's first rows and its count: a few hundred rows leave the database.
    """
    following = until or (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    days = [first + timedelta(days=n) for n in range((following - first).days)]
    bounds = [day_bounds(day, tz)[0] for day in days] + [day_bounds(following, tz)[0]]
    at = case((Story.state == StoryState.PUBLISHED, Story.published_at), else_=Story.publish_at)
    day_index = case(*((at < bound, n) for n, bound in enumerate(bounds[1:])))
    month = (
        select(Story.id, Story.headline, Story.state, at.label("at"), Desk.name.label("desk"))
        .add_columns(day_index.label("day"))
        .join(Desk, Desk.id == Story.desk_id)
        .where(
            or_(
                and_(
                    Story.state == StoryState.SCHEDULED,
                    _between(Story.publish_at, bounds[0], bounds[-1]),
                ),
                and_(
                    Story.state == StoryState.PUBLISHED,
                    _between(Story.published_at, bounds[0], bounds[-1]),
                ),
            ),
            visible_condition(person),
        )
        .subquery()
    )
    ranked = select(
        month,
        func.row_number()
        .over(partition_by=month.c.day, order_by=(month.c.at, month.c.id))
        .label("n"),
        func.count().over(partition_by=month.c.day).label("total"),
    ).subquery()
    rows = db.session.execute(
        select(ranked).where(ranked.c.n <= per_day).order_by(ranked.c.at, ranked.c.id)
    ).all()
    shown: dict[date, list[CalendarEntry]] = {}
    totals: dict[date, int] = {}
    for r in rows:
        day = days[r.day]
        shown.setdefault(day, []).append(
            CalendarEntry(r.id, r.headline, StoryState(r.state), r.at, r.desk)
        )
        totals[day] = r.total
    return shown, totals
