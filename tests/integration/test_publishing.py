"""Scheduled publishing at the service level: once, on time, atomically (TRUST 1, 5-8)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import DatabaseError

from editorial.extensions import db
from editorial.models import AuditEvent, Heartbeat, Notification, Story
from editorial.services import publishing
from editorial.services.cache import site_generation
from editorial.services.publishing import publish_due_stories, sweep
from editorial.services.transitions import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests.dbfaults import Refusal
from tests.integration.deskkit import count

S = StoryState


def published_events(*story_ids: int) -> int:
    return count(
        AuditEvent,
        AuditEvent.action == "story.published.scheduled",
        AuditEvent.story_id.in_(story_ids),
    )


def schedule(make, reporter, desk, editor, n: int, minutes: int = 60) -> list[Story]:
    """`n` stories scheduled `minutes` ahead (Factory schedules one hour ahead)."""
    stories = [make.story(reporter, desk, S.SCHEDULED, editor=editor) for _ in range(n)]
    if minutes != 60:
        for story in stories:
            transition_story(
                story,
                Action.SCHEDULE,
                actor=editor,
                publish_at=utcnow() + timedelta(minutes=minutes),
            )
    return stories


@pytest.fixture
def purges(monkeypatch) -> list[int]:
    """Counts the public cache refreshes the publisher makes (one per chunk published)."""
    calls: list[int] = []
    real = publishing.refresh_stories

    def counting(story_ids, **kwargs) -> None:
        calls.append(1)
        real(story_ids, **kwargs)

    monkeypatch.setattr(publishing, "refresh_stories", counting)
    return calls


def test_publishes_each_due_story_once(
    any_app: Flask, make, desk, reporter, editor, purges
) -> None:
    due = schedule(make, reporter, desk, editor, 3)
    later = make.story(reporter, desk, S.SCHEDULED, editor=editor)
    transition_story(later, Action.SCHEDULE, actor=editor, publish_at=utcnow() + timedelta(hours=3))
    generation = site_generation()
    now = utcnow() + timedelta(hours=1, seconds=30)

    published = publish_due_stories(now)

    assert sorted(published) == sorted(s.id for s in due)
    assert len(purges) == 1 and site_generation() != generation
    for story in due:
        assert story.state == S.PUBLISHED
        assert story.published_at == now and story.first_published_at == now
        event = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.story_id == story.id, AuditEvent.action == "story.published.scheduled"
            )
        ).one()
        assert event.actor_id is None and (event.from_state, event.to_state) == (
            S.SCHEDULED,
            S.PUBLISHED,
        )
        assert 29 < event.data["late_seconds"] < 60
        told = db.session.scalars(
            select(Notification.person_id).where(
                Notification.story_id == story.id, Notification.kind == "story.publish_scheduled"
            )
        ).all()
        assert told == [reporter.id]
    assert later.state == S.SCHEDULED


def test_running_twice_is_a_no_op(any_app: Flask, make, desk, reporter, editor, purges) -> None:
    """TRUST 1: a task delivered twice publishes once, one event, one purge, one e-mail."""
    stories = schedule(make, reporter, desk, editor, 2)
    now = utcnow() + timedelta(hours=2)
    assert len(publish_due_stories(now)) == 2
    notifications, generation = count(Notification), site_generation()
    assert publish_due_stories(now) == []
    assert publish_due_stories(now + timedelta(minutes=1)) == []
    assert published_events(*(s.id for s in stories)) == 2
    assert count(Notification) == notifications
    assert len(purges) == 1 and site_generation() == generation


def test_embargo_holds_a_due_story(any_app: Flask, make, desk, reporter, editor) -> None:
    story = make.story(
        reporter, desk, S.APPROVED, editor=editor, embargo_at=utcnow() + timedelta(hours=2)
    )
    transition_story(story, Action.SCHEDULE, actor=editor, publish_at=utcnow() + timedelta(hours=2))
    assert publish_due_stories(utcnow() + timedelta(hours=1, minutes=59)) == []
    assert publish_due_stories(utcnow() + timedelta(hours=2, seconds=1)) == [story.id]


def test_database_error_mid_batch_rolls_back_fully(
    any_app: Flask, make, desk, reporter, editor, refuse
) -> None:
    """TRUST 6: the database refuses the third story's audit event (a trigger); nothing is
    published, and once the fault is gone a later run publishes."""
    stories = schedule(make, reporter, desk, editor, 5)
    ids = [s.id for s in stories]
    generation, notifications = site_generation(), count(Notification)
    fault = refuse(
        "audit_events",
        "INSERT",
        f"NEW.story_id = {ids[2]} AND NEW.action = 'story.published.scheduled'",
    )
    now = utcnow() + timedelta(hours=2)
    with pytest.raises(DatabaseError, match="refused by the test"):
        publish_due_stories(now)
    db.session.expire_all()
    assert {s.state for s in stories} == {S.SCHEDULED}
    assert published_events(*ids) == 0
    assert count(Notification) == notifications and site_generation() == generation

    fault.remove(db.session)
    assert sorted(publish_due_stories(now)) == sorted(ids)
    assert published_events(*ids) == 5


def test_unschedule_before_the_time_never_publishes(
    any_app: Flask, make, desk, reporter, editor
) -> None:
    """TRUST 7: the old time is dead after unschedule or reschedule."""
    gone, moved = schedule(make, reporter, desk, editor, 2, minutes=10)
    old_time = moved.publish_at
    transition_story(gone, Action.UNSCHEDULE, actor=editor)
    new_time = utcnow() + timedelta(hours=3)
    transition_story(moved, Action.SCHEDULE, actor=editor, publish_at=new_time)

    assert publish_due_stories(old_time + timedelta(seconds=1)) == []
    assert (gone.state, moved.state) == (S.APPROVED, S.SCHEDULED)
    assert gone.publish_at is None
    assert publish_due_stories(new_time) == [moved.id]
    assert gone.state == S.APPROVED


def test_only_id_publishes_that_story(any_app: Flask, make, desk, reporter, editor) -> None:
    first, second = schedule(make, reporter, desk, editor, 2)
    now = utcnow() + timedelta(hours=2)
    assert publish_due_stories(now, only_id=second.id) == [second.id]
    assert first.state == S.SCHEDULED


def test_publish_now_of_a_scheduled_story_wins_over_the_scheduler(
    any_app: Flask, make, desk, reporter, editor
) -> None:
    story = make.story(reporter, desk, S.SCHEDULED, editor=editor)
    transition_story(story, Action.PUBLISH, actor=editor)
    assert publish_due_stories(utcnow() + timedelta(hours=2)) == []
    assert published_events(story.id) == 0


@pytest.fixture
def poison(refuse) -> Callable[[int], Refusal]:
    """A real failure: a trigger that refuses to let one story become published."""

    def apply(story_id: int) -> Refusal:
        condition = f"NEW.id = {story_id} AND NEW.state = 'published'"
        return refuse("stories", "UPDATE", condition, message="row is poisoned")

    return apply


def errors_logged(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_failed_story_leaves_the_claim_until_an_editor_acts(
    any_app: Flask, make, desk, reporter, editor, caplog, poison
) -> None:
    """One story whose publish fails (a trigger refuses it) is flagged once, its editors told
    once, one error logged; later sweeps publish the others in one batch without touching it."""
    caplog.set_level(logging.INFO, logger="editorial")
    good = schedule(make, reporter, desk, editor, 3)
    bad = good.pop(1)
    other_editor = make.editor(desk)
    fault = poison(bad.id)
    now = utcnow() + timedelta(hours=2)
    assert sorted(sweep(now)) == sorted(s.id for s in good)

    later = schedule(make, reporter, desk, editor, 2, minutes=30)  # due in the next sweeps
    for minutes in (1, 2, 3):
        caplog.clear()
        published = sweep(now + timedelta(minutes=minutes))
        assert "batch publish failed" not in caplog.text  # the bad one no longer in the claim
        if minutes == 1:
            assert sorted(published) == sorted(s.id for s in later)
        else:
            assert published == []
    db.session.expire_all()
    assert bad.state == S.SCHEDULED
    assert bad.publish_failed_at is not None and "row is poisoned" in bad.publish_error
    failed = db.session.scalars(
        select(Notification.person_id).where(Notification.kind == "story.publish_failed")
    ).all()
    assert sorted(failed) == sorted([editor.id, other_editor.id])
    assert count(AuditEvent, AuditEvent.action == "story.publish_failed") == 1
    assert db.session.get(Heartbeat, publishing.SWEEP_HEARTBEAT) is not None
    assert [s.id for s in db.session.scalars(publishing.overdue_stories())] == [bad.id]

    # Fixed and rescheduled by an editor: the failure is cleared and it publishes.
    fault.remove(db.session)
    transition_story(bad, Action.SCHEDULE, actor=editor, publish_at=utcnow() + timedelta(minutes=5))
    assert bad.publish_failed_at is None
    assert sweep(now + timedelta(minutes=4)) == [bad.id]
    assert bad.state == S.PUBLISHED


def test_first_failure_logs_one_error(
    any_app: Flask, make, desk, reporter, editor, caplog, poison
) -> None:
    caplog.set_level(logging.INFO, logger="editorial")
    (bad,) = schedule(make, reporter, desk, editor, 1)
    poison(bad.id)
    for minutes in (120, 121, 122):
        sweep(utcnow() + timedelta(minutes=minutes))
    assert [r.getMessage() for r in errors_logged(caplog)] == [
        f"publishing story {bad.id} failed; it waits for an editor"
    ]


@pytest.mark.parametrize("action", [Action.UNSCHEDULE, Action.PUBLISH])
def test_unschedule_or_publish_clears_the_failure(
    any_app: Flask, make, desk, reporter, editor, action, poison
) -> None:
    (bad,) = schedule(make, reporter, desk, editor, 1)
    fault = poison(bad.id)
    assert sweep(utcnow() + timedelta(hours=2)) == []
    db.session.expire_all()
    assert bad.publish_failed_at is not None
    fault.remove(db.session)
    transition_story(bad, action, actor=editor)
    db.session.expire_all()
    assert bad.publish_failed_at is None and bad.publish_error == ""


@pytest.mark.services
def test_two_schedulers_failing_on_one_story_tell_the_desk_once(
    pg_app: Flask, make, desk, reporter, editor, caplog, poison
) -> None:
    """Two sweeps at once on PostgreSQL both meet the poisoned story: one flag, one audit
    event, one notification per editor, one error in the log; every other story published."""
    caplog.set_level(logging.INFO, logger="editorial")
    good = schedule(make, reporter, desk, editor, 6)
    bad = good.pop(2)
    poison(bad.id)
    db.session.commit()
    now = utcnow() + timedelta(hours=2)
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(i: int) -> None:
        with pg_app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = sweep(now)
            except Exception as error:  # reported by the assertion below
                results[i] = repr(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(r, list) for r in results), results
    assert sorted(results[0] + results[1]) == sorted(s.id for s in good)
    db.session.expire_all()
    assert count(AuditEvent, AuditEvent.action == "story.publish_failed") == 1
    assert count(Notification, Notification.kind == "story.publish_failed") == 1
    assert published_events(*(s.id for s in good)) == len(good)
    assert len(errors_logged(caplog)) == 1


def test_overdue_stories_lists_late_and_failed(any_app: Flask, make, desk, reporter, editor):
    story = make.story(reporter, desk, S.SCHEDULED, editor=editor)
    assert list(db.session.scalars(publishing.overdue_stories())) == []
    later = utcnow() + timedelta(hours=1, minutes=1)
    assert list(db.session.scalars(publishing.overdue_stories(later))) == [story]
