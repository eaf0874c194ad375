"""Metrics read back after real publishes by a real worker and beat on Redis and PostgreSQL:
the lag histogram, overdue stories, the sweep's age, queue lengths and e-mail counts move as
the work happens. And the queue length of the embedded broker (`make run`)."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from editorial.extensions import db
from editorial.jobs import Job, enqueue
from editorial.models import EmailState, Notification, Story
from editorial.services.transitions import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests.conftest import Factory
from tests.integration.conftest import rows, wait_until
from tests.metricskit import scrape, value

LAG = "editorial_publish_lag_seconds"
QUEUE = "editorial_celery_queue_length"


@pytest.mark.services
@pytest.mark.slow
def test_metrics_follow_real_publishes(live_app: Flask, make: Factory, celery_procs, smtp) -> None:
    smtp.start()
    desk = make.desk()
    reporter, editor = make.reporter(desk), make.editor(desk)
    stories = [make.story(reporter, desk, StoryState.APPROVED, editor=editor) for _ in range(4)]
    before = scrape(live_app)
    assert math.isinf(value(before, "editorial_publish_sweep_age_seconds"))
    assert value(before, f"{LAG}_count", kind="publish") == 0

    at = utcnow() + timedelta(seconds=2)
    for story in stories:
        transition_story(story, Action.SCHEDULE, actor=editor, publish_at=at)
    # One of them is already a minute late: as if the scheduler had been down.
    late = utcnow() - timedelta(minutes=1)
    db.session.execute(update(Story).where(Story.id == stories[0].id).values(publish_at=late))
    db.session.commit()
    waiting = scrape(live_app)
    assert value(waiting, "editorial_stories_overdue") == 1
    assert value(waiting, QUEUE, queue="publishing") >= 1  # ETA tasks, no worker to take them

    celery_procs.worker(beat=True)
    ids = [s.id for s in stories]
    published = select(Story.id).where(Story.id.in_(ids), Story.state == StoryState.PUBLISHED)
    wait_until(lambda: len(rows(published)) == 4, 30, "the four stories to be published")
    unsent = [EmailState.PENDING, EmailState.SENDING]
    waiting_mail = select(Notification.id).where(Notification.email_state.in_(unsent))
    wait_until(lambda: not rows(waiting_mail), 30, "the e-mails to be sent")
    # Counted just after each publish commits: wait for the four, then read everything once.
    lag_count = f"{LAG}_count"
    wait_until(lambda: value(scrape(live_app), lag_count, kind="publish") == 4, 30, "the lags")
    # The on-time wake-up task can publish all four before beat's first sweep.
    sweep_age = "editorial_publish_sweep_age_seconds"
    wait_until(lambda: value(scrape(live_app), sweep_age) < math.inf, 30, "the first sweep")
    after = scrape(live_app)
    assert value(after, f"{LAG}_bucket", kind="publish", le="+Inf") == 4
    assert value(after, f"{LAG}_bucket", kind="publish", le="60.0") <= 3  # the late one is >60 s
    assert value(after, f"{LAG}_sum", kind="publish") >= 60
    assert value(after, "editorial_stories_overdue") == 0
    sent = len(rows(select(Notification.id).where(Notification.email_state == EmailState.SENT)))
    assert sent >= 4 and value(after, "editorial_emails_total", outcome="sent") == sent
    assert value(after, "editorial_emails_total", outcome="failed") == 0
    wait_until(
        lambda: value(scrape(live_app), QUEUE, queue="publishing") == 0, 30, "the queue to drain"
    )
    wait_until(
        lambda: value(scrape(live_app), "editorial_publish_sweep_age_seconds") < math.inf,
        30,
        "beat's first sweep",
    )


def test_queue_length_on_the_embedded_broker(embedded_app: Flask) -> None:
    assert value(scrape(embedded_app), QUEUE, queue="mail") == 0
    for _ in range(3):
        assert enqueue(Job.RETRY_PENDING_EMAILS)  # routed to the mail queue
    samples = scrape(embedded_app)
    assert value(samples, QUEUE, queue="mail") == 3
    assert value(samples, QUEUE, queue="publishing") == value(samples, QUEUE, queue="celery") == 0
