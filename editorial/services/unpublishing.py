"""Scheduled unpublish: a desk editor sets a time (and a note) at which a story is withdrawn.

The guarantee is scheduled publishing's (`editorial.services.publishing`), through the same
machinery: the database holds `unpublish_at`; an ETA task wakes up at that instant and the
periodic sweep catches whatever the task missed; every path withdraws through
`unpublish_due_stories`, which claims due stories with one conditional UPDATE, so two
schedulers, a task delivered twice or a worker killed mid-way withdraw each story exactly once.
The withdrawal is the workflow's UNPUBLISH_SCHEDULED row: the same state and front-page effects
as Withdraw, with the page cache purged, the photos' public copies taken down, the authors told
and the editor's note in the audit trail. The time and note stay on the row as its record.

Setting or cancelling the time changes nothing readers see, so it leaves the story's `version`
alone (an editor in the middle of an edit gets no conflict), like live coverage does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, or_, select, update
from sqlalchemy.orm import load_only

from editorial.extensions import db
from editorial.jobs import Job
from editorial.models import Person, Story
from editorial.models.loading import NOTIFIED_AUTHORS, actor_of, facts_of
from editorial.services import audit, commit, rollback
from editorial.services.effects import effect_values, takes_from, transition_values
from editorial.services.errors import ValidationFailed
from editorial.services.notifications import notify_story_events
from editorial.services.publishing import (
    BATCH_SIZE,
    UPCOMING_WINDOW,
    WakeUps,
    flag_failure,
    isolating_failures,
    queue_wake_up,
    record_chunk,
    run_chunk,
)
from editorial.services.scheduled_updates import scheduled_update_time
from editorial.services.settings import workflow_policy
from editorial.services.transitions import _local as local_text
from editorial.services.transitions import checked_future
from editorial.timeutil import utcnow
from editorial.workflow import TRANSITIONS, Action, StoryState, Transition, WrongState, check

log = logging.getLogger(__name__)

RULE = TRANSITIONS[Action.UNPUBLISH_SCHEDULED]
# The newsroom's "needs attention" and /metrics count an unpublish this late as overdue.
OVERDUE_GRACE = timedelta(seconds=30)
_wake_ups = WakeUps()


# --- the desk: setting and cancelling ----------------------------------------------------------
def set_unpublish(
    story: Story, *, actor: Person, unpublish_at: datetime | None, note: str
) -> Story:
    """Give a published or scheduled story a time to be withdrawn, with the note readers'
    withdrawal carries in the history (setting it again moves the time)."""
    rule = _checked(story, Action.SET_UNPUBLISH, actor, note)
    now = utcnow()
    at = _checked_time(story, unpublish_at, now)
    values = {**effect_values(rule.effects, now, at), "unpublish_note": note.strip()}
    _claim(story, rule, values, actor=actor, note=note.strip(), at=at)
    story_id = story.id
    commit()
    queue_unpublish(story_id, at)
    return story


def cancel_unpublish(story: Story, *, actor: Person) -> Story:
    """Take a pending withdrawal off the story (refused once the scheduler has withdrawn it)."""
    rule = _checked(story, Action.CANCEL_UNPUBLISH, actor, "")
    if story.unpublish_at is None:
        raise WrongState("This story has no unpublish time to cancel. Reload to see it as it is.")
    values = effect_values(rule.effects, utcnow())
    pending = Story.unpublish_at.is_not(None)
    _claim(story, rule, values, pending, actor=actor, note="", at=story.unpublish_at)
    commit()
    return story


def _checked(story: Story, action: Action, actor: Person, note: str) -> Transition:
    return check(action, actor_of(actor), facts_of(story), note=note, policy=workflow_policy())


def _checked_time(story: Story, at: datetime | None, now: datetime) -> datetime:
    """A withdrawal time in the future, within a year, and after a scheduled publish (of the
    story or of its pending update)."""
    at = checked_future(
        "unpublish_at", at, now, missing="Enter the date and time to unpublish.", instead="Withdraw"
    )
    if story.state == StoryState.SCHEDULED and story.publish_at and at <= story.publish_at:
        raise ValidationFailed(
            {
                "unpublish_at": f"{local_text(at)} is not after the story's publish time, "
                f"{local_text(story.publish_at)}; choose a later time."
            }
        )
    update_at = scheduled_update_time(story.id)
    if update_at is not None and at <= update_at:
        raise ValidationFailed(
            {
                "unpublish_at": f"{local_text(at)} is not after the story's scheduled update, "
                f"{local_text(update_at)}; choose a later time, or unschedule the update first."
            }
        )
    return at


def _claim(
    story: Story,
    rule: Transition,
    values: dict[str, Any],
    *extra: ColumnElement[bool],
    actor: Person,
    note: str,
    at: datetime,
) -> None:
    """The conditional UPDATE, and its audit event: the story is still in the state and on the
    desk check() judged, so a cancel racing the scheduler's withdrawal lands first or is
    refused."""
    facts = facts_of(story)
    claimed = db.session.execute(
        update(Story)
        .where(Story.id == story.id, Story.state == facts.state, Story.desk_id == facts.desk_id)
        .where(*extra)
        .values(values)
        .returning(Story.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        rollback()
        db.session.refresh(story)
        raise WrongState(
            "Someone else changed this story first; it is now "
            f"{StoryState(story.state).label.lower()}. Nothing was changed by your request."
        )
    db.session.expire(story)
    audit.record(
        rule.audit,
        actor=actor,
        story_id=story.id,
        from_state=facts.state,
        to_state=facts.state,
        note=note,
        data={"unpublish_at": at.isoformat()},
    )


def queue_unpublish(story_id: int, unpublish_at: datetime) -> bool:
    """Ask Celery to wake up at `unpublish_at` (a wake-up for the instant, as for publishing)."""
    return queue_wake_up(
        Job.UNPUBLISH_DUE, unpublish_at, _wake_ups, f"unpublish of story {story_id}"
    )


# --- the scheduler: withdrawing what is due ---------------------------------------------------
def due_condition(now: datetime) -> ColumnElement[bool]:
    """Published, time come, and not a story whose withdrawal failed (it waits for an editor:
    setting the time again or cancelling clears the failure)."""
    return takes_from(RULE, now) & (Story.unpublish_at <= now) & Story.unpublish_failed_at.is_(None)


def unpublish_due_stories(now: datetime | None = None, *, only_id: int | None = None) -> list[int]:
    """Withdraw every published story whose unpublish time has come; the ids withdrawn now.

    In chunks of up to BATCH_SIZE, each claimed by one conditional UPDATE committed with its
    audit events, notifications, cache purge and public media change (publishing.run_chunk).
    """
    withdrawn: list[int] = []
    while True:
        chunk = _withdraw_chunk(now or utcnow(), only_id)
        withdrawn += chunk
        if len(chunk) < BATCH_SIZE:
            return withdrawn


def _withdraw_chunk(now: datetime, only_id: int | None) -> list[int]:
    ids = run_chunk(
        due_condition(now),
        only_id,
        transition_values(RULE, now),
        Story.unpublish_at,
        lambda rows: _record_withdrawn(rows, now),
        kind="unpublish",
    )
    if ids:
        log.info("withdrew %d stories at their unpublish time: %s", len(ids), ids)
    return ids


def _record_withdrawn(rows: Sequence[Row[int, datetime | None]], now: datetime) -> list[float]:
    """The audit events (with each editor's note) and the authors' notifications of a chunk."""
    stories = list(
        db.session.scalars(
            select(Story)
            .where(Story.id.in_([r.id for r in rows]))
            .options(
                load_only(Story.id, Story.headline, Story.desk_id, Story.unpublish_note),
                *NOTIFIED_AUTHORS,
            )
        )
    )
    notes = {s.id: s.unpublish_note for s in stories}
    lags = [max(0.0, (now - row.unpublish_at).total_seconds()) for row in rows]
    record_chunk(
        RULE,
        rows,
        lags,
        [notes.get(row.id, "") for row in rows],
        from_state=StoryState.PUBLISHED,
        time="unpublish_at",
    )
    notify_story_events(Action.UNPUBLISH_SCHEDULED, stories, notes)
    return lags


def unpublish_due(now: datetime | None = None) -> list[int]:
    """Withdraw what is due; if a batch fails, one story at a time, flagging those that fail."""
    return isolating_failures(
        lambda at, only_id: unpublish_due_stories(at, only_id=only_id),
        due_condition,
        mark_unpublish_failed,
        now,
    )


def mark_unpublish_failed(story_id: int, error: BaseException) -> bool:
    """Flag a story whose withdrawal failed on its own and tell its desk's editors, once."""
    return flag_failure(
        story_id,
        error,
        state=StoryState.PUBLISHED,
        failed_at=Story.unpublish_failed_at,
        error_column=Story.unpublish_error,
        what="unpublish",
    )


def queue_upcoming(now: datetime | None = None) -> int:
    """Give unpublishes coming within range their on-time ETA task (as publishing's does)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Story.id, Story.unpublish_at).where(
            Story.state.in_(TRANSITIONS[Action.SET_UNPUBLISH].sources),
            Story.unpublish_at > now,
            Story.unpublish_at <= now + UPCOMING_WINDOW,
        )
    ).all()
    rollback()
    for row in rows:
        queue_unpublish(row.id, row.unpublish_at)
    return len(rows)


def pending_condition(now: datetime, grace: timedelta = OVERDUE_GRACE) -> ColumnElement[bool]:
    """SQL: a published story past its unpublish time (plus grace), or whose withdrawal failed."""
    return (Story.state == StoryState.PUBLISHED) & or_(
        Story.unpublish_at < now - grace, Story.unpublish_failed_at.is_not(None)
    )


def overdue_unpublishes(now: datetime | None = None) -> Select[Any]:
    """Withdrawals past their time or failed, for the desk's "Needs attention"."""
    return (
        select(Story)
        .where(pending_condition(now or utcnow()), Story.unpublish_at.is_not(None))
        .order_by(Story.unpublish_at)
    )
