"""Schedule update (issue 12), through the real services on SQLite and PostgreSQL: an approved
update goes live once at its time, with its notice; bad times are refused with the update
kept; one that cannot go live is flagged for the desk, never published over a correction."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from editorial.extensions import db
from editorial.models import AuditEvent, Correction, Notification, Revision, Story, StoryUpdate
from editorial.models.loading import load_missing
from editorial.rendering import render_body, word_count
from editorial.services import scheduled_updates
from editorial.services.errors import ValidationFailed
from editorial.services.revisions import CorrectionInput
from editorial.services.scheduled_updates import (
    overdue_updates,
    publish_due_updates,
    schedule_update,
)
from editorial.services.stories import save_story
from editorial.services.transitions import transition_story
from editorial.services.unpublishing import set_unpublish
from editorial.services.updates import (
    LiveCopyChanged,
    pending_update,
    publish_update,
    rebase_update,
    save_update,
    transition_update,
    update_input,
)
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState, TransitionNotAllowed, UpdateState, WrongState
from tests.integration.test_concurrency import race
from tests.integration.test_updates import approved, live, room, typed
from tests.metricskit import scrape, value

__all__ = ["room"]  # the fixture, shared with the tests of unscheduled updates

A = Action
NEW = "First.\n\nSecond, with the minister's reply.\n\nThird."


def later(seconds: float = 120) -> datetime:
    return utcnow() + timedelta(seconds=seconds)


def scheduled(room: dict, at: datetime, notice: CorrectionInput | None = None) -> StoryUpdate:
    approved(room, NEW)
    schedule_update(room["story"], actor=room["editor"], publish_at=at, notice=notice)
    pending = pending_update(room["story"].id)
    assert pending is not None
    return pending


def events(story: Story, action: str) -> list[dict]:
    return list(
        db.session.scalars(
            select(AuditEvent.data).where(
                AuditEvent.story_id == story.id, AuditEvent.action == action
            )
        )
    )


def test_a_scheduled_update_goes_live_once_at_its_time_with_its_notice(room: dict) -> None:
    story, at = room["story"], later()
    notice = CorrectionInput("Updated with the minister's reply.", is_correction=False)
    pending = scheduled(room, at, notice)
    assert pending.state == UpdateState.SCHEDULED and pending.publish_at == at

    assert publish_due_updates(at - timedelta(seconds=1)) == []  # not yet
    assert live(story).body == "First.\n\nSecond.\n\nThird."  # readers keep the live copy

    assert publish_due_updates(at + timedelta(seconds=1)) == [story.id]
    assert publish_due_updates(at + timedelta(seconds=2)) == []  # once
    after = live(story)
    assert after.body == NEW and pending_update(story.id) is None
    [correction] = db.session.scalars(select(Correction).where(Correction.story_id == story.id))
    assert correction.note == notice.note and correction.is_correction is False
    [event] = events(story, "story.update.published.scheduled")
    assert event["publish_at"] == at.isoformat() and event["late_seconds"] >= 0
    assert events(story, "story.update.scheduled")[0]["publish_at"] == at.isoformat()


def test_scheduling_refuses_bad_times_and_keeps_the_update(room: dict) -> None:
    story, editor = room["story"], room["editor"]
    approved(room, NEW)
    for at, words in (
        (None, "Enter the date and time"),
        (utcnow() - timedelta(minutes=5), "has already passed"),
        (utcnow() + timedelta(days=400), "more than a year ahead"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            schedule_update(story, actor=editor, publish_at=at)
        assert words in refused.value.errors["publish_at"]
    set_unpublish(story, actor=editor, unpublish_at=later(600), note="Rights expire.")
    with pytest.raises(ValidationFailed) as refused:
        schedule_update(story, actor=editor, publish_at=later(900))
    assert "not before the story's unpublish time" in refused.value.errors["publish_at"]
    pending = pending_update(story.id)
    assert pending is not None and pending.state == UpdateState.APPROVED and pending.body == NEW


def test_an_unpublish_time_before_a_scheduled_update_is_refused(room: dict) -> None:
    story, editor = room["story"], room["editor"]
    scheduled(room, later(600))
    with pytest.raises(ValidationFailed) as refused:
        set_unpublish(story, actor=editor, unpublish_at=later(300), note="Rights expire.")
    assert "not after the story's scheduled update" in refused.value.errors["unpublish_at"]
    assert live(story).unpublish_at is None


def test_only_an_approved_update_is_scheduled_and_only_by_the_desk(room: dict) -> None:
    story = room["story"]
    with pytest.raises(WrongState, match="no pending update"):
        schedule_update(story, actor=room["editor"], publish_at=later())
    approved(room, NEW)
    with pytest.raises(TransitionNotAllowed):
        schedule_update(story, actor=room["reporter"], publish_at=later())
    transition_update(story, A.REQUEST_UPDATE_CHANGES, actor=room["editor"], note="Source?")
    with pytest.raises(WrongState, match="changes requested"):
        schedule_update(story, actor=room["editor"], publish_at=later())


def test_unscheduling_or_sending_back_takes_the_time_off(room: dict) -> None:
    story = room["story"]
    at = later()
    scheduled(room, at)
    transition_update(story, A.UNSCHEDULE_UPDATE, actor=room["editor"])
    pending = pending_update(story.id)
    assert pending.state == UpdateState.APPROVED and pending.publish_at is None
    schedule_update(story, actor=room["editor2"], publish_at=at)
    transition_update(story, A.REQUEST_UPDATE_CHANGES, actor=room["editor"], note="Check it.")
    pending = pending_update(story.id)
    assert pending.state == UpdateState.CHANGES_REQUESTED and pending.publish_at is None
    assert publish_due_updates(at + timedelta(seconds=1)) == []
    assert live(story).body != NEW


def test_rescheduling_moves_the_time_and_publish_now_still_works(room: dict) -> None:
    story, editor = room["story"], room["editor"]
    first = later(60)
    scheduled(room, first)
    schedule_update(story, actor=editor, publish_at=later(3600))
    assert publish_due_updates(first + timedelta(seconds=1)) == []  # the old time is harmless
    publish_update(story, actor=editor)
    assert live(story).body == NEW and pending_update(story.id) is None


def test_a_withdrawn_story_flags_its_due_update_for_the_desk_once(room: dict) -> None:
    story, at = room["story"], later()
    scheduled(room, at)
    transition_story(story, A.WITHDRAW, actor=room["editor"], note="Legal.")
    assert publish_due_updates(at + timedelta(seconds=1)) == []
    assert publish_due_updates(at + timedelta(seconds=2)) == []  # flagged once, not retried
    pending = pending_update(story.id)
    assert pending.publish_failed_at is not None and "withdrawn" in pending.publish_error
    assert live(story).state == StoryState.WITHDRAWN and live(story).body != NEW
    alerts = db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.story_id == story.id, Notification.kind == "story.update_failed")
    )
    assert alerts == 2  # both of the desk's editors, once
    assert len(events(story, "story.update.publish_failed")) == 1
    [(flagged, _)] = db.session.execute(overdue_updates(at)).all()
    assert flagged.story_id == story.id


def test_a_correction_after_scheduling_is_never_undone_by_the_update(room: dict) -> None:
    story, editor, at = room["story"], room["editor"], later()
    scheduled(room, at)
    fixed = "First, corrected.\n\nSecond.\n\nThird."
    save_story(
        story,
        typed(story, body=fixed),
        actor=editor,
        expected_version=story.version,
        correction=CorrectionInput("The first paragraph misnamed the minister."),
    )
    assert publish_due_updates(at + timedelta(seconds=1)) == []
    assert live(story).body == fixed
    pending = pending_update(story.id)
    assert pending.publish_failed_at is not None and "live copy changed" in pending.publish_error

    # Rebasing it takes the time off: the desk looks at the merged text and schedules again.
    story = live(story)
    resolved = update_input(story, pending)
    resolved.body = "First, corrected.\n\nSecond, with the minister's reply.\n\nThird."
    rebased = rebase_update(story, resolved, actor=editor, expected_version=pending.version)
    assert rebased.state == UpdateState.APPROVED and rebased.publish_at is None
    assert rebased.publish_failed_at is None


def test_scheduling_over_a_changed_live_copy_is_refused(room: dict) -> None:
    story, editor = room["story"], room["editor"]
    approved(room, NEW)
    save_story(
        story, typed(story, headline="Changed live"), actor=editor, expected_version=story.version
    )
    with pytest.raises(LiveCopyChanged):
        schedule_update(live(story), actor=editor, publish_at=later())
    assert pending_update(story.id).state == UpdateState.APPROVED


def test_the_upcoming_step_queues_updates_coming_within_range(room: dict, monkeypatch) -> None:
    queued: list[int] = []
    monkeypatch.setattr(
        scheduled_updates, "queue_update_publish", lambda story_id, at: queued.append(story_id)
    )
    scheduled(room, later(30))
    assert queued == [room["story"].id]  # at scheduling
    assert scheduled_updates.queue_upcoming() == 1 and queued == [room["story"].id] * 2


def test_two_schedulers_publish_a_due_update_once(any_app: Flask, room: dict) -> None:
    story, at = room["story"], later(1)
    scheduled(room, at)
    due = at + timedelta(seconds=1)
    results = race(any_app, [lambda: lambda: publish_due_updates(due) for _ in range(3)])
    assert sorted(map(str, results)) == sorted(["[]", "[]", f"[{story.id}]"]), results
    assert live(story).body == NEW
    assert len(events(story, "story.update.published.scheduled")) == 1


def test_the_scheduled_update_against_a_withdrawal(any_app: Flask, room: dict) -> None:
    story, at = room["story"], later(1)
    scheduled(room, at)
    due = at + timedelta(seconds=1)
    editor_id, story_id = room["editor2"].id, story.id

    def withdraw():
        from tests.integration.test_concurrency import act_on

        return act_on(story_id, editor_id, A.WITHDRAW)()

    results = race(any_app, [lambda: lambda: publish_due_updates(due), withdraw])
    assert results[1] == "ok", results  # a withdrawal is never refused for an update
    after = live(story)
    assert after.state == StoryState.WITHDRAWN
    pending = pending_update(story.id)
    if results[0] == [story.id]:  # went live first, then came down
        assert after.body == NEW and pending is None
    else:  # withdrawn first (or held by the withdrawal: skipped): flagged, the text kept
        assert publish_due_updates(due) == []
        pending = pending_update(story.id)
        assert after.body != NEW and pending is not None and pending.publish_failed_at


def test_metrics_count_late_and_failed_updates_and_their_lag(any_app: Flask, room: dict) -> None:
    story, at = room["story"], later()
    scheduled(room, at)
    assert value(scrape(any_app), "editorial_updates_overdue") == 0
    past = utcnow() - timedelta(minutes=5)
    db.session.execute(
        update(StoryUpdate).where(StoryUpdate.story_id == story.id).values(publish_at=past)
    )
    db.session.commit()
    assert value(scrape(any_app), "editorial_updates_overdue") == 1
    assert publish_due_updates() == [story.id]  # five minutes late: the sweep's
    samples = scrape(any_app)
    assert value(samples, "editorial_updates_overdue") == 0
    assert value(samples, "editorial_publish_lag_seconds_count", kind="update") == 1
    assert value(samples, "editorial_publish_lag_seconds_bucket", kind="update", le="60.0") == 0

    scheduled(room, later())  # another update, whose story is then withdrawn: it fails
    transition_story(story, A.WITHDRAW, actor=room["editor"], note="Legal.")
    publish_due_updates(later(600))
    assert value(scrape(any_app), "editorial_updates_publish_failed") == 1


def test_text_only_updates_go_live_in_a_chunk_and_the_rest_through_the_whole_save(
    room: dict, make
) -> None:
    """Two updates due at once: one changes only the text (the chunk writes it), the other its
    tags and slug (the whole save does): both go live with the same record of it."""
    story, editor, reporter = room["story"], room["editor"], room["reporter"]
    other = make.story(reporter, room["desk"], StoryState.PUBLISHED, editor=editor, body="Old.")
    at = later()
    scheduled(room, at)
    update_of_other = replace(typed(other, body="New."), tags=["Flood"], slug="renamed")
    save_update(other, update_of_other, actor=reporter, expected_version=0)
    transition_update(other, A.SUBMIT_UPDATE, actor=reporter)
    transition_update(other, A.APPROVE_UPDATE, actor=editor)
    schedule_update(other, actor=editor, publish_at=at)
    versions = {s.id: s.version for s in (live(story), live(other))}

    assert sorted(publish_due_updates(at + timedelta(seconds=1))) == sorted([story.id, other.id])
    first, second = live(story), live(other)
    assert first.body == NEW and "minister" in first.search_text
    assert second.body == "New." and second.slug == "renamed"
    load_missing(second, "tags")
    assert [tag.name for tag in second.tags] == ["Flood"]
    for done in (first, second):
        assert done.version == versions[done.id] + 1
        revision = db.session.scalars(
            select(Revision).where(Revision.story_id == done.id).order_by(Revision.number.desc())
        ).first()
        assert revision is not None and revision.body == done.body
        assert revision.story_version == done.version
        assert revision.summary == "Scheduled update published"
        [event] = events(done, "story.update.published.scheduled")
        assert event["revision"] == revision.number
    notified = db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.kind == "story.publish_update_scheduled")
    )
    assert notified >= 2  # the authors of each


def test_an_update_is_rendered_when_it_is_saved_and_goes_live_without_rendering(
    room: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Save update renders the body, the search words and the word count, as a story's save
    does; the scheduler then copies them (1,000 due at once render nothing)."""
    story = room["story"]
    pending = scheduled(room, later())
    assert pending.body_html == render_body(NEW)
    assert pending.word_count == word_count(NEW) and "minister" in (pending.search_text or "")

    def no_rendering(source: str, **_: object) -> str:
        raise AssertionError("the scheduler rendered a body it was given")

    monkeypatch.setattr("editorial.services.stories.render_body", no_rendering)
    assert publish_due_updates(later(200)) == [story.id]
    published = live(story)
    assert published.body == NEW and published.body_html == render_body(NEW)
    assert published.word_count == word_count(NEW) and "minister" in published.search_text


