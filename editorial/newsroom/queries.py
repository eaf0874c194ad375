"""The newsroom's lists of stories: my stories, what needs attention, the desk queue, search;
and the person's notifications. Each page is a fixed, small number of index-friendly SELECTs
over the stories the person may see (editorial.newsroom.visibility).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, union_all
from sqlalchemy.orm import InstrumentedAttribute

from editorial import keyset
from editorial.extensions import db
from editorial.models import (
    Desk,
    Notification,
    Person,
    Story,
    StoryUpdate,
    desk_members,
    story_authors,
)
from editorial.newsroom.rows import StoryRow, by_state, desk_names, in_order, story_rows
from editorial.newsroom.visibility import (
    WRITING_ROLES,
    edited_desk_ids,
    visible_condition,
    visible_parts,
)
from editorial.search import Condition, matches
from editorial.services.publishing import overdue_stories
from editorial.services.scheduled_updates import overdue_updates
from editorial.services.unpublishing import overdue_unpublishes
from editorial.workflow import StoryState, UpdateState

PAGE_SIZE = 25
NOTIFICATIONS_PAGE = 50
# A state group of "My stories" shows the most recent ones; the rest are a search away.
MY_STORIES_PER_STATE = 50
# Pending updates listed under the queue (a few per desk; the stories page by QUEUE_PAGE).
QUEUE_LIMIT = 200
# A screen of the desk queue: 200 rows at once were most of the page's time at 100,000 stories.
QUEUE_PAGE = 50


def _newest_page(
    parts: list[ColumnElement[bool]],
    conditions: list[Condition],
    *,
    before: keyset.Cursor | None,
    after: keyset.Cursor | None,
) -> keyset.Window:
    """One keyset page of story ids, newest change first, over the union of `parts`.

    Each part is its own index-ordered top-N from the cursor (`desk_id = D AND (modified_at,
    id) < cursor ORDER BY modified_at DESC`), so a page of a desk's 15,000 stories reads a few
    dozen rows instead of sorting them all, however deep the page. The window over the union
    takes the page from those few rows (its own cursor condition there is redundant, and free).

    The key is the time of the last change: a story edited while someone pages moves to the
    top, so a later page may miss it (or an earlier one show it again). That is acceptable for
    a newsroom's working list, which wants the freshest first; the public listings key on the
    time of publication, which does not move.
    """
    if not parts:
        return keyset.Window(items=[], older=None, newer=None)
    key = (Story.modified_at, Story.id)
    branches = [
        keyset.seek(
            select(Story.id, Story.modified_at)
            .where(part, *conditions)
            .order_by(Story.modified_at.desc(), Story.id.desc()),
            key,
            before=before,
            after=after,
        )
        .limit(PAGE_SIZE + 1)
        .subquery()
        for part in parts
    ]
    union = union_all(*(select(b.c.id, b.c.modified_at) for b in branches)).subquery()
    return keyset.window(
        select(union.c.id, union.c.modified_at).order_by(
            union.c.modified_at.desc(), union.c.id.desc()
        ),
        (union.c.modified_at, union.c.id),
        PAGE_SIZE,
        before=before,
        after=after,
        fetch=lambda page: db.session.execute(page).all(),
    )


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
    rows = story_rows(
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
    return story_rows(overdue_stories(now).where(Story.desk_id.in_(desks)).limit(50))


@dataclass(frozen=True, slots=True)
class LateChange:
    """A scheduled withdrawal or update past its time, or failed: what "Needs attention"
    shows of it."""

    id: int
    headline: str
    desk_name: str
    at: datetime | None  # never None here: the queries ask for a time
    failed_at: datetime | None
    error: str


def late_unpublishes(person: Person, now: datetime | None = None) -> list[LateChange]:
    """Overdue or failed scheduled unpublishes on the desks this person edits (two queries)."""
    return _late_changes(
        person,
        overdue_unpublishes(now),
        Story.unpublish_at,
        Story.unpublish_failed_at,
        Story.unpublish_error,
    )


def late_updates(person: Person, now: datetime | None = None) -> list[LateChange]:
    """Overdue or failed scheduled updates on the desks this person edits (two queries)."""
    return _late_changes(
        person,
        overdue_updates(now),
        StoryUpdate.publish_at,
        StoryUpdate.publish_failed_at,
        StoryUpdate.publish_error,
    )


def _late_changes(
    person: Person,
    overdue: Select[*tuple[Any, ...]],
    *columns: InstrumentedAttribute[Any],
) -> list[LateChange]:
    """The first 50 rows of `overdue` on this person's desks: the time, failure and error
    `columns` of each, with its story's headline and desk."""
    desks = edited_desk_ids(person)
    if not desks:
        return []
    rows = db.session.execute(
        overdue.where(Story.desk_id.in_(desks))
        .limit(50)
        .with_only_columns(Story.id, Story.headline, Story.desk_id, *columns)
    ).all()
    names = desk_names() if rows else {}
    return [
        LateChange(story_id, headline, names.get(desk_id, ""), at, failed_at, error or "")
        for story_id, headline, desk_id, at, failed_at, error in rows
    ]


def queue_count(person: Person) -> int:
    """How many submitted stories wait on the desks this person edits."""
    desks = edited_desk_ids(person)
    if not desks:
        return 0
    waiting = (
        select(func.count())
        .select_from(Story)
        .where(Story.desk_id.in_(desks), Story.state == StoryState.SUBMITTED)
    )
    return db.session.execute(waiting).scalar_one()


