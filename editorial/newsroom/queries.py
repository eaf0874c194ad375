"""Listing queries of the newsroom: each page is a fixed, small number of index-friendly SELECTs.

Every list is limited to what the person may see (the same rule as workflow.can_view: their
own stories and every story of the desks they edit), filtered by `desk_id IN (...)` and ordered
by indexed columns, with a LIMIT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    case,
    false,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import joinedload, lazyload, selectinload

from editorial.extensions import db
from editorial.models import Desk, Notification, Person, Story, desk_members, story_authors
from editorial.search import Condition, matches
from editorial.services.publishing import overdue_stories
from editorial.workflow import Role, StoryState

PAGE_SIZE = 25
NOTIFICATIONS_PAGE = 50
# A state group of "My stories" shows the most recent ones; the rest are a search away.
MY_STORIES_PER_STATE = 50
QUEUE_LIMIT = 200
BUDGET_LIMIT = 500
WORKING_STATES = (
    StoryState.DRAFT,
    StoryState.SUBMITTED,
    StoryState.CHANGES_REQUESTED,
    StoryState.APPROVED,
)
STATE_ORDER = list(StoryState)
WRITING_ROLES = frozenset({Role.REPORTER, Role.DESK_EDITOR})


def story_options() -> tuple:
    """Load a story with its desk and authors in a fixed number of queries, and nothing else.

    People and desks load their own collections eagerly by default; pages need only names,
    so those are left lazy here (lazy, not noload: the objects stay correct if touched).
    """
    return (
        joinedload(Story.desk).lazyload(Desk.members),
        selectinload(Story.authors).options(lazyload(Person.role_rows), lazyload(Person.desks)),
        lazyload(Story.tags),
    )


def edited_desk_ids(person: Person) -> list[int]:
    """The desks whose every story this person may see: the desks they edit."""
    actor = person.actor
    return sorted(actor.desk_ids) if Role.DESK_EDITOR in actor.roles else []


# An editor's own stories on desks they do not edit are few; past this, fall back to a join.
ELSEWHERE_IDS_MAX = 1000


def visible_parts(person: Person) -> list[ColumnElement[bool]]:
    """The stories this person may see in the newsroom (as can_view), as OR-ed parts.

    For an editor: one `desk_id = D` per desk they edit, plus the ids of the few stories they
    wrote for other desks, listed (one small query). Plain conditions the planner serves from
    the desk indexes, where an OR with a sub-select would scan the whole archive.
    """
    desks = edited_desk_ids(person)
    parts: list[ColumnElement[bool]] = [Story.desk_id == desk for desk in desks]
    if not person.actor.roles & WRITING_ROLES:
        # As workflow.is_author: authorship gives no rights to someone who no longer writes.
        return parts
    authored = select(story_authors.c.story_id).where(story_authors.c.person_id == person.id)
    if not desks:
        return [Story.id.in_(authored)]
    elsewhere = list(
        db.session.scalars(
            authored.join(Story, Story.id == story_authors.c.story_id)
            .where(Story.desk_id.not_in(desks))
            .limit(ELSEWHERE_IDS_MAX + 1)
        )
    )
    if len(elsewhere) > ELSEWHERE_IDS_MAX:
        parts.append(Story.id.in_(authored))
    elif elsewhere:
        parts.append(Story.id.in_(elsewhere))
    return parts


def visible_condition(person: Person) -> ColumnElement[bool]:
    """One WHERE clause for the stories this person may see.

    The desks go in as one `desk_id IN (...)`: the planner combines an IN list with the other
    columns of an index (state, times), where OR-ed equalities made it OR together bitmaps of
    every story of each desk (a day's budget on 100,000 stories: 2 ms against 19 ms).
    """
    desks = edited_desk_ids(person)
    parts = visible_parts(person)
    if len(desks) > 1:
        parts = [Story.desk_id.in_(desks), *parts[len(desks) :]]  # the desk parts come first
    return or_(*parts) if parts else false()


def _newest_ids(
    parts: list[ColumnElement[bool]], conditions: list[Condition], offset: int, limit: int
) -> list[int]:
    """Ids of one page of stories, newest change first, over the union of `parts`.

    Each part is its own index-ordered top-N (`desk_id = D ORDER BY modified_at DESC`), so a
    page of a desk's 15,000 stories reads a few dozen rows instead of sorting them all.
    """
    if not parts:
        return []
    order = (Story.modified_at.desc(), Story.id.desc())
    branches = [
        select(Story.id, Story.modified_at)
        .where(part, *conditions)
        .order_by(*order)
        .limit(offset + limit)
        .subquery()
        for part in parts
    ]
    union = union_all(*(select(b.c.id, b.c.modified_at) for b in branches)).subquery()
    return list(
        db.session.scalars(
            select(union.c.id)
            .order_by(union.c.modified_at.desc(), union.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )


def _in_order(ids: list[int]) -> list[StoryRow]:
    """The stories with these ids, in this order (one query)."""
    if not ids:
        return []
    found = {s.id: s for s in _stories(select(Story).where(Story.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


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


def _stories(query: Select) -> list[StoryRow]:
    """Run a `select(Story)...` for its list columns: three queries whatever the row count."""
    rows = db.session.execute(query.with_only_columns(*ROW_COLUMNS)).all()
    if not rows:
        return []
    desks = desk_names()
    authors = author_names([r.id for r in rows])
    # Positional, in ROW_COLUMNS order: building a dict per row cost more than the SQL.
    return [
        StoryRow(
            r[0],
            r[1],
            r[2],
            StoryState(r[3]),
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            r[10],
            r[11] or "",
            desks.get(r[4], ""),
            tuple(authors.get(r[0], ())),
        )
        for r in rows
    ]


def by_state(stories: list[StoryRow]) -> list[tuple[StoryState, list[StoryRow]]]:
    """Group stories by state, in workflow order, skipping empty states."""
    groups: dict[StoryState, list[StoryRow]] = {}
    for story in stories:
        groups.setdefault(StoryState(story.state), []).append(story)
    return [(state, groups[state]) for state in STATE_ORDER if state in groups]


@dataclass(frozen=True, slots=True)
class StateGroup:
    """One state's section of "My stories": its most recently changed stories, and how many."""

    state: StoryState
    stories: list[StoryRow]
    total: int


def my_stories(person: Person, per_state: int = MY_STORIES_PER_STATE) -> list[StateGroup]:
    """The person's own stories by state, in workflow order, the newest `per_state` of each.

    The cap is per state (a window over the person's stories), so a reporter's old drafts
    are listed however many newer stories they have published. Four queries, whatever the count.
    """
    if not person.actor.roles & WRITING_ROLES:
        return []
    authored = Story.id.in_(
        select(story_authors.c.story_id).where(story_authors.c.person_id == person.id)
    )
    newest_first = (Story.modified_at.desc(), Story.id.desc())
    ranked = (
        select(
            Story.id,
            func.row_number().over(partition_by=Story.state, order_by=newest_first).label("rank"),
        )
        .where(authored)
        .subquery()
    )
    rows = _stories(
        select(Story)
        .join(ranked, ranked.c.id == Story.id)
        .where(ranked.c.rank <= per_state)
        .order_by(*newest_first)
    )
    counted = select(Story.state, func.count()).where(authored).group_by(Story.state)
    totals = {state: count for state, count in db.session.execute(counted)}
    # max(): a story may change state between the two statements; never show fewer than listed.
    return [
        StateGroup(state, stories, max(totals.get(state, 0), len(stories)))
        for state, stories in by_state(rows)
    ]


def needs_attention(person: Person, now: datetime | None = None) -> list[StoryRow]:
    """Overdue or failed scheduled publications on the desks this person edits."""
    desks = edited_desk_ids(person)
    if not desks:
        return []
    return _stories(overdue_stories(now).where(Story.desk_id.in_(desks)).limit(50))


def queue_count(person: Person) -> int:
    """How many submitted stories wait on the desks this person edits."""
    desks = edited_desk_ids(person)
    if not desks:
        return 0
    return db.session.execute(
        select(func.count())
        .select_from(Story)
        .where(Story.desk_id.in_(desks), Story.state == StoryState.SUBMITTED)
    ).scalar_one()


def desk_queue(person: Person) -> list[StoryRow]:
    """Submitted stories this person may see, oldest submission first."""
    return _stories(
        select(Story)
        .where(Story.state == StoryState.SUBMITTED, visible_condition(person))
        .order_by(Story.submitted_at.asc(), Story.id)
        .limit(QUEUE_LIMIT)
    )


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where a local calendar day starts and the next one starts."""
    start = datetime.combine(day, time(), tz)
    end = datetime.combine(day + timedelta(days=1), time(), tz)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def _between(column, start: datetime, end: datetime) -> ColumnElement[bool]:
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
    return _stories(
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
    person: Person, first: date, tz: ZoneInfo, per_day: int
) -> tuple[dict[date, list[CalendarEntry]], dict[date, int]]:
    """The first `per_day` scheduled and published stories of each day of a local month, in
    time order, and how many each day has.

    A month holds thousands; the grid shows a few a day. Each row gets the index of its local
    day from the day boundaries (computed here, so the zone's rules apply), and a window
    function keeps each day's first rows and its count: a few hundred rows leave the database.
    """
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
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


@dataclass
class SearchFilters:
    """What the search form asked for (already parsed)."""

    q: str = ""
    state: StoryState | None = None
    desk_id: int | None = None
    author_id: int | None = None
    changed_from: datetime | None = None
    changed_before: datetime | None = None
    page: int = 1


def search(person: Person, filters: SearchFilters) -> tuple[list[StoryRow], bool]:
    """One page of matching stories this person may see, newest change first; and whether
    there is a next page (one extra row instead of a COUNT over the archive)."""
    conditions: list[Condition] = []
    text = matches(filters.q)
    if text is not None:
        conditions.append(text)
    if filters.state is not None:
        conditions.append(Story.state == filters.state)
    if filters.desk_id is not None:
        conditions.append(Story.desk_id == filters.desk_id)
    if filters.author_id is not None:
        conditions.append(
            Story.id.in_(
                select(story_authors.c.story_id).where(
                    story_authors.c.person_id == filters.author_id
                )
            )
        )
    if filters.changed_from is not None:
        conditions.append(Story.modified_at >= filters.changed_from)
    if filters.changed_before is not None:
        conditions.append(Story.modified_at < filters.changed_before)
    offset = (filters.page - 1) * PAGE_SIZE
    # With words too, one top-N per desk: the planner then chooses per desk between walking the
    # desk's index newest first (a common word: a few dozen rows) and the full-text index and a
    # sort (a rare word). Over all desks at once it could only do the latter: for a word in a
    # quarter of the archive, 66 ms of heap reads and sorting on 100,000 stories, not 15.
    ids = _newest_ids(visible_parts(person), conditions, offset, PAGE_SIZE + 1)
    rows = _in_order(ids)
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def colleagues(person: Person) -> list[tuple[int, str]]:
    """People on the person's desks (for the author filter), the person included."""
    desk_ids = sorted(person.actor.desk_ids)
    rows = db.session.execute(
        select(Person.id, Person.name)
        .where(
            or_(
                Person.id == person.id,
                Person.id.in_(
                    select(desk_members.c.person_id).where(desk_members.c.desk_id.in_(desk_ids))
                ),
            )
        )
        .order_by(Person.name)
    ).all()
    return [(r.id, r.name) for r in rows]


def unread_count(person_id: int) -> int:
    """Unread notifications (index ix_notifications_person_read)."""
    return db.session.execute(
        select(func.count())
        .select_from(Notification)
        .where(Notification.person_id == person_id, Notification.read_at.is_(None))
    ).scalar_one()


def notifications(person: Person, page: int) -> tuple[list[Notification], bool]:
    """One page of the person's notifications, newest first."""
    rows = list(
        db.session.scalars(
            select(Notification)
            .options(lazyload(Notification.person))
            .where(Notification.person_id == person.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .offset((page - 1) * NOTIFICATIONS_PAGE)
            .limit(NOTIFICATIONS_PAGE + 1)
        )
    )
    return rows[:NOTIFICATIONS_PAGE], len(rows) > NOTIFICATIONS_PAGE
