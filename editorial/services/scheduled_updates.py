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
from sqlalchemy.orm import selectinload

from editorial.extensions import db
from editorial.jobs import Job
from editorial.models import Person, Story, StoryUpdate
from editorial.models.loading import NOTIFIED_AUTHORS, PERSON_ACCESS, actor_of, facts_of
from editorial.rendering import photo_refs
from editorial.services import after_commit, audit, commit, counters, public_media, rollback
from editorial.services.cache import refresh_stories
from editorial.services.errors import ValidationFailed
from editorial.services.notifications import (
    notify_publish_failed,
    notify_story_event,
    notify_story_events,
)
from editorial.services.publishing import (
    BATCH_SIZE,
    UPCOMING_WINDOW,
    WakeUps,
    database_unavailable,
    queue_wake_up,
)
from editorial.services.revisions import (
    CorrectionInput,
    add_correction,
    add_revisions,
    next_revision_numbers,
    revision_values,
)
from editorial.services.slugs import tag_key
from editorial.services.stories import clean_input, text_columns
from editorial.services.transitions import checked_future, refuse_past_unpublish
from editorial.services.updates import (
    NO_SCHEDULE,
    check_update,
    claim_update,
    go_live,
    live_changed,
    lock_live,
    pending_update,
    refuse_if_behind,
    update_input,
)
from editorial.timeutil import utcnow
from editorial.workflow import (
    TRANSITIONS,
    Action,
    StoryState,
    UpdateState,
    WrongState,
    can_edit,
)

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

    A chunk at a time (`_publish_chunk`); an update the chunk leaves (its slug, tags or
    photos change, or it cannot go live) goes through the whole save in a transaction of its
    own, and one that fails there is flagged while the rest go on. A lost database connection
    stops the run (the task retries, the sweep comes back).
    """
    published: list[int] = []
    while True:
        at = now or utcnow()
        try:
            done, left = _publish_chunk(at)
        except Exception as error:
            rollback()
            if database_unavailable(error):
                raise
            log.warning("update chunk failed (%s); publishing its updates one by one", error)
            done, left = [], _due_story_ids(at)
        done += [story_id for story_id in left if _publish_isolated(story_id, at)]
        published += done
        # Stop when nothing is left, or when everything left is another runner's or flagged.
        if len(done) + len(left) < BATCH_SIZE or not done:
            if published:
                log.info("published %d scheduled updates: %s", len(published), published)
            return published


def _due_story_ids(at: datetime) -> list[int]:
    story_ids = list(
        db.session.scalars(
            select(StoryUpdate.story_id)
            .where(due_condition(at))
            .order_by(StoryUpdate.publish_at, StoryUpdate.id)
            .limit(BATCH_SIZE)
        )
    )
    rollback()
    return story_ids


def _publish_chunk(now: datetime) -> tuple[list[int], list[int]]:
    """Publish up to BATCH_SIZE due updates that change only the text (the common case) in
    one transaction: the story rows locked (SKIP LOCKED: two schedulers take different
    chunks), the updates claimed by one conditional DELETE, the stories written with one
    executemany, and their revisions, notices, audit events and notifications inserted
    together. Returns the stories published and those left for the whole save."""
    pairs = db.session.execute(
        select(Story, StoryUpdate)
        .join(StoryUpdate, StoryUpdate.story_id == Story.id)
        .where(due_condition(now))
        .order_by(StoryUpdate.publish_at, StoryUpdate.id)
        .limit(BATCH_SIZE)
        .with_for_update(of=Story, skip_locked=True)
        .options(selectinload(Story.tags), *NOTIFIED_AUTHORS)
        .execution_options(populate_existing=True)
    ).all()
    editors = _editors({pending.modified_by_id for _, pending in pairs})
    simple = [
        (story, pending, columns)
        for story, pending in pairs
        if (columns := _chunk_columns(story, pending, editors.get(pending.modified_by_id or 0)))
    ]
    chunked = {story.id for story, _, _ in simple}
    left = [story.id for story, _ in pairs if story.id not in chunked]
    claimed = _claim_updates([pending.id for _, pending, _ in simple], now)
    going = [row for row in simple if row[1].id in claimed]
    left += [story.id for story, pending, _ in simple if pending.id not in claimed]
    ids = [story.id for story, _, _ in going]  # before the commit expires the stories
    if going:
        lags = _write_live(going, editors)
        refresh_stories(ids)
        public_media.stories_changed(ids)
        after_commit(lambda: counters.add_now(counters.publish_lags("update", lags)))
    commit()
    return ids, left


def _editors(person_ids: set[int | None]) -> dict[int, Person]:
    """The editors whose saves the scheduler makes, with their access (two SELECTs)."""
    ids = [person_id for person_id in person_ids if person_id is not None]
    people = db.session.scalars(select(Person).where(Person.id.in_(ids)).options(*PERSON_ACCESS))
    return {person.id: person for person in people}


def _chunk_columns(
    story: Story, pending: StoryUpdate, editor: Person | None
) -> dict[str, Any] | None:
    """The columns the update writes, if it may go live in a chunk: the story is live and its
    copy unchanged since the update started, its editor may still edit it, and the update
    keeps the live slug, tags and photos (so the slug, tag and photo checks and rows of the
    whole save have nothing to do). None: it takes the whole save, which refuses what it must."""
    if editor is None or story.state not in RULE.sources or live_changed(story, pending):
        return None
    data = clean_input(update_input(story, pending))
    if not (
        can_edit(actor_of(editor), facts_of(story))
        and (data.slug or story.slug) == story.slug
        and {tag_key(name) for name in data.tags} - {""} == {tag.slug for tag in story.tags}
        and data.lead_photo_id == story.lead_photo_id
    ):
        return None
    columns = text_columns(data, byline=story.byline, rendered=pending.rendered())
    return columns if photo_refs(columns["body_html"]) == photo_refs(story.body_html) else None


def _claim_updates(update_ids: list[int], now: datetime) -> dict[int, datetime | None]:
    """Claim these updates if still due (a runner that got there first took the rest)."""
    if not update_ids:
        return {}
    rows = db.session.execute(
        delete(StoryUpdate)
        .where(StoryUpdate.id.in_(update_ids), due_condition(now))
        .returning(StoryUpdate.id, StoryUpdate.publish_at)
        .execution_options(synchronize_session=False)
    )
    return {update_id: at for update_id, at in rows}


def _write_live(
    going: list[tuple[Story, StoryUpdate, dict[str, Any]]], editors: dict[int, Person]
) -> list[float]:
    """The claimed updates become the live copies, as the whole save would write them; the
    lag of each."""
    notify_story_events(Action.PUBLISH_UPDATE_SCHEDULED, [story for story, _, _ in going])
    numbers = next_revision_numbers([story.id for story, _, _ in going])
    written, revisions, events, lags, now = [], [], [], [], utcnow()
    for story, pending, columns in going:
        db.session.expunge(pending)
        editor = editors[pending.modified_by_id or 0]
        version = story.version + 1
        written.append(
            {"id": story.id, **columns, "version": version}
            | {"modified_at": now, "public_updated_at": now}
        )
        revisions.append(
            revision_values(
                story.id,
                numbers[story.id],
                columns,
                story_version=version,
                actor_id=editor.id,
                summary="Scheduled update published",
            )
        )
        if pending.notice_note:
            notice = CorrectionInput(pending.notice_note, pending.notice_is_correction)
            add_correction(story.id, notice, actor_id=editor.id)
        assert pending.publish_at is not None  # the due condition compares it
        late = max(0.0, (now - pending.publish_at).total_seconds())
        lags.append(late)
        events.append(
            audit.event_values(
                RULE.audit,
                actor=editor,
                story_id=story.id,
                from_state=StoryState(story.state),
                to_state=StoryState(story.state),
                note=pending.notice_note,
                data={
                    "revision": numbers[story.id],
                    "reopened_for_review": False,
                    "publish_at": pending.publish_at.isoformat(),
                    "late_seconds": round(late, 3),
                },
            )
        )
    add_revisions(revisions)
    audit.record_many(events)
    db.session.execute(update(Story), written)  # by primary key: one executemany
    return lags


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