@dataclass(frozen=True)
class QueuePage:
    """A screen of the desk queue, oldest submission first."""

    stories: list[StoryRow]
    waiting: int  # every submitted story this person may see, on any screen
    later: str | None  # ?after= of the next screen (None: this is the last)


def desk_queue(person: Person, *, after: keyset.Cursor | None = None) -> QueuePage:
    """Submitted stories this person may see, oldest submission first: QUEUE_PAGE of them
    from `after` on (a keyset walk of (submitted_at, id), like the other long lists)."""
    waiting = Story.state == StoryState.SUBMITTED, visible_condition(person)
    key = (Story.submitted_at, Story.id)
    statement = select(Story).where(*waiting)
    if after is None:
        # A story without a submission time (none is written so: submitting sets it) comes
        # first on both databases; the cursor then goes on from 1970, with the dated ones.
        walk = statement.order_by(Story.submitted_at.asc().nulls_first(), Story.id.asc())
    else:  # the rows above the cursor, nearest first (seek orders them so)
        walk = keyset.seek(statement, key, before=None, after=after)
    rows = story_rows(walk.limit(QUEUE_PAGE + 1))
    last = rows[QUEUE_PAGE - 1] if len(rows) > QUEUE_PAGE else None
    later = keyset.Cursor(last.submitted_at or keyset.EPOCH, last.id).token() if last else None
    total = db.session.execute(select(func.count()).select_from(Story).where(*waiting))
    return QueuePage(rows[:QUEUE_PAGE], total.scalar_one(), later)


def update_queue(person: Person) -> list[tuple[StoryRow, StoryUpdate]]:
    """Pending updates in review (submitted or approved, not yet published) of stories this
    person may see, oldest submission first, each with its story's row."""
    in_review = (UpdateState.SUBMITTED, UpdateState.APPROVED)
    updates = list(
        db.session.scalars(
            select(StoryUpdate)
            .join(Story, Story.id == StoryUpdate.story_id)
            .where(StoryUpdate.state.in_(in_review), visible_condition(person))
            .order_by(StoryUpdate.submitted_at.asc(), StoryUpdate.id)
            .limit(QUEUE_LIMIT)
        )
    )
    ids = [u.story_id for u in updates]
    rows = {r.id: r for r in story_rows(select(Story).where(Story.id.in_(ids)))} if ids else {}
    return [(rows[u.story_id], u) for u in updates if u.story_id in rows]


@dataclass
class SearchFilters:
    """What the search form asked for (already parsed)."""

    q: str = ""
    state: StoryState | None = None
    desk_id: int | None = None
    author_id: int | None = None
    changed_from: datetime | None = None
    changed_before: datetime | None = None


def search(
    person: Person,
    filters: SearchFilters,
    *,
    before: keyset.Cursor | None = None,
    after: keyset.Cursor | None = None,
) -> keyset.Window:
    """One keyset page of matching stories this person may see, newest change first, with
    its neighbours' cursors (one extra row instead of a COUNT over the archive)."""
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
    # With words too, one top-N per desk: the planner then chooses per desk between walking the
    # desk's index newest first (a common word: a few dozen rows) and the full-text index and a
    # sort (a rare word). Over all desks at once it could only do the latter: for a word in a
    # quarter of the archive, 66 ms of heap reads and sorting on 100,000 stories, not 15.
    found = _newest_page(visible_parts(person), conditions, before=before, after=after)
    return replace(found, items=in_order([row.id for row in found.items]))


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
    unread = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.person_id == person_id, Notification.read_at.is_(None))
    )
    return db.session.execute(unread).scalar_one()


def notifications(
    person: Person, *, before: keyset.Cursor | None, after: keyset.Cursor | None
) -> keyset.Window:
    """One page of the person's notifications, newest first, at a keyset cursor: an index walk
    of (person_id, created_at, id) from it, where an OFFSET read every newer one."""
    return keyset.window(
        select(Notification)
        .where(Notification.person_id == person.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        (Notification.created_at, Notification.id),
        NOTIFICATIONS_PAGE,
        before=before,
        after=after,
        fetch=lambda page: list(db.session.scalars(page)),
    )


@dataclass(frozen=True)
class FrontPageRow:
    """A Top News story as the front-page screen lists it."""

    id: int
    headline: str
    desk_id: int
    desk_name: str
    state: StoryState
    publish_at: datetime | None
    published_at: datetime | None
    is_ordered: bool


def front_page_rows(ids: list[int]) -> list[FrontPageRow]:
    """The named stories, in the order given (one SELECT)."""
    found = {
        row.id: row
        for row in db.session.execute(
            select(
                Story.id,
                Story.headline,
                Story.state,
                Story.publish_at,
                Story.published_at,
                Story.front_position,
                Story.desk_id,
                Desk.name.label("desk_name"),
            )
            .join(Desk, Desk.id == Story.desk_id)
            .where(Story.id.in_(ids))
        )
    }
    return [
        FrontPageRow(
            id=row.id,
            headline=row.headline,
            desk_id=row.desk_id,
            desk_name=row.desk_name,
            state=StoryState(row.state),
            publish_at=row.publish_at,
            published_at=row.published_at,
            is_ordered=row.front_position is not None,
        )
        for row in (found[i] for i in ids if i in found)
    ]
