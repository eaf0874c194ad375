"""Races between requests (TRUST 5, 23, 24): exactly one wins, one audit event, the rest get 409.

Each contender runs in its own thread with its own app context and database session. It loads
what it needs first (so all of them judge the same, soon stale, story), then all are released
at once. Runs on PostgreSQL (row locks and re-checked conditional UPDATEs) and on SQLite (a
file database where every transaction begins IMMEDIATE).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, text, update

from editorial.extensions import db
from editorial.models import AuditEvent, Person, Story
from editorial.models.loading import actor_of, facts_of, load_missing
from editorial.services import commit
from editorial.services.cache import purge_public_cache, site_generation
from editorial.services.errors import StaleStory
from editorial.services.publishing import publish_due_stories
from editorial.services.stories import StoryInput, create_story, save_story
from editorial.services.transitions import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState, WorkflowError
from tests.integration.conftest import wait_until

S = StoryState
Prepare = Callable[[], Callable[[], object]]
THREADS = 6


def race(app: Flask, contenders: list[Prepare]) -> list[object]:
    """Run each contender in its own thread; returns each result or the refusal's class name.

    `prepare()` runs first and loads objects; the session is then closed (so no thread holds a
    transaction, which on SQLite would hold the write lock) with the objects kept, loaded, for
    the action that every thread starts at the same moment.
    """
    db.session.commit()  # the test's own session must not hold SQLite's write lock
    barrier = threading.Barrier(len(contenders))
    results: list[object] = [None] * len(contenders)

    def run(i: int, prepare: Prepare) -> None:
        with app.app_context():
            try:
                act = prepare()
                loaded = list(db.session)
                db.session.close()
                db.session.add_all(loaded)
                barrier.wait(timeout=30)
                results[i] = act()
            except (WorkflowError, StaleStory) as refusal:
                results[i] = type(refusal).__name__
            except Exception as error:  # reported, and fails the assertions below
                results[i] = repr(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a contender hung"
    db.session.expire_all()
    return results


def act_on(story_id: int, person_id: int, action: Action, **kw) -> Prepare:
    """A contender that takes `action`; `version=True` sends the version it saw."""
    send_version = kw.pop("version", False)

    def prepare():
        story, person = db.session.get(Story, story_id), db.session.get(Person, person_id)
        facts_of(story), actor_of(person)  # load what the check needs, before the race
        seen = story.version if send_version else None
        return lambda: (
            transition_story(
                story, action, actor=person, note="Because.", expected_version=seen, **kw
            ).id
            and "ok"
        )

    return prepare


def outcomes(results: list[object]) -> Counter:
    return Counter(results)


def events(story_id: int, action: str) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.story_id == story_id, AuditEvent.action == action)
    )


@pytest.fixture
def newsroom(make):
    desk = make.desk("Nation")
    staff = {
        "reporter": make.reporter(desk),
        "editors": [make.editor(desk) for _ in range(3)],
    }
    for person in [staff["reporter"], *staff["editors"]]:
        person.wants_email = False  # the races are about the database, not the mail queue
    db.session.commit()
    return desk, staff


def test_many_editors_publish_once(any_app: Flask, make, newsroom) -> None:
    desk, staff = newsroom
    editors = staff["editors"]
    story = make.story(staff["reporter"], desk, S.APPROVED, editor=editors[0])
    results = race(
        any_app,
        [act_on(story.id, editors[i % 3].id, Action.PUBLISH) for i in range(THREADS)],
    )
    assert outcomes(results) == {"ok": 1, "WrongState": THREADS - 1}, results
    assert story.state == S.PUBLISHED and story.published_at is not None
    assert events(story.id, "story.published") == 1


def test_many_editors_approve_once(any_app: Flask, make, newsroom) -> None:
    desk, staff = newsroom
    editors = staff["editors"]
    story = make.story(staff["reporter"], desk, S.SUBMITTED)
    results = race(
        any_app,
        [act_on(story.id, editors[i % 3].id, Action.APPROVE) for i in range(THREADS)],
    )
    assert outcomes(results) == {"ok": 1, "WrongState": THREADS - 1}, results
    assert story.state == S.APPROVED
    assert events(story.id, "story.approved") == 1


def test_approve_against_recall(any_app: Flask, make, newsroom) -> None:
    desk, staff = newsroom
    reporter, editor = staff["reporter"], staff["editors"][0]
    stories = [make.story(reporter, desk, S.SUBMITTED) for _ in range(3)]
    contenders = []
    for story in stories:
        contenders += [
            act_on(story.id, editor.id, Action.APPROVE),
            act_on(story.id, reporter.id, Action.RECALL),
        ]
    results = race(any_app, contenders)
    for n, story in enumerate(stories):
        approve, recall = results[2 * n : 2 * n + 2]
        assert sorted([approve, recall]) == ["WrongState", "ok"], results
        approved = approve == "ok"
        assert story.state == (S.APPROVED if approved else S.DRAFT)
        assert events(story.id, "story.approved") == int(approved)
        assert events(story.id, "story.recalled") == int(not approved)


def test_publish_against_unschedule_with_the_version_seen(any_app: Flask, make, newsroom) -> None:
    desk, staff = newsroom
    publisher, unscheduler = staff["editors"][:2]
    story = make.story(staff["reporter"], desk, S.SCHEDULED, editor=publisher)
    results = race(
        any_app,
        [
            act_on(story.id, publisher.id, Action.PUBLISH, version=True),
            act_on(story.id, unscheduler.id, Action.UNSCHEDULE, version=True),
        ],
    )
    assert sorted(results) == ["WrongState", "ok"], results
    published = results[0] == "ok"
    assert story.state == (S.PUBLISHED if published else S.APPROVED)
    assert events(story.id, "story.published") == int(published)
    assert events(story.id, "story.unscheduled") == int(not published)
    assert publish_due_stories(utcnow() + timedelta(hours=2)) == []


def test_submit_against_spike_by_the_reporter(any_app: Flask, make, newsroom) -> None:
    """A reporter may spike only a never-submitted draft, even when racing their own submit."""
    desk, staff = newsroom
    reporter = staff["reporter"]
    story = make.story(reporter, desk)
    results = race(
        any_app,
        [
            act_on(story.id, reporter.id, Action.SUBMIT),
            act_on(story.id, reporter.id, Action.SPIKE),
        ],
    )
    assert sorted(results) == ["WrongState", "ok"], results
    assert story.state == (S.SUBMITTED if results[0] == "ok" else S.SPIKED)


def test_two_saves_from_one_version(any_app: Flask, make, newsroom) -> None:
    """TRUST 23: the second save gets a conflict; nothing is overwritten silently."""
    desk, staff = newsroom
    story = make.story(staff["reporter"], desk, S.SUBMITTED)
    story_id = story.id  # never touch the test's own objects from a contender's thread

    def saver(person_id: int, body: str) -> Prepare:
        def prepare():
            mine, person = db.session.get(Story, story_id), db.session.get(Person, person_id)
            actor_of(person), facts_of(mine)
            load_missing(mine, "tags")
            data = StoryInput(headline=mine.headline, body=body, desk_id=mine.desk_id)
            seen = mine.version
            return lambda: save_story(mine, data, actor=person, expected_version=seen) and "ok"

        return prepare

    editors = staff["editors"]
    results = race(any_app, [saver(e.id, f"Text by {e.id}") for e in editors])
    assert outcomes(results) == {"ok": 1, "StaleStory": len(editors) - 1}, results
    winner = editors[results.index("ok")]
    assert story.body == f"Text by {winner.id}"
    assert story.version == 3


def test_concurrent_sweeps_publish_each_story_once(any_app: Flask, make, newsroom) -> None:
    """TRUST 5: three sweeps at once over 50 due stories."""
    desk, staff = newsroom
    reporter = staff["reporter"]
    ids = [
        create_story(
            StoryInput(headline=f"Due {n}", body="Text", desk_id=desk.id), actor=reporter
        ).id
        for n in range(50)
    ]
    now = utcnow()
    db.session.execute(
        update(Story)
        .where(Story.id.in_(ids))
        .values(state=S.SCHEDULED, publish_at=now - timedelta(seconds=5), version=4)
    )
    db.session.commit()

    def sweeper() -> Callable[[], object]:
        return lambda: publish_due_stories(now)

    results = race(any_app, [sweeper] * 3)
    assert all(isinstance(r, list) for r in results), results
    published = [story_id for result in results for story_id in result]
    assert sorted(published) == sorted(ids)  # each once, whoever claimed it
    assert db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "story.published.scheduled", AuditEvent.story_id.in_(ids))
    ) == len(ids)
    states = set(db.session.scalars(select(Story.state).where(Story.id.in_(ids))))
    assert states == {S.PUBLISHED}


def test_a_double_clicked_save_draft_saves_both_with_distinct_slugs(
    any_app: Flask, newsroom
) -> None:
    """TRUST 29: forty creates of one headline at once (and one new tag): all saved, no 5xx."""
    desk, staff = newsroom
    reporter_id, desk_id = staff["reporter"].id, desk.id  # plain values: no shared session

    def creator() -> Callable[[], object]:
        reporter = db.session.get(Person, reporter_id)
        actor_of(reporter)
        data = StoryInput(headline="Weather", body="Rain.", desk_id=desk_id, tags=["Monsoon"])
        return lambda: create_story(data, actor=reporter).slug

    results = race(any_app, [creator] * 40)
    assert sorted(results) == sorted(["weather", *(f"weather-{n}" for n in range(2, 41))])
    assert db.session.scalar(select(func.count()).select_from(Story)) == 40


def _waiting_on_a_lock() -> bool:
    with db.engine.connect() as connection:
        return bool(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        )


@pytest.mark.services
def test_two_first_cache_purges_both_commit(pg_app: Flask) -> None:
    """Two publishers purging the public cache for the first time (no generation row yet):
    the second used to fail on the primary key, and its good story was flagged as failed."""
    purge_public_cache()  # the first publisher, not yet committed
    outcome: list[str] = []

    def second() -> None:
        with pg_app.app_context():
            try:
                purge_public_cache()
                commit()
                outcome.append("committed")
            except Exception as error:  # reported by the assertion below
                outcome.append(repr(error))
            finally:
                db.session.remove()

    thread = threading.Thread(target=second)
    thread.start()
    wait_until(lambda: not thread.is_alive() or _waiting_on_a_lock(), 30, "the second purge to run")
    commit()
    thread.join(timeout=60)
    assert outcome == ["committed"]
    assert site_generation() != "0"