def test_an_update_saved_before_it_was_rendered_is_rendered_when_it_goes_live(
    room: dict,
) -> None:
    """An update saved before migration 0034 has no rendered columns: it still goes live,
    rendered then."""
    story = room["story"]
    pending = scheduled(room, later())
    db.session.execute(
        update(StoryUpdate)
        .where(StoryUpdate.id == pending.id)
        .values(body_html=None, search_text=None, word_count=None)
    )
    db.session.commit()
    assert publish_due_updates(later(200)) == [story.id]
    published = live(story)
    assert published.body_html == render_body(NEW) and published.word_count == word_count(NEW)


def test_a_rebased_update_is_rendered_again(room: dict) -> None:
    """Rebasing replaces the update's text: its rendered columns follow it."""
    story = room["story"]
    approved(room, NEW)
    save_story(
        live(story),
        typed(live(story), headline="Corrected headline"),
        actor=room["editor"],
        expected_version=live(story).version,
    )
    pending = pending_update(story.id)
    assert pending is not None
    merged = "Merged.\n\nThe minister's reply, checked."
    rebase_update(
        live(story),
        typed(live(story), body=merged),
        actor=room["editor"],
        expected_version=pending.version,
    )
    rebased = pending_update(story.id)
    assert rebased is not None and rebased.body_html == render_body(merged)
    assert "corrected" in (rebased.search_text or "").lower()
