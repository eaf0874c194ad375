"""Races on a pending update (issue 12): one wins cleanly, no text is lost, nothing answers 500.

Same harness as tests/integration/test_concurrency.py: each contender loads what it needs, then
all start at once in their own threads and sessions; on PostgreSQL the row lock of the live
copy orders them, on SQLite the IMMEDIATE transactions do.
"""

from __future__ import annotations

import pytest
from flask import Flask

from editorial.extensions import db
from editorial.models import Person, Story
from editorial.models.loading import actor_of, facts_of, load_missing
from editorial.services.stories import StoryInput, save_story
from editorial.services.transitions import transition_story
from editorial.services.updates import (
    LiveCopyChanged,
    pending_update,
    publish_update,
    save_update,
    transition_update,
)
from editorial.workflow import Action, StoryState
from tests.integration.test_concurrency import Prepare, act_on, outcomes, race

A = Action
LIVE = "The live text.\n\nIts second paragraph."
UPDATED = "The updated text.\n\nIts second paragraph."
DIRECT = "The live text.\n\nIts second paragraph, corrected directly."


@pytest.fixture
def published(any_app: Flask, make) -> dict:
    desk = make.desk("Nation")
    reporter = make.reporter(desk)
    editors = [make.editor(desk) for _ in range(3)]
    for person in [reporter, *editors]:
        person.wants_email = False
    db.session.commit()
    story = make.story(reporter, desk, StoryState.PUBLISHED, editor=editors[0], body=LIVE)
    return {"story": story, "reporter": reporter, "editors": editors}


def _typed(story: Story, body: str) -> StoryInput:
    load_missing(story, "tags")
    return StoryInput(headline=story.headline, body=body, desk_id=story.desk_id, slug=story.slug)


def _update(room: dict, *, approve: bool) -> int:
    story, reporter = room["story"], room["reporter"]
    save_update(story, _typed(story, UPDATED), actor=reporter, expected_version=0)
    transition_update(story, A.SUBMIT_UPDATE, actor=reporter)
    if approve:
        transition_update(story, A.APPROVE_UPDATE, actor=room["editors"][1])
    pending = pending_update(story.id)
    assert pending is not None
    return pending.version


def _loaded(story_id: int, person_id: int) -> tuple[Story, Person]:
    story, person = db.session.get(Story, story_id), db.session.get(Person, person_id)
    facts_of(story), actor_of(person)
    load_missing(story, "tags", "desk", "corrections")
    return story, person


def approve_update(story_id: int, person_id: int, version: int) -> Prepare:
    def prepare():
        story, person = _loaded(story_id, person_id)
        pending_update(story_id)
        return lambda: (
            transition_update(story, A.APPROVE_UPDATE, actor=person, expected_version=version)
            or "ok"
        )

    return prepare


def publish(story_id: int, person_id: int, version: int) -> Prepare:
    def prepare():
        story, person = _loaded(story_id, person_id)
        pending_update(story_id)
        return lambda: publish_update(story, actor=person, expected_version=version) and "ok"

    return prepare


def direct_edit(story_id: int, person_id: int) -> Prepare:
    def prepare():
        story, person = _loaded(story_id, person_id)
        data, seen = _typed(story, DIRECT), story.version
        return lambda: save_story(story, data, actor=person, expected_version=seen) and "ok"

    return prepare


def test_approve_update_against_a_direct_edit(any_app: Flask, published: dict) -> None:
    story, editors = published["story"], published["editors"]
    version = _update(published, approve=False)
    results = race(
        any_app,
        [approve_update(story.id, editors[1].id, version), direct_edit(story.id, editors[2].id)],
    )
    assert set(results) <= {"ok", "WrongState", "StaleUpdate"}, results
    live = db.session.get(Story, story.id)
    pending = pending_update(story.id)
    assert pending is not None and pending.body == UPDATED  # the update's text is never lost
    assert live.body == (DIRECT if results[1] == "ok" else LIVE)
    if results == ["ok", "ok"]:  # approved, and the direct edit went out: not undone
        with pytest.raises(LiveCopyChanged):
            publish_update(live, actor=editors[1])
        assert db.session.get(Story, story.id).body == DIRECT


def test_publish_update_against_withdraw(any_app: Flask, published: dict) -> None:
    story, editors = published["story"], published["editors"]
    version = _update(published, approve=True)
    results = race(
        any_app,
        [
            publish(story.id, editors[1].id, version),
            act_on(story.id, editors[2].id, A.WITHDRAW),
        ],
    )
    assert set(results) <= {"ok", "WrongState"}, results
    assert results[1] == "ok"  # a withdrawal is never refused for an update
    live = db.session.get(Story, story.id)
    assert live.state == StoryState.WITHDRAWN
    pending = pending_update(story.id)
    if results[0] == "ok":
        assert live.body == UPDATED and pending is None
    else:
        assert live.body == LIVE and pending is not None and pending.body == UPDATED


def test_many_editors_publish_an_update_once(any_app: Flask, published: dict) -> None:
    story, editors = published["story"], published["editors"]
    version = _update(published, approve=True)
    contenders = [publish(story.id, e.id, version) for e in (editors[0], editors[2])]
    results = race(any_app, contenders)
    assert outcomes(results)["ok"] == 1, results
    assert set(results) <= {"ok", "WrongState"}, results  # never "the live copy changed"
    assert db.session.get(Story, story.id).body == UPDATED
    assert pending_update(story.id) is None


def test_withdraw_of_the_story_keeps_its_update(any_app: Flask, published: dict) -> None:
    story, editors = published["story"], published["editors"]
    _update(published, approve=True)
    transition_story(story, A.WITHDRAW, actor=editors[0], note="Legal.")
    assert pending_update(story.id).body == UPDATED
