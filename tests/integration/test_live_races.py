"""Races on live coverage (issue 12): entries against End live coverage, two pins, two ends.

Same harness as test_concurrency.py: each contender in its own thread and session, all judging
the same (soon stale) story, released at once; on PostgreSQL and SQLite.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from editorial.extensions import db
from editorial.models import LiveEntry, Person, Story
from editorial.models.loading import actor_of, facts_of
from editorial.services import live
from editorial.workflow import StoryState
from tests.integration.test_concurrency import Prepare, events, newsroom, outcomes, race

__all__ = ["newsroom"]  # the fixture, shared

S = StoryState
POSTS = 5


def poster(story_id: int, person_id: int, text: str) -> Prepare:
    def prepare():
        story, person = db.session.get(Story, story_id), db.session.get(Person, person_id)
        facts_of(story), actor_of(person)  # load what the check needs, before the race
        return lambda: live.post_entry(story, live.EntryInput(body=text), actor=person) and "ok"

    return prepare


def ender(story_id: int, person_id: int) -> Prepare:
    def prepare():
        story, person = db.session.get(Story, story_id), db.session.get(Person, person_id)
        facts_of(story), actor_of(person)  # load what the check needs, before the race
        return lambda: live.end_live_coverage(story, actor=person) and "ended"

    return prepare


def pinner(story_id: int, entry_id: int, person_id: int) -> Prepare:
    def prepare():
        story, person = db.session.get(Story, story_id), db.session.get(Person, person_id)
        entry = db.session.get(LiveEntry, entry_id)
        facts_of(story), actor_of(person)  # load what the check needs, before the race
        return lambda: live.pin_entry(entry, story=story, actor=person) or "ok"

    return prepare


def _live(make, newsroom) -> tuple[Story, dict]:
    desk, staff = newsroom
    story = make.story(staff["reporter"], desk, S.PUBLISHED, editor=staff["editors"][0])
    live.start_live_coverage(story, actor=staff["editors"][0])
    return story, staff


def test_entries_racing_the_end_land_before_it_or_not_at_all(
    any_app: Flask, make, newsroom
) -> None:
    story, staff = _live(make, newsroom)
    contenders = [poster(story.id, staff["reporter"].id, f"Entry {n}") for n in range(POSTS)]
    contenders.insert(2, ender(story.id, staff["editors"][1].id))
    results = race(any_app, contenders)
    counted = outcomes(results)
    assert counted["ended"] == 1, results
    assert counted["ok"] + counted["WrongState"] == POSTS, results
    db.session.expire_all()
    story = db.session.get(Story, story.id)
    entries = db.session.scalars(select(LiveEntry).where(LiveEntry.story_id == story.id)).all()
    assert len(entries) == counted["ok"]
    assert all(e.created_at <= story.live_ended_at for e in entries)
    assert events(story.id, "story.live.entry_posted") == counted["ok"]
    assert events(story.id, "story.live.ended") == 1


def test_two_ends_end_once_and_two_pins_leave_one(any_app: Flask, make, newsroom) -> None:
    story, staff = _live(make, newsroom)
    first = live.post_entry(story, live.EntryInput(body="One"), actor=staff["reporter"])
    second = live.post_entry(story, live.EntryInput(body="Two"), actor=staff["reporter"])
    editors = staff["editors"]
    pins = race(
        any_app,
        [pinner(story.id, entry.id, editors[i].id) for i, entry in enumerate((first, second))],
    )
    assert outcomes(pins) == {"ok": 2}, pins
    pinned = db.session.scalar(
        select(func.count()).where(LiveEntry.story_id == story.id, LiveEntry.is_pinned.is_(True))
    )
    assert pinned == 1
    ends = race(any_app, [ender(story.id, editors[i % 3].id) for i in range(4)])
    assert outcomes(ends) == {"ended": 1, "WrongState": 3}, ends
    assert events(story.id, "story.live.ended") == 1
