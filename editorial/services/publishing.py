"""Scheduled publishing: the database holds the schedule; Celery only wakes us up on time.

Every path that publishes a scheduled story goes through `publish_due_stories`, which claims
due stories with one conditional UPDATE. Whoever runs it (an ETA task, the periodic sweep, two
schedulers at once, a task delivered twice) publishes each story exactly once: the second
claimant finds nothing left in the `scheduled` state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import InstrumentedAttribute, load_only

from editorial.extensions import db
from editorial.jobs import Job, enqueue
from editorial.models import Heartbeat, Story
from editorial.models.loading import NOTIFIED_AUTHORS
from editorial.services import after_commit, audit, commit, counters, public_media, rollback
from editorial.services.cache import refresh_stories
from editorial.services.effects import takes_from, transition_values
from editorial.services.notifications import notify_publish_failed, notify_story_events
from editorial.timeutil import utcnow
from editorial.workflow import TRANSITIONS, Action, StoryState, Transition

log = logging.getLogger(__name__)

# Redis redelivers an unacknowledged ETA task after its visibility timeout (1 h by default):
# only queue ETA tasks well inside it. Later stories are caught by the sweep, or queued when
# they come within range (see queue_upcoming).
ETA_HORIZON = timedelta(minutes=50)
SWEEP_HEARTBEAT = "publish:due"
# queue_upcoming runs every minute; a window a little longer than that leaves no gap.
UPCOMING_WINDOW = timedelta(seconds=75)
RULE = TRANSITIONS[Action.PUBLISH_SCHEDULED]
# Stories per transaction: with 1,000 due at once, the first go live while the rest are still
# being written (one transaction for all took 9 s here), and concurrent runners share the work.
BATCH_SIZE = 100
# ETA tasks per publish instant: several, so a big batch is published in parallel chunks.
WAKE_UPS_PER_INSTANT = 4


def queue_publish(story_id: int, publish_at: datetime) -> bool:
    """Ask Celery to wake up at `publish_at`; True if a task was queued for it now.

    The task is a wake-up call for that instant, not for this story: it publishes whatever is
    due. A thousand stories scheduled for one instant need WAKE_UPS_PER_INSTANT tasks, not a
    thousand (each would be one more timer to fire at the critical moment). Failing to queue
    is harmless: the sweep is there.
    """
    return queue_wake_up(Job.PUBLISH_DUE, publish_at, _wake_ups, f"publish of story {story_id}")


def queue_wake_up(job: Job, at: datetime, wake_ups: WakeUps, what: str) -> bool:
    """Queue `job` to run at `at` unless it is beyond the ETA horizon or queued enough."""
    if at - utcnow() > ETA_HORIZON or not wake_ups.wanted(at):
        return False
    if not enqueue(job, kwargs={"at": at.isoformat()}, eta=at):
        log.warning("could not queue %s; the sweep will do it", what)
        return False
    wake_ups.queued(at)
    return True


class WakeUps:
    """How many wake-up tasks this process queued lately for each instant.

    Remembered briefly, so that queue_upcoming (every minute) queues fresh ones in case the
    broker lost the first; extra tasks are harmless, just wasted work.
    """

    MEMORY = 30.0  # seconds

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[datetime, tuple[int, float]] = {}

    def wanted(self, instant: datetime) -> bool:
        now = time.monotonic()
        with self._lock:
            self._counts = {k: v for k, v in self._counts.items() if now - v[1] < self.MEMORY}
            return self._counts.get(instant, (0, now))[0] < WAKE_UPS_PER_INSTANT

    def queued(self, instant: datetime) -> None:
        with self._lock:
            count, first = self._counts.get(instant, (0, time.monotonic()))
            self._counts[instant] = (count + 1, first)


_wake_ups = WakeUps()


def due_condition(now: datetime) -> ColumnElement[bool]:
    """Scheduled, time come, embargo lifted, and not a story whose publish failed: that one
    waits for an editor (reschedule, unschedule or publish clear the failure), so it cannot
    drag every later batch into the one-by-one fallback."""
    return takes_from(RULE, now) & (Story.publish_at <= now) & Story.publish_failed_at.is_(None)


def publish_due_stories(now: datetime | None = None, *, only_id: int | None = None) -> list[int]:
    """Publish every scheduled story whose time has come; return the ids published now.

    Stories are claimed and published in chunks of up to BATCH_SIZE, each by one conditional
    UPDATE (never read-then-write) committed together with its audit events, notifications
    and cache purge. Without an explicit `now`, each chunk is stamped with its own time.
    """
    published: list[int] = []
    while True:
        chunk = _publish_chunk(now or utcnow(), only_id)
        published += chunk
        if len(chunk) < BATCH_SIZE:
            return published


def _publish_chunk(now: datetime, only_id: int | None) -> list[int]:
    ids = run_chunk(
        due_condition(now),
        only_id,
        transition_values(RULE, now),
        Story.publish_at,
        lambda rows: _record_published(rows, now),
        kind="publish",
    )
    if ids:
        log.info("published %d scheduled stories: %s", len(ids), ids)
    return ids


# Given the claimed rows (id and scheduled time), write their audit events and notifications;
# return each story's lag.
Recorder = Callable[[Sequence[Row[int, datetime | None]]], list[float]]


def run_chunk(
    condition: ColumnElement[bool],
    only_id: int | None,
    values: dict[str, Any],
    scheduled: InstrumentedAttribute[datetime | None],
    record: Recorder,
    *,
    kind: str,
) -> list[int]:
    """Claim one chunk of due stories (`only_id`: just that one), write `values`, record them,
    make the public site follow (page cache, photos' public copies) and commit; the ids.

    `scheduled` is the column holding their time, earliest first; the lags go into the publish
    lag histogram under `kind`.
    """
    if only_id is not None:
        condition = condition & (Story.id == only_id)
    try:
        rows = _claim_chunk(condition, scheduled, values)
        if rows:
            lags = record(rows)
            refresh_stories([r.id for r in rows])
            public_media.stories_changed([r.id for r in rows])
            # After the commit, in a transaction of its own (see services.counters).
            after_commit(lambda: counters.add_now(counters.publish_lags(kind, lags)))
        commit()
    except Exception:
        rollback()
        raise
    return [r.id for r in rows]


def _claim_chunk(
    condition: ColumnElement[bool],
    scheduled: InstrumentedAttribute[datetime | None],
    values: dict[str, Any],
) -> Sequence[Row[int, datetime | None]]:
    """Claim up to BATCH_SIZE stories meeting `condition` (earliest `scheduled` first) by
    writing `values` in one conditional UPDATE; each claimed row's id and scheduled time.

    The condition is re-checked by the UPDATE itself, so a story changed meanwhile (its time
    moved, it was cancelled, another runner took it) is simply not claimed.
    """
    # SKIP LOCKED (PostgreSQL; SQLite has no row locks and serialises writers anyway): runners
    # at the same moment take different chunks instead of queueing behind one another's locks.
    # A MATERIALIZED CTE, because PostgreSQL may re-run an `IN (SELECT ... LIMIT)` subquery
    # per row and so update far more than the limit (measured: all 1,000 in one chunk).
    claim = (
        select(Story.id)
        .where(condition)
        .order_by(scheduled, Story.id)
        .limit(BATCH_SIZE)
        .with_for_update(skip_locked=True)
        .cte("claim")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return db.session.execute(
        update(Story)
        .where(Story.id == claim.c.id, condition)
        .values(values)
        .returning(Story.id, scheduled)
        .execution_options(synchronize_session=False)
    ).all()


def record_chunk(
    rule: Transition,
    rows: Sequence[Row[int, datetime | None]],
    lags: Sequence[float],
    notes: Sequence[str],
    *,
    from_state: StoryState,
    time: str,
) -> None:
    """A scheduler chunk's audit events, in one executemany: each row's scheduled `time` (the
    column the rows carry, e.g. publish_at), how late it went, and its note."""
    audit.record_many(
        [
            audit.event_values(
                rule.audit,
                actor=None,
                story_id=row.id,
                from_state=from_state,
                to_state=rule.target,
                note=note,
                data={time: getattr(row, time).isoformat(), "late_seconds": round(late, 3)},
            )
            for row, late, note in zip(rows, lags, notes, strict=True)
        ]
    )


def _record_published(rows: Sequence[Row[int, datetime | None]], now: datetime) -> list[float]:
    """The audit events and the authors' notifications of a published chunk; each story's lag.

    Nothing here goes per story: the chunk's audit events go in with one executemany and the
    notifications with one INSERT.
    """
    lags = [max(0.0, (now - row.publish_at).total_seconds()) for row in rows]
    notes = [
        f"Published {late:.0f} s after its scheduled time." if late >= 60 else "" for late in lags
    ]
    record_chunk(RULE, rows, lags, notes, from_state=StoryState.SCHEDULED, time="publish_at")
    # Only what the notifications need: the text of a hundred stories is not read here.
    stories = db.session.scalars(
        select(Story)
        .where(Story.id.in_([r.id for r in rows]))
        .options(
            load_only(Story.id, Story.headline, Story.desk_id),
            *NOTIFIED_AUTHORS,
        )
    )
    notify_story_events(Action.PUBLISH_SCHEDULED, stories)
    return lags


def publish_due(now: datetime | None = None) -> list[int]:
    """Publish what is due; if a batch fails, one story at a time, flagging those that fail."""
    return isolating_failures(
        lambda at, only_id: publish_due_stories(at, only_id=only_id),
        due_condition,
        mark_publish_failed,
        now,
    )


def isolating_failures(
    run: Callable[[datetime | None, int | None], list[int]],
    due: Callable[[datetime], ColumnElement[bool]],
    mark_failed: Callable[[int, BaseException], bool],
    now: datetime | None,
) -> list[int]:
    """`run(now, None)` does every due story in batches; if a batch fails, `run(now, id)` for
    each story `due` names, and `mark_failed` those that fail on their own."""
    try:
        return run(now, None)
    except Exception as error:
        if database_unavailable(error):
            raise  # nothing to isolate: the task retries, the next sweep tries again
        log.warning("batch failed (%s); trying the due stories one by one", error)
        return _one_by_one(run, due, mark_failed, now or utcnow())


def sweep(now: datetime | None = None) -> list[int]:
    """The periodic safety net: publish what is due and record that the sweep ran."""
    started = now or utcnow()
    published = publish_due(now)
    _beat(started, f"published {len(published)}")
    return published


def database_unavailable(error: BaseException) -> bool:
    """A lost connection, a deadlock or a lock timeout: transient, not the story's fault."""
    return isinstance(error, OperationalError | InterfaceError)


def _one_by_one(
    run: Callable[[datetime | None, int | None], list[int]],
    due: Callable[[datetime], ColumnElement[bool]],
    mark_failed: Callable[[int, BaseException], bool],
    now: datetime,
) -> list[int]:
    ids = list(db.session.scalars(select(Story.id).where(due(now))))
    rollback()
    done = []
    for story_id in ids:
        try:
            done += run(now, story_id)
        except Exception as error:
            if database_unavailable(error):
                log.warning("story %s: database unavailable (%s)", story_id, error)
                continue
            mark_failed(story_id, error)
    return done


def mark_publish_failed(story_id: int, error: BaseException) -> bool:
    """Flag a story whose publish failed on its own and tell its desk's editors, once."""
    return flag_failure(
        story_id,
        error,
        state=StoryState.SCHEDULED,
        failed_at=Story.publish_failed_at,
        error_column=Story.publish_error,
        what="publish",
    )


def flag_failure(
    story_id: int,
    error: BaseException,
    *,
    state: StoryState,
    failed_at: InstrumentedAttribute[datetime | None],
    error_column: InstrumentedAttribute[str],
    what: str,
) -> bool:
    """Flag a story (still in `state`) whose scheduled `what` failed on its own, audit it as
    `story.<what>_failed` and tell its desk's editors, once.

    One conditional UPDATE decides who reports it: with two schedulers failing on the same
    story, only the one whose UPDATE matched logs the error, audits and notifies.
    """
    message = f"{type(error).__name__}: {error}"
    flagged = db.session.execute(
        update(Story)
        .where(Story.id == story_id, Story.state == state, failed_at.is_(None))
        .values({failed_at: utcnow(), error_column: message[:2000]})
        .returning(Story.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not flagged:
        rollback()
        log.info("story %s failed to %s; already flagged", story_id, what)
        return False
    story = db.session.get_one(Story, story_id, populate_existing=True)
    audit.record(
        f"story.{what}_failed",
        actor=None,
        story_id=story_id,
        from_state=state,
        to_state=state,
        note=message[:500],
    )
    notify_publish_failed(story, message, what=what)
    commit()
    log.error("%sing story %s failed; it waits for an editor", what, story_id, exc_info=error)
    return True


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


def overdue_stories(
    now: datetime | None = None, grace: timedelta = timedelta(seconds=30)
) -> Select[Story]:
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
