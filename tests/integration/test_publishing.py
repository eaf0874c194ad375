"""Scheduled publishing at the service level: once, on time, atomically (TRUST 1, 5-8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from editorial.extensions import db
from editorial.models import AuditEvent, Heartbeat, Notification, Story
from editorial.services import audit, publishing
from editorial.services.cache import site_generation
from editorial.services.publishing import publish_due_stories, sweep
from editorial.services.stories import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState

S = StoryState


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def published_events(*story_ids: int) -> int:
    return count(
        AuditEvent,
        AuditEvent.action == "story.published.scheduled",
        AuditEvent.story_id.in_(story_ids),
    )


@pytest.fixture
def desk(make):
    return make.desk("City")


@pytest.fixture
def reporter(make, desk):
    return make.reporter(desk)


@pytest.fixture
def editor(make, desk):
    return make.editor(desk)


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
    """Counts the public cache purges the publisher makes."""
    calls: list[int] = []
    real = publishing.purge_public_cache

    def counting() -> None:
        calls.append(1)
        real()

    monkeypatch.setattr(publishing, "purge_public_cache", counting)
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
    any_app: Flask, make, desk, reporter, editor, monkeypatch
) -> None:
    """TRUST 6: the third audit write fails; nothing is published, and a later run publishes."""
    stories = schedule(make, reporter, desk, editor, 5)
    ids = [s.id for s in stories]
    generation, notifications = site_generation(), count(Notification)
    real, calls = audit.record, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(audit, "record", failing)
    now = utcnow() + timedelta(hours=2)
    with pytest.raises(RuntimeError):
        publish_due_stories(now)
    db.session.expire_all()
    assert {s.state for s in stories} == {S.SCHEDULED}
    assert published_events(*ids) == 0
    assert count(Notification) == notifications and site_generation() == generation

    monkeypatch.setattr(audit, "record", real)
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


def test_sweep_falls_back_to_one_by_one(
    any_app: Flask, make, desk, reporter, editor, monkeypatch
) -> None:
    """One broken story must not hold back the others; its desk's editors hear once."""
    good = schedule(make, reporter, desk, editor, 3)
    bad = good.pop(1)
    other_editor = make.editor(desk)
    real = audit.record

    def failing(action, **kwargs):
        if action == "story.published.scheduled" and kwargs.get("story_id") == bad.id:
            raise RuntimeError("row is poisoned")
        return real(action, **kwargs)

    monkeypatch.setattr(audit, "record", failing)
    now = utcnow() + timedelta(hours=2)
    assert sorted(sweep(now)) == sorted(s.id for s in good)
    assert sweep(now + timedelta(minutes=1)) == []

    db.session.expire_all()
    assert bad.state == S.SCHEDULED
    assert bad.publish_failed_at is not None and "row is poisoned" in bad.publish_error
    failed = db.session.scalars(
        select(Notification.person_id).where(Notification.kind == "story.publish_failed")
    ).all()
    assert sorted(failed) == sorted([editor.id, other_editor.id])
    assert count(AuditEvent, AuditEvent.action == "story.publish_failed") == 1
    assert db.session.get(Heartbeat, publishing.SWEEP_HEARTBEAT) is not None

    # Fixed: the next sweep publishes it and clears the failure.
    monkeypatch.setattr(audit, "record", real)
    assert sweep(now + timedelta(minutes=2)) == [bad.id]
    assert bad.state == S.PUBLISHED and bad.publish_failed_at is None


def test_overdue_stories_lists_late_and_failed(any_app: Flask, make, desk, reporter, editor):
    story = make.story(reporter, desk, S.SCHEDULED, editor=editor)
    assert list(db.session.scalars(publishing.overdue_stories())) == []
    later = utcnow() + timedelta(hours=1, minutes=1)
    assert list(db.session.scalars(publishing.overdue_stories(later))) == [story]
