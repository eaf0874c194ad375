"""Scheduled unpublishing against real parts: a `celery worker` process, beat, Redis, PostgreSQL.

TRUST.md 32 (and 1-3, 5 for withdrawals): every story is withdrawn exactly once (one
`story.withdrawn.scheduled` audit event), on time, whatever happens to the worker or the broker
in between. Waits poll the database with a deadline; nothing sleeps blindly.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from editorial.jobs import Job, enqueue
from editorial.models import AuditEvent, Story
from editorial.services.unpublishing import set_unpublish
from editorial.timeutil import utcnow
from editorial.workflow import StoryState
from tests.integration.conftest import rows, wait_until
from tests.integration.test_celery_publishing import (  # noqa: F401  (newsroom: a fixture)
    ON_TIME,
    newsroom,
    queued,
    states,
)

pytestmark = [pytest.mark.services, pytest.mark.slow]

WITHDRAWN_EVENT = "story.withdrawn.scheduled"


def published(make, room, n: int) -> list[Story]:
    return [
        make.story(room.reporter, room.desk, StoryState.PUBLISHED, editor=room.editor)
        for _ in range(n)
    ]


def set_times(stories: list[Story], room, at: datetime | None = None) -> datetime:
    """Every story to be withdrawn at `at` (by default 2 s after the last is set)."""
    at = at or utcnow() + timedelta(seconds=2 + 0.4 * len(stories))
    for story in stories:
        set_unpublish(story, actor=room.editor, unpublish_at=at, note="Rights expire.")
    return at


def wait_withdrawn(ids: list[int], timeout: float = 60.0) -> None:
    def done() -> bool:
        return all(state == StoryState.WITHDRAWN for state in states(ids).values())

    wait_until(done, timeout, f"{len(ids)} stories to be withdrawn")


def assert_withdrawn_once(
    ids: list[int], at: datetime, *, not_before: datetime | None = None, late: float = ON_TIME
) -> list[float]:
    """Each story withdrawn with exactly one audit event, at most `late` s after its time (or
    after `not_before`, when no worker could run before then); returns the lags."""
    events: dict[int, list[dict]] = {i: [] for i in ids}
    for row in rows(
        select(AuditEvent.story_id, AuditEvent.data, AuditEvent.at).where(
            AuditEvent.action == WITHDRAWN_EVENT, AuditEvent.story_id.in_(ids)
        )
    ):
        events[row.story_id].append({**row.data, "committed": row.at})
    start = max(at, not_before or at)
    lags = []
    for story_id in ids:
        assert states([story_id])[story_id] == StoryState.WITHDRAWN, story_id
        assert len(events[story_id]) == 1, f"story {story_id}: {events[story_id]}"
        event = events[story_id][0]
        assert event["committed"] >= at
        assert (event["committed"] - start).total_seconds() <= late + 0.5, (story_id, event)
        lags.append(event["late_seconds"])
    return lags


def test_stories_are_withdrawn_on_time_once_each_by_eta_tasks(
    newsroom,  # noqa: F811
    make,
    celery_procs,
    broker,
):
    """The ETA fast path alone (no beat here): 20 withdrawals, each once, within 2 s."""
    worker = celery_procs.worker(wait=False)
    stories = published(make, newsroom, 20)
    worker.ready()
    at = set_times(stories, newsroom)
    ids = [s.id for s in stories]
    wait_withdrawn(ids)
    assert max(assert_withdrawn_once(ids, at)) <= ON_TIME


def test_worker_killed_between_claim_and_commit_withdraws_once(
    newsroom,  # noqa: F811
    make,
    celery_procs,
    broker,
    tmp_path: Path,
):
    """TRUST 32: killed after the claiming UPDATE, before the commit: the claim rolls back and
    the restarted worker's sweep withdraws each story once."""
    marker = tmp_path / "claimed"
    paused = celery_procs.worker(
        app="tests.integration.celery_faults.celery_app",
        env={"EDITORIAL_FAULT": "pause", "EDITORIAL_FAULT_MARKER": str(marker)},
        wait=False,
    )
    stories = published(make, newsroom, 3)
    paused.ready()
    at = set_times(stories, newsroom)
    ids = [s.id for s in stories]

    def claimed() -> list[int]:
        lines = marker.read_text().split() if marker.exists() else []
        return sorted(int(i) for line in lines for i in line.split(","))

    wait_until(lambda: claimed() == sorted(ids), 15, "the worker to claim every story")
    paused.kill()
    assert all(state == StoryState.PUBLISHED for state in states(ids).values())
    celery_procs.worker(beat=True)
    restarted = utcnow()
    wait_withdrawn(ids)
    assert_withdrawn_once(ids, at, not_before=restarted)


def test_redis_emptied_after_setting_the_time_the_sweep_withdraws_on_time(
    newsroom,  # noqa: F811
    make,
    celery_procs,
    broker,
):
    """TRUST 3 for withdrawals: the ETA messages are gone with the broker's data."""
    stories = published(make, newsroom, 10)
    at = set_times(stories, newsroom, utcnow() + timedelta(seconds=5))
    ids = [s.id for s in stories]
    assert queued(broker) >= 1  # the wake-ups wait in Redis: no worker yet
    broker.wipe()  # what a Redis restart without persistence does
    assert queued(broker) == 0
    celery_procs.worker(beat=True)
    started = utcnow()
    wait_withdrawn(ids)
    assert_withdrawn_once(ids, at, not_before=started)


def test_two_schedulers_withdraw_each_story_once(
    newsroom,  # noqa: F811
    make,
    celery_procs,
    broker,
):
    """TRUST 5 for withdrawals: two workers each with a beat, plus wake-ups delivered again."""
    workers = [celery_procs.worker(beat=True, wait=False) for _ in range(2)]
    stories = published(make, newsroom, 20)
    for worker in workers:
        worker.ready()
    at = set_times(stories, newsroom)
    for _ in range(10):  # as after a visibility timeout
        assert enqueue(Job.UNPUBLISH_DUE, kwargs={"at": at.isoformat()}, eta=at)
    ids = [s.id for s in stories]
    wait_withdrawn(ids)
    wait_until(lambda: queued(broker) == 0, 15, "the queue to drain")
    assert_withdrawn_once(ids, at)
