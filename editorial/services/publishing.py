"""Scheduled publishing: the database holds the schedule; Celery only wakes us up on time.

Every path that publishes a scheduled story goes through `publish_due_stories`, which claims
due stories with one conditional UPDATE. Whoever runs it (an ETA task, the periodic sweep, two
schedulers at once, a task delivered twice) publishes each story exactly once: the second
claimant finds nothing left in the `scheduled` state.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from editorial.extensions import db
from editorial.models import Heartbeat, Story
from editorial.services import audit, commit, rollback
from editorial.services.cache import purge_public_cache
from editorial.services.notifications import notify_publish_failed, notify_story_event
from editorial.timeutil import utcnow
from editorial.workflow import TRANSITIONS, Action, StoryState

log = logging.getLogger(__name__)

# Redis redelivers an unacknowledged ETA task after its visibility timeout (1 h by default):
# only queue ETA tasks well inside it. Later stories are caught by the sweep, or queued when
# they come within range (see queue_upcoming).
ETA_HORIZON = timedelta(minutes=50)
SWEEP_HEARTBEAT = "publish:due"
# queue_upcoming runs every minute; a window a little longer than that leaves no gap.
UPCOMING_WINDOW = timedelta(seconds=75)
RULE = TRANSITIONS[Action.PUBLISH_SCHEDULED]


def queue_publish(story_id: int, publish_at: datetime) -> None:
    """Ask Celery to wake up at `publish_at`. Failing to queue is harmless: the sweep is there."""
    if publish_at - utcnow() > ETA_HORIZON:
        return
    from editorial.tasks import publish_due_stories as task

    try:
        task.apply_async(kwargs={"story_id": story_id}, eta=publish_at, retry=False)
    except Exception:
        log.warning(
            "could not queue publish of story %s; the sweep will publish it",
            story_id,
            exc_info=True,
        )


def due_condition(now: datetime):
    return (
        (Story.state == StoryState.SCHEDULED)
        & (Story.publish_at <= now)
        & or_(Story.embargo_at.is_(None), Story.embargo_at <= now)
    )


def publish_due_stories(now: datetime | None = None, *, only_id: int | None = None) -> list[int]:
    """Publish every scheduled story whose time has come; return the ids published now.

    One conditional UPDATE claims and publishes in one statement (never read-then-write); the
    audit events, notifications and cache purge commit in the same transaction.
    """
    now = now or utcnow()
    condition = due_condition(now)
    if only_id is not None:
        condition = condition & (Story.id == only_id)
    try:
        rows = db.session.execute(
            update(Story)
            .where(condition)
            .values(
                state=RULE.target,
                version=Story.version + 1,
                published_at=now,
                first_published_at=func.coalesce(Story.first_published_at, now),
                modified_at=now,
                publish_failed_at=None,
                publish_error="",
            )
            .returning(Story.id, Story.publish_at)
            .execution_options(synchronize_session=False)
        ).all()
        if rows:
            _record_published(rows, now)
            purge_public_cache()
        commit()
    except Exception:
        rollback()
        raise
    if rows:
        log.info("published %d scheduled stories: %s", len(rows), [r.id for r in rows])
    return [r.id for r in rows]


def _record_published(rows: list, now: datetime) -> None:
    stories = {
        s.id: s for s in db.session.scalars(select(Story).where(Story.id.in_([r.id for r in rows])))
    }
    for row in rows:
        late = max(0.0, (now - row.publish_at).total_seconds())
        audit.record(
            RULE.audit,
            actor=None,
            story_id=row.id,
            from_state=StoryState.SCHEDULED,
            to_state=RULE.target,
            note=f"Published {late:.0f} s after its scheduled time." if late >= 60 else "",
            data={"publish_at": row.publish_at.isoformat(), "late_seconds": round(late, 3)},
        )
        notify_story_event(Action.PUBLISH_SCHEDULED, stories[row.id], actor=None)


def sweep(now: datetime | None = None) -> list[int]:
    """The periodic safety net: publish what is due, one story at a time if the batch fails."""
    now = now or utcnow()
    try:
        published = publish_due_stories(now)
    except Exception:
        log.exception("batch publish failed; trying the due stories one by one")
        published = _publish_one_by_one(now)
    _beat(now, f"published {len(published)}")
    return published


def _publish_one_by_one(now: datetime) -> list[int]:
    due = list(db.session.scalars(select(Story.id).where(due_condition(now))))
    rollback()
    published = []
    for story_id in due:
        try:
            published += publish_due_stories(now, only_id=story_id)
        except Exception as error:
            log.exception("publishing story %s failed", story_id)
            mark_publish_failed(story_id, f"{type(error).__name__}: {error}")
    return published


def mark_publish_failed(story_id: int, error: str) -> None:
    """Record a failed scheduled publish on the story and tell its desk's editors (once)."""
    story = db.session.get(Story, story_id)
    if story is None or story.state != StoryState.SCHEDULED or story.publish_failed_at:
        rollback()
        return
    story.publish_failed_at = utcnow()
    story.publish_error = error[:2000]
    audit.record(
        "story.publish_failed",
        actor=None,
        story_id=story.id,
        from_state=story.state,
        to_state=story.state,
        note=error[:500],
    )
    notify_publish_failed(story, error)
    commit()


def _beat(now: datetime, detail: str) -> None:
    try:
        beat = db.session.get(Heartbeat, SWEEP_HEARTBEAT) or Heartbeat(name=SWEEP_HEARTBEAT)
        beat.at, beat.detail = now, detail
        db.session.add(beat)
        commit()
    except Exception:
        rollback()
        log.warning("could not record the sweep heartbeat", exc_info=True)


def queue_upcoming(now: datetime | None = None) -> int:
    """Queue ETA tasks for scheduled stories that have come within the ETA horizon.

    Stories scheduled days ahead get no ETA task at scheduling time (the broker would deliver it
    twice); this periodic step gives them one when they come within range, and re-queues tasks
    lost with a Redis restart. Duplicates are harmless by construction.
    """
    now = now or utcnow()
    rows = db.session.execute(
        select(Story.id, Story.publish_at).where(
            Story.state == StoryState.SCHEDULED,
            Story.publish_at > now,
            Story.publish_at <= now + UPCOMING_WINDOW,
        )
    ).all()
    rollback()
    for row in rows:
        queue_publish(row.id, row.publish_at)
    return len(rows)


def overdue_stories(now: datetime | None = None, grace: timedelta = timedelta(seconds=30)):
    """Scheduled stories past their time (plus grace), or whose publish failed: for editors."""
    now = now or utcnow()
    return (
        select(Story)
        .where(
            Story.state == StoryState.SCHEDULED,
            or_(Story.publish_at < now - grace, Story.publish_failed_at.is_not(None)),
        )
        .order_by(Story.publish_at)
    )
