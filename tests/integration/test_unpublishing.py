"""Scheduled unpublish at the service level: withdrawn once, on time, with its note; cancelled
and moved times never withdraw; failures flagged once (TRUST 32, PRODUCT "Scheduled unpublish")."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from editorial.extensions import db
from editorial.models import AuditEvent, MetricCounter, Notification, Placement, Story
from editorial.services import unpublishing
from editorial.services.cache import site_generation
from editorial.services.errors import ValidationFailed
from editorial.services.stories import set_placement
from editorial.services.transitions import transition_story
from editorial.services.unpublishing import (
    cancel_unpublish,
    set_unpublish,
    unpublish_due,
    unpublish_due_stories,
)
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState, TransitionNotAllowed, WrongState
from tests.dbfaults import Refusal
from tests.integration.deskkit import count
from tests.integration.test_concurrency import act_on, race

S = StoryState
WITHDRAWN_EVENT = "story.withdrawn.scheduled"


def withdrawn_events(*story_ids: int) -> int:
    return count(
        AuditEvent, AuditEvent.action == WITHDRAWN_EVENT, AuditEvent.story_id.in_(story_ids)
    )


def published(make, reporter, desk, editor, n: int, minutes: int = 60) -> list[Story]:
    """`n` published stories, each set to be withdrawn `minutes` from now."""
    stories = [make.story(reporter, desk, S.PUBLISHED, editor=editor) for _ in range(n)]
    at = utcnow() + timedelta(minutes=minutes)
    for story in stories:
        set_unpublish(story, actor=editor, unpublish_at=at, note="Court order: take it down.")
    return stories


def after(minutes: float = 60, seconds: float = 30):
    return utcnow() + timedelta(minutes=minutes, seconds=seconds)


def test_withdraws_each_due_story_once_with_its_note(
    any_app: Flask, make, desk, reporter, editor
) -> None:
    due = published(make, reporter, desk, editor, 3)
    later = published(make, reporter, desk, editor, 1, minutes=180)[0]
    set_placement(due[0], Placement.TOP, actor=editor)
    generation = site_generation()

    assert sorted(unpublish_due_stories(after())) == sorted(s.id for s in due)
    assert unpublish_due_stories(after()) == []  # a second run (a task delivered twice)

    assert site_generation() != generation  # the page cache is purged
    for story in due:
        db.session.refresh(story)
        assert story.state == S.WITHDRAWN and story.placement == Placement.NONE
        event = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.story_id == story.id, AuditEvent.action == WITHDRAWN_EVENT
            )
        ).one()
        assert event.actor_id is None and event.note == "Court order: take it down."
        assert (event.from_state, event.to_state) == (S.PUBLISHED, S.WITHDRAWN)
        assert 29 < event.data["late_seconds"] < 60
        told = db.session.scalars(
            select(Notification).where(
                Notification.story_id == story.id,
                Notification.kind == "story.unpublish_scheduled",
            )
        ).all()
        assert [n.person_id for n in told] == [reporter.id]
        assert told[0].message == "The scheduler: Court order: take it down."
    db.session.refresh(later)
    assert later.state == S.PUBLISHED
    lag = db.session.get(MetricCounter, ("publish_lag_count", "unpublish"))
    assert lag is not None and lag.value == 3


def test_setting_it_audits_and_leaves_the_version(
    any_app: Flask, make, desk, reporter, editor
) -> None:
    story = make.story(reporter, desk, S.PUBLISHED, editor=editor)
    version = story.version
    at = after(90, 0)
    set_unpublish(story, actor=editor, unpublish_at=at, note="  Rights expire.  ")
    db.session.refresh(story)
    assert story.unpublish_at == at and story.unpublish_note == "Rights expire."
    assert story.version == version  # an editor mid-edit is not made to reload
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "story.unpublish.set")
    ).one()
    assert event.actor_id == editor.id and event.data == {"unpublish_at": at.isoformat()}


def test_cancel_and_move_never_withdraw_at_the_old_time(
    any_app: Flask, make, desk, reporter, editor
) -> None:
    """TRUST 7 for withdrawals: a cancelled or moved time never withdraws."""
    cancelled, moved = published(make, reporter, desk, editor, 2)
    cancel_unpublish(cancelled, actor=editor)
    set_unpublish(moved, actor=editor, unpublish_at=after(180, 0), note="Later, after all.")
    assert unpublish_due_stories(after()) == []
    db.session.refresh(cancelled)
    assert cancelled.unpublish_at is None and cancelled.unpublish_note == ""
    assert count(AuditEvent, AuditEvent.action == "story.unpublish.cancelled") == 1
    assert unpublish_due_stories(after(180)) == [moved.id]
    with pytest.raises(WrongState, match="no unpublish time"):
        cancel_unpublish(cancelled, actor=editor)


def test_a_scheduled_story_is_published_then_withdrawn(
    any_app: Flask, make, desk, reporter, editor
) -> None:
    from editorial.services.publishing import publish_due_stories

    story = make.story(reporter, desk, S.SCHEDULED, editor=editor)  # publishes in an hour
    set_unpublish(story, actor=editor, unpublish_at=after(120, 0), note="Embargoed elsewhere.")
    assert unpublish_due_stories(after(121)) == []  # not public yet: nothing to withdraw
    assert publish_due_stories(after()) == [story.id]
    assert unpublish_due_stories(after(121)) == [story.id]
    db.session.refresh(story)
    assert story.state == S.WITHDRAWN


@pytest.mark.parametrize("action", [Action.UNSCHEDULE, Action.WITHDRAW])
def test_leaving_the_schedule_or_withdrawing_drops_the_unpublish(
    any_app: Flask, make, desk, reporter, editor, action
) -> None:
    state = S.SCHEDULED if action is Action.UNSCHEDULE else S.PUBLISHED
    story = make.story(reporter, desk, state, editor=editor)
    set_unpublish(story, actor=editor, unpublish_at=after(120, 0), note="Take it down.")
    transition_story(story, action, actor=editor, note="By hand.")
    db.session.refresh(story)
    assert story.unpublish_at is None and story.unpublish_note == ""


def test_republishing_starts_without_the_old_unpublish(
    any_app: Flask, make, desk, reporter, editor
) -> None:
    (story,) = published(make, reporter, desk, editor, 1)
    assert unpublish_due_stories(after()) == [story.id]
    db.session.refresh(story)
    assert story.unpublish_note == "Court order: take it down."  # kept as its record
    transition_story(story, Action.REPUBLISH, actor=editor)
    db.session.refresh(story)
    assert story.state == S.PUBLISHED and story.unpublish_at is None
    assert unpublish_due_stories(after(600)) == []


def test_a_reschedule_after_the_unpublish_time_is_refused(
    any_app: Flask, make, desk, reporter, editor
) -> None:
    story = make.story(reporter, desk, S.SCHEDULED, editor=editor)
    set_unpublish(story, actor=editor, unpublish_at=after(120, 0), note="Take it down.")
    with pytest.raises(ValidationFailed, match="not before the story's unpublish time"):
        transition_story(story, Action.SCHEDULE, actor=editor, publish_at=after(150, 0))


def test_only_the_desk_editors_may_set_it(any_app: Flask, make, desk, reporter, editor) -> None:
    story = make.story(reporter, desk, S.PUBLISHED, editor=editor)
    for outsider in (reporter, make.editor(make.desk())):
        with pytest.raises(TransitionNotAllowed):
            set_unpublish(story, actor=outsider, unpublish_at=after(), note="Mine.")


@pytest.fixture
def poison(refuse) -> Callable[[int], Refusal]:
    """A real failure: a trigger that refuses to let one story become withdrawn."""

    def apply(story_id: int) -> Refusal:
        condition = f"NEW.id = {story_id} AND NEW.state = 'withdrawn'"
        return refuse("stories", "UPDATE", condition, message="row is poisoned")

    return apply


def test_a_failing_story_is_flagged_once_and_the_others_withdrawn(
    any_app: Flask, make, desk, reporter, editor, caplog, poison
) -> None:
    caplog.set_level(logging.INFO, logger="editorial")
    good = published(make, reporter, desk, editor, 3)
    bad = good.pop(1)
    fault = poison(bad.id)
    assert sorted(unpublish_due(after())) == sorted(s.id for s in good)
    assert unpublish_due(after(61)) == []  # flagged: not tried again, nor reported again
    db.session.expire_all()
    assert bad.state == S.PUBLISHED and bad.unpublish_failed_at is not None
    assert "row is poisoned" in bad.unpublish_error
    assert count(AuditEvent, AuditEvent.action == "story.unpublish_failed") == 1
    told = db.session.scalars(
        select(Notification).where(Notification.kind == "story.unpublish_failed")
    ).all()
    assert [n.person_id for n in told] == [editor.id]
    assert told[0].subject.startswith("Scheduled unpublish FAILED")
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [f"unpublishing story {bad.id} failed; it waits for an editor"]
    assert [s.id for s in db.session.scalars(unpublishing.overdue_unpublishes(after()))] == [bad.id]
    # Setting the time again clears the failure; with the fault gone it is withdrawn.
    fault.remove(db.session)
    set_unpublish(bad, actor=editor, unpublish_at=after(0, 5), note="Again.")
    assert unpublish_due(after(1)) == [bad.id]


def test_overdue_unpublishes_lists_late_ones_only(
    any_app: Flask, make, desk, reporter, editor
) -> None:
    (story,) = published(make, reporter, desk, editor, 1)
    assert list(db.session.scalars(unpublishing.overdue_unpublishes(after(0)))) == []
    late = list(db.session.scalars(unpublishing.overdue_unpublishes(after(61))))
    assert late == [story]


# --- races on PostgreSQL (row locks, re-checked conditional UPDATEs) ---------------------------
@pytest.mark.services
def test_two_schedulers_withdraw_each_due_story_once(
    pg_app: Flask, make, desk, reporter, editor
) -> None:
    """TRUST 5 for withdrawals: three runners at once over 30 due stories (chunks of 100 and
    of one, as the one-by-one fallback would take them)."""
    ids = [s.id for s in published(make, reporter, desk, editor, 30)]
    now = after()

    def runner() -> Callable[[], object]:
        return lambda: unpublish_due_stories(now)

    def single(story_id: int) -> Callable[[], Callable[[], object]]:
        return lambda: lambda: unpublish_due_stories(now, only_id=story_id)

    results = race(pg_app, [runner, runner, runner, single(ids[0]), single(ids[-1])])
    assert all(isinstance(r, list) for r in results), results
    assert sorted(i for r in results for i in r) == sorted(ids)  # each once
    assert withdrawn_events(*ids) == len(ids)
    assert set(db.session.scalars(select(Story.state).where(Story.id.in_(ids)))) == {S.WITHDRAWN}


@pytest.mark.services
def test_cancel_against_the_due_unpublish(pg_app: Flask, make, desk, reporter, editor) -> None:
    """Exactly one wins: withdrawn (and the cancel refused with the reason) or kept up."""
    (story,) = published(make, reporter, desk, editor, 1)
    story_id, editor_id = story.id, editor.id
    now = after()

    def cancel() -> Callable[[], object]:
        from editorial.models import Person
        from editorial.models.loading import actor_of, facts_of

        mine, person = db.session.get(Story, story_id), db.session.get(Person, editor_id)
        facts_of(mine), actor_of(person)
        return lambda: cancel_unpublish(mine, actor=person) and "cancelled"

    def scheduler() -> Callable[[], object]:
        return lambda: unpublish_due_stories(now)

    results = race(pg_app, [cancel, scheduler])
    db.session.refresh(story)
    if results[0] == "cancelled":
        assert results[1] == [] and story.state == S.PUBLISHED
        assert withdrawn_events(story_id) == 0
    else:
        assert results == ["WrongState", [story_id]] and story.state == S.WITHDRAWN
        assert withdrawn_events(story_id) == 1


@pytest.mark.services
def test_withdraw_and_edit_against_the_due_unpublish(
    pg_app: Flask, make, desk, reporter, editor
) -> None:
    """A manual Withdraw and the scheduler's: one withdrawal, one audit event in all."""
    (story,) = published(make, reporter, desk, editor, 1)
    now = after()

    def scheduler() -> Callable[[], object]:
        return lambda: unpublish_due_stories(now)

    results = race(pg_app, [act_on(story.id, editor.id, Action.WITHDRAW, version=True), scheduler])
    db.session.refresh(story)
    assert story.state == S.WITHDRAWN
    manual = count(AuditEvent, AuditEvent.action == "story.withdrawn")
    assert manual + withdrawn_events(story.id) == 1, results
    assert (results[0] == "ok") == (results[1] == [])


@pytest.mark.services
def test_publish_now_against_the_unpublish_of_a_scheduled_story(
    pg_app: Flask, make, desk, reporter, editor
) -> None:
    """Publish now and the scheduler's withdrawal, the unpublish time already come: the story is
    published once and then withdrawn once, never left public past its time."""
    story = make.story(reporter, desk, S.SCHEDULED, editor=editor)
    set_unpublish(story, actor=editor, unpublish_at=after(120, 0), note="Down.")
    now = after(121)
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run_scheduler() -> None:
        with pg_app.app_context():
            barrier.wait(timeout=30)
            results[1] = unpublish_due_stories(now)
            db.session.remove()

    thread = threading.Thread(target=run_scheduler)
    thread.start()
    barrier.wait(timeout=30)
    transition_story(story, Action.PUBLISH, actor=editor)
    thread.join(timeout=60)
    withdrawn = results[1] or unpublish_due_stories(now)  # the next sweep, if it ran first
    assert withdrawn == [story.id]
    db.session.refresh(story)
    assert story.state == S.WITHDRAWN and withdrawn_events(story.id) == 1
