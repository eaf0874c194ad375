"""Scrape-time metrics: page cache hits, overdue and failed stories, the sweep's age, queue
lengths on the embedded broker, and the database counters, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import timedelta

from flask import Flask
from sqlalchemy import update

from editorial.extensions import db
from editorial.models import Person, Story
from editorial.services import counters
from editorial.services.publishing import sweep
from editorial.services.unpublishing import set_unpublish, unpublish_due_stories
from editorial.timeutil import utcnow
from editorial.workflow import StoryState
from tests.conftest import Factory
from tests.metricskit import scrape, value


def three_stories(make: Factory, state: StoryState) -> tuple[Person, tuple[Story, Story, Story]]:
    """An editor and three of their desk's stories in `state`."""
    desk = make.desk()
    editor, reporter = make.editor(desk), make.reporter(desk)
    one, two, three = (make.story(reporter, desk, state, editor=editor) for _ in range(3))
    return editor, (one, two, three)


def run_late(late: Story, broken: Story, due: str, failed: str) -> None:
    """Moves the `due` time of `late` and `broken` five minutes back; marks `broken` `failed`."""
    past = utcnow() - timedelta(minutes=5)
    db.session.execute(update(Story).where(Story.id.in_([late.id, broken.id])).values({due: past}))
    db.session.execute(update(Story).where(Story.id == broken.id).values({failed: past}))
    db.session.commit()


def test_page_cache_hits_and_misses_are_counted(any_app: Flask) -> None:
    before = scrape(any_app)
    client = any_app.test_client()
    client.get("/")
    client.get("/")
    after = scrape(any_app)
    name = "editorial_page_cache_requests_total"
    assert value(after, name, result="miss") == value(before, name, result="miss") + 1
    assert value(after, name, result="hit") == value(before, name, result="hit") + 1


def test_overdue_and_failed_stories_are_counted_as_they_are_now(
    any_app: Flask, make: Factory
) -> None:
    _, (late, broken, fine) = three_stories(make, StoryState.SCHEDULED)
    assert value(scrape(any_app), "editorial_stories_overdue") == 0
    run_late(late, broken, "publish_at", "publish_failed_at")
    samples = scrape(any_app)
    assert value(samples, "editorial_stories_overdue") == 1
    assert value(samples, "editorial_stories_publish_failed") == 1
    assert fine.id


def test_overdue_and_failed_unpublishes_are_counted_and_their_lag_labelled(
    any_app: Flask, make: Factory
) -> None:
    editor, (late, broken, due) = three_stories(make, StoryState.PUBLISHED)
    at = utcnow() + timedelta(minutes=5)
    for story in (late, broken, due):
        set_unpublish(story, actor=editor, unpublish_at=at, note="Down.")
    assert value(scrape(any_app), "editorial_stories_unpublish_overdue") == 0
    run_late(late, broken, "unpublish_at", "unpublish_failed_at")
    samples = scrape(any_app)
    assert value(samples, "editorial_stories_unpublish_overdue") == 1
    assert value(samples, "editorial_stories_unpublish_failed") == 1
    assert value(samples, "editorial_stories_overdue") == 0  # publishes are counted apart
    # The late one (five minutes behind) goes too; the failed one waits for an editor.
    assert sorted(unpublish_due_stories(at + timedelta(seconds=0.2))) == [late.id, due.id]
    samples = scrape(any_app)
    lag = "editorial_publish_lag_seconds"
    assert value(samples, f"{lag}_count", kind="unpublish") == 2
    assert value(samples, f"{lag}_bucket", kind="unpublish", le="0.25") == 1
    assert value(samples, f"{lag}_bucket", kind="unpublish", le="900.0") == 2


def test_sweep_age_is_infinite_until_the_sweep_runs(any_app: Flask) -> None:
    assert math.isinf(value(scrape(any_app), "editorial_publish_sweep_age_seconds"))
    sweep()
    assert value(scrape(any_app), "editorial_publish_sweep_age_seconds") < math.inf


def test_publish_lag_histogram_is_cumulative(any_app: Flask) -> None:
    counters.add(counters.publish_lags("publish", [0.1, 0.7, 45.0, 2000.0]))
    db.session.commit()
    samples = scrape(any_app)
    bucket = "editorial_publish_lag_seconds_bucket"
    assert value(samples, bucket, kind="publish", le="0.25") == 1
    assert value(samples, bucket, kind="publish", le="1.0") == 2
    assert value(samples, bucket, kind="publish", le="60.0") == 3
    assert value(samples, bucket, kind="publish", le="+Inf") == 4
    assert value(samples, "editorial_publish_lag_seconds_count", kind="publish") == 4
    assert value(samples, "editorial_publish_lag_seconds_sum", kind="publish") == 2045.8
