"""Schedule update: an approved pending update goes live at a set time, once, on time.

The guarantee is scheduled publishing's (`editorial.services.publishing`), through the same
machinery: the database holds the update's `publish_at`; an ETA task wakes up at that instant
and the periodic sweep catches whatever the task missed; every path publishes through
`publish_due_updates`. Publishing an update is a whole save of the story (revision, notice,
slug, photos, cache), so each update goes live in a transaction of its own that first locks
the story's row (PostgreSQL: FOR UPDATE SKIP LOCKED, so two schedulers take different stories)
and then claims the update with one conditional DELETE: two schedulers, a task delivered twice
or a worker killed mid-way publish each update exactly once.

An update that cannot go live on its own (the story was withdrawn, the live copy changed after
the update started, its photo was deleted) is flagged, not retried: it waits in the desk's
"Needs attention" and its editors are told, like a failed scheduled publish.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, or_, select, update

from editorial.extensions import db
from editorial.jobs import Job
from editorial.models import Person, Story, StoryUpdate
from editorial.services import after_commit, audit, commit, counters, rollback
from editorial.services.errors import ValidationFailed
from editorial.services.notifications import notify_publish_failed, notify_story_event
from editorial.services.publishing import (
    BATCH_SIZE,
    UPCOMING_WINDOW,
    WakeUps,
    database_unavailable,
    queue_wake_up,
)
from editorial.services.stories import CorrectionInput
from editorial.services.transitions import checked_future, refuse_past_unpublish
from editorial.services.updates import (
    NO_SCHEDULE,
    check_update,
    claim_update,
    go_live,
    lock_live,
    pending_update,
    refuse_if_behind,
)
from editorial.timeutil import utcnow
from editorial.workflow import TRANSITIONS, Action, StoryState, UpdateState, WrongState

log = logging.getLogger(__name__)

RULE = TRANSITIONS[Action.PUBLISH_UPDATE_SCHEDULED]
# The newsroom's "needs attention" and /metrics count an update this late as overdue.
OVERDUE_GRACE = timedelta(seconds=30)
_wake_ups = WakeUps()


# --- the desk: scheduling ----------------------------------------------------------------------
def schedule_update(
    story: Story,
    *,
    actor: Person,
    publish_at: datetime | None,
    notice: CorrectionInput | None = None,
    expected_version: int | None = None,
) -> None:
    """Schedule update: the approved update goes live at `publish_at`, with `notice` (setting
    it again moves the time). Refused when the live copy changed after the update started,
    or the time is past, more than a year ahead, or not before the story's unpublish time."""
    rule = check_update(story, pending_update(story.id), Action.SCHEDULE_UPDATE, actor)
    pending = lock_live(story, Action.SCHEDULE_UPDATE, actor)
    now = utcnow()
    try:
        at = _checked_time(story, publish_at, now)
    except ValidationFailed:
        rollback()
        raise
    refuse_if_behind(story, pending)
    values: dict[str, Any] = {
        **NO_SCHEDULE,
        "state": rule.to_update,
        "publish_at": at,
        "modified_at": now,
        "modified_by_id": actor.id,  # the editor whose save the scheduler makes at `at`
    }
    if notice is not None:
        values |= {"notice_note": notice.note.strip(), "notice_is_correction": notice.is_correction}
    story_id = story.id
    claim_update(story_id, pending, expected_version, rule.update, values)
    audit.record(rule.audit, actor=actor, story_id=story_id, data={"publish_at": at.isoformat()})
    notify_story_event(Action.SCHEDULE_UPDATE, story, actor=actor)
    commit()
    queue_update_publish(story_id, at)
    log.info("story %s: update scheduled for %s by %s", story_id, at.isoformat(), actor.id)


def _checked_time(story: Story, at: datetime | None, now: datetime) -> datetime:
    """A time in the future, within a year, and before the story's unpublish time."""
    at = checked_future(
        "publish_at",
        at,
        now,
        missing="Enter the date and time to publish the update.",
        instead="Publish update now",
    )
    refuse_past_unpublish(story, at)
    return at


def queue_update_publish(story_id: int, publish_at: datetime) -> bool:
    """Ask Celery to wake up at `publish_at` (a wake-up for the instant, as for publishing)."""
    return queue_wake_up(
        Job.PUBLISH_UPDATES_DUE, publish_at, _wake_ups, f"update of story {story_id}"
    )


def scheduled_update_time(story_id: int) -> datetime | None:
    """When the story's pending update is scheduled to go live (None: it is not)."""
    return db.session.scalar(
        select(StoryUpdate.publish_at).where(
            StoryUpdate.story_id == story_id, StoryUpdate.state == UpdateState.SCHEDULED
        )
    )


# --- the scheduler: publishing what is due -----------------------------------------------------
def due_condition(now: datetime) -> ColumnElement[bool]:
    """Scheduled, time come, and not an update whose publish failed (it waits for an editor:
    scheduling it again, unscheduling or publishing it now clears the failure)."""
    return (
        StoryUpdate.state.in_(list(RULE.update))
        & (StoryUpdate.publish_at <= now)
        & StoryUpdate.publish_failed_at.is_(None)
    )


