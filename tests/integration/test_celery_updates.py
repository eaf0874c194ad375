"""Scheduled updates against real parts: a `celery worker` process, beat, Redis, PostgreSQL.

TRUST.md 32 (and 1-3, 5 for updates): every scheduled update goes live exactly once (one
`story.update.published.scheduled` audit event), on time, whatever happens to the worker or
the broker in between. Waits poll the database with a deadline; nothing sleeps blindly.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from editorial.jobs import Job, enqueue
from editorial.models import AuditEvent, Story, StoryUpdate
from editorial.services.revisions import CorrectionInput
from editorial.services.scheduled_updates import schedule_update
from editorial.services.updates import save_update, transition_update
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests.integration.conftest import rows, wait_until
from tests.integration.test_celery_publishing import (  # noqa: F401  (newsroom: a fixture)
    ON_TIME,
    newsroom,
    queued,
    worker_holds_every_publish_task,
)
from tests.integration.test_stories import edit

pytestmark = [pytest.mark.services, pytest.mark.slow]

EVENT = "story.update.published.scheduled"
UPDATE_TASK = Job.PUBLISH_UPDATES_DUE.value
NEW = "The ferry timetable changes from Monday, the authority said."


def approved_updates(make, room, n: int) -> list[Story]:
    """Published stories, each with an update its reporter wrote and the desk approved."""
    stories = []
    for _ in range(n):
        story = make.story(room.reporter, room.desk, StoryState.PUBLISHED, editor=room.editor)
        save_update(story, edit(story, body=NEW), actor=room.reporter, expected_version=0)
        transition_update(story, Action.SUBMIT_UPDATE, actor=room.reporter)
        transition_update(story, Action.APPROVE_UPDATE, actor=room.editor)
        stories.append(story)
    return stories


def schedule(stories: list[Story], room, at: datetime | None = None) -> datetime:
    """Every update to go live at `at` (by default 2 s after the last is scheduled)."""
    at = at or utcnow() + timedelta(seconds=2 + 0.4 * len(stories))
    notice = CorrectionInput("Updated with the new timetable.", is_correction=False)
    for story in stories:
        schedule_update(story, actor=room.editor, publish_at=at, notice=notice)
    return at


def bodies(ids: list[int]) -> dict[int, str]:
    return dict(rows(select(Story.id, Story.body).where(Story.id.in_(ids))))


def wait_live(ids: list[int], timeout: float = 60.0) -> None:
    def done() -> bool:
        return all(body == NEW for body in bodies(ids).values())

    wait_until(done, timeout, f"{len(ids)} updates to go live")


def assert_live_once(
    ids: list[int], at: datetime, *, not_before: datetime | None = None, late: float = ON_TIME
) -> list[float]:
    """Each update live with exactly one audit event and no pending row left, at most `late`
    s after its time (or after `not_before`, when no worker could run before then)."""
    events: dict[int, list[dict]] = {i: [] for i in ids}
    for row in rows(
        select(AuditEvent.story_id, AuditEvent.data, AuditEvent.at).where(
            AuditEvent.action == EVENT, AuditEvent.story_id.in_(ids)
        )
    ):
        events[row.story_id].append({**row.data, "committed": row.at})
    assert not rows(select(StoryUpdate.id).where(StoryUpdate.story_id.in_(ids)))
    start = max(at, not_before or at)
    lags = []
    for story_id in ids:
        assert len(events[story_id]) == 1, f"story {story_id}: {events[story_id]}"
        event = events[story_id][0]
        assert event["committed"] >= at
        assert (event["committed"] - start).total_seconds() <= late + 0.5, (story_id, event)
        lags.append(event["late_seconds"])
    return lags


def test_updates_go_live_on_time_once_each_by_eta_tasks(newsroom, make, celery_procs, broker):  # noqa: F811
    """The ETA fast path alone (no beat here): 10 updates, each once, within 2 s."""
    worker = celery_procs.worker(wait=False)
    stories = approved_updates(make, newsroom, 10)
    worker.ready()
    at = schedule(stories, newsroom)
    ids = [s.id for s in stories]
    wait_live(ids)
    assert max(assert_live_once(ids, at)) <= ON_TIME


def test_worker_killed_between_claim_and_commit_publishes_each_update_once(
    newsroom,  # noqa: F811
    make,
    celery_procs,
    broker,
    tmp_path: Path,
):
    """TRUST 32: killed after the claim, before the commit: the claim rolls back and the
    restarted worker's sweep publishes each update once."""
    marker = tmp_path / "claimed"
    paused = celery_procs.worker(
        app="tests.integration.celery_faults.celery_app",
        env={"EDITORIAL_FAULT": "pause", "EDITORIAL_FAULT_MARKER": str(marker)},
        wait=False,
    )
    stories = approved_updates(make, newsroom, 2)
    paused.ready()
    at = schedule(stories, newsroom)
    ids = [s.id for s in stories]
    # The worker hangs holding the chunk it claimed (text-only updates go live together).
    wait_until(lambda: marker.exists() and marker.read_text().strip(), 15, "a claim")
    paused.kill()
    assert NEW not in bodies(ids).values()
    celery_procs.worker(beat=True)
    restarted = utcnow()
    wait_live(ids)
    assert_live_once(ids, at, not_before=restarted)


def test_worker_killed_holding_eta_tasks_the_sweep_publishes_each_update_once(
    newsroom,  # noqa: F811
    make,
    celery_procs,
    broker,
):
    """SIGKILL loses the worker's in-memory ETA tasks: after a restart the sweep publishes."""
    first = celery_procs.worker(wait=False)
    stories = approved_updates(make, newsroom, 5)
    first.ready()
    at = schedule(stories, newsroom, utcnow() + timedelta(seconds=5))
    wait_until(
        lambda: worker_holds_every_publish_task(broker, UPDATE_TASK),
        10,
        "the worker to hold the wake-ups",
    )
    first.kill()
    ids = [s.id for s in stories]
    assert NEW not in bodies(ids).values()
    celery_procs.worker(beat=True)
    restarted = utcnow()
    wait_live(ids)
    assert_live_once(ids, at, not_before=restarted)


def test_redis_emptied_after_scheduling_the_sweep_publishes_on_time(
    newsroom,  # noqa: F811
    make,
    celery_procs,
    broker,
):
    """TRUST 3 for updates: the ETA messages are gone with the broker's data."""
    stories = approved_updates(make, newsroom, 5)
    at = schedule(stories, newsroom, utcnow() + timedelta(seconds=5))
    ids = [s.id for s in stories]
    assert queued(broker) >= 1  # the wake-ups wait in Redis: no worker yet
    broker.wipe()  # what a Redis restart without persistence does
    assert queued(broker) == 0
    celery_procs.worker(beat=True)
    started = utcnow()
    wait_live(ids)
    assert_live_once(ids, at, not_before=started)


def test_two_schedulers_publish_each_update_once(newsroom, make, celery_procs, broker):  # noqa: F811
    """TRUST 5 for updates: two workers each with a beat, plus wake-ups delivered again."""
    workers = [celery_procs.worker(beat=True, wait=False) for _ in range(2)]
    stories = approved_updates(make, newsroom, 10)
    for worker in workers:
        worker.ready()
    at = schedule(stories, newsroom)
    for _ in range(10):  # as after a visibility timeout
        assert enqueue(Job.PUBLISH_UPDATES_DUE, kwargs={"at": at.isoformat()}, eta=at)
    ids = [s.id for s in stories]
    wait_live(ids)
    wait_until(lambda: queued(broker) == 0, 15, "the queue to drain")
    assert_live_once(ids, at)