def publish_due_updates(now: datetime | None = None) -> list[int]:
    """Publish every scheduled update whose time has come; the ids of their stories.

    Each in a transaction of its own; one that fails on its own is flagged and the rest go
    on. A lost database connection stops the run (the task retries, the sweep comes back).
    """
    published: list[int] = []
    while True:
        at = now or utcnow()
        story_ids = list(
            db.session.scalars(
                select(StoryUpdate.story_id)
                .where(due_condition(at))
                .order_by(StoryUpdate.publish_at, StoryUpdate.id)
                .limit(BATCH_SIZE)
            )
        )
        rollback()
        done = [story_id for story_id in story_ids if _publish_isolated(story_id, at)]
        published += done
        # Stop when nothing is left, or when everything left is another runner's or flagged.
        if len(story_ids) < BATCH_SIZE or not done:
            if published:
                log.info("published %d scheduled updates: %s", len(published), published)
            return published


def _publish_isolated(story_id: int, now: datetime) -> bool:
    try:
        return publish_due_update(story_id, now)
    except Exception as error:
        rollback()
        if database_unavailable(error):
            raise
        mark_update_failed(story_id, error)
        return False


def publish_due_update(story_id: int, now: datetime) -> bool:
    """Publish this story's scheduled update if it is due; False if there is nothing to do
    (not due any more, already published, or another scheduler holds the story now)."""
    story = db.session.scalar(
        select(Story)
        .where(Story.id == story_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    pending = db.session.scalar(
        select(StoryUpdate)
        .where(StoryUpdate.story_id == story_id, due_condition(now))
        .execution_options(populate_existing=True)
    )
    if story is None or pending is None:
        rollback()
        return False
    if story.state not in RULE.sources:
        raise WrongState(
            f"The story is {StoryState(story.state).label.lower()}; its scheduled update "
            "was not published. Republish the story and schedule the update again, or "
            "discard it."
        )
    refuse_if_behind(story, pending)
    editor = db.session.get_one(Person, pending.modified_by_id)
    notice = (
        CorrectionInput(pending.notice_note, pending.notice_is_correction)
        if pending.notice_note
        else None
    )
    assert pending.publish_at is not None  # the due condition compares it
    late = max(0.0, (utcnow() - pending.publish_at).total_seconds())
    claimed = db.session.execute(
        delete(StoryUpdate)
        .where(StoryUpdate.id == pending.id, due_condition(now))
        .returning(StoryUpdate.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        rollback()
        return False
    db.session.expunge(pending)
    notify_story_event(Action.PUBLISH_UPDATE_SCHEDULED, story, actor=None)
    after_commit(lambda: counters.add_now(counters.publish_lags("update", [late])))
    go_live(
        story,
        pending,
        RULE,
        actor=editor,
        notice=notice,
        summary="Scheduled update published",
        event_data={"publish_at": pending.publish_at.isoformat(), "late_seconds": round(late, 3)},
    )
    return True


def mark_update_failed(story_id: int, error: BaseException) -> bool:
    """Flag a scheduled update that failed on its own and tell the desk's editors, once (one
    conditional UPDATE decides which of two failing schedulers reports it)."""
    message = f"{type(error).__name__}: {error}"
    flagged = db.session.execute(
        update(StoryUpdate)
        .where(
            StoryUpdate.story_id == story_id,
            StoryUpdate.state == UpdateState.SCHEDULED,
            StoryUpdate.publish_failed_at.is_(None),
        )
        .values(publish_failed_at=utcnow(), publish_error=message[:2000])
        .returning(StoryUpdate.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not flagged:
        rollback()
        log.info("story %s: scheduled update failed; already flagged", story_id)
        return False
    story = db.session.get_one(Story, story_id, populate_existing=True)
    audit.record("story.update.publish_failed", actor=None, story_id=story_id, note=message[:500])
    notify_publish_failed(story, message, what="update")
    commit()
    log.error("story %s: scheduled update failed; it waits for an editor", story_id, exc_info=error)
    return True


def queue_upcoming(now: datetime | None = None) -> int:
    """Give updates coming within range their on-time ETA task (as publishing's does)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(StoryUpdate.story_id, StoryUpdate.publish_at).where(
            StoryUpdate.state == UpdateState.SCHEDULED,
            StoryUpdate.publish_at > now,
            StoryUpdate.publish_at <= now + UPCOMING_WINDOW,
        )
    ).all()
    rollback()
    for story_id, at in rows:
        assert at is not None  # the query compares it
        queue_update_publish(story_id, at)
    return len(rows)


def pending_condition(now: datetime, grace: timedelta = OVERDUE_GRACE) -> ColumnElement[bool]:
    """SQL: a scheduled update past its time (plus grace), or whose publish failed."""
    return (StoryUpdate.state == UpdateState.SCHEDULED) & or_(
        StoryUpdate.publish_at < now - grace, StoryUpdate.publish_failed_at.is_not(None)
    )


def overdue_updates(now: datetime | None = None) -> Select[StoryUpdate, Story]:
    """Scheduled updates past their time or failed, with their stories, for "Needs attention"."""
    return (
        select(StoryUpdate, Story)
        .join(Story, Story.id == StoryUpdate.story_id)
        .where(pending_condition(now or utcnow()))
        .order_by(StoryUpdate.publish_at)
    )
