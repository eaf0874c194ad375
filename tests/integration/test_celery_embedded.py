"""`make run` with nothing but Python: a real worker (and beat) on the embedded broker (kombu's
SQLAlchemy transport in a SQLite file of the instance folder) and the SQLite database publishes
a scheduled story on time, and the author's e-mail lands in the local outbox.

No server is needed, so this runs in the default tier too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from editorial.celery_app import DEFAULT_QUEUE, MAIL_QUEUE, PUBLISHING_QUEUE
from editorial.models import AuditEvent, Story
from editorial.services.transitions import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests.integration.conftest import (
    CeleryProcesses,
    process_env,
    rows,
    wait_until,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def embedded_procs(tmp_path: Path, embedded_app: Flask) -> Iterator[CeleryProcesses]:
    folder = tmp_path / "celery"
    folder.mkdir()
    # No REDIS_URL and no MAIL_SERVER: the embedded broker and the outbox, as for `make run`.
    env = process_env(tmp_path, embedded_app.config["SQLALCHEMY_DATABASE_URI"], None)
    procs = CeleryProcesses(folder, env)
    yield procs
    procs.kill_all()
    print(procs.logs())


def test_embedded_broker_publishes_on_time_and_mails_to_the_outbox(
    embedded_app: Flask, embedded_procs: CeleryProcesses, make, tmp_path: Path
):
    assert embedded_app.extensions["celery"].conf.broker_url.startswith("sqla+sqlite:////")
    # As the Procfile runs them: a publishing worker, an e-mail worker, a separate scheduler.
    worker = embedded_procs.worker(queues=PUBLISHING_QUEUE, wait=False)
    mailer = embedded_procs.worker(queues=f"{MAIL_QUEUE},{DEFAULT_QUEUE}", wait=False)
    embedded_procs.beat()
    desk = make.desk()
    reporter, editor = make.reporter(desk), make.editor(desk)
    story = make.story(reporter, desk, StoryState.APPROVED, editor=editor, headline="Tide tables")
    worker.ready(), mailer.ready()
    at = utcnow() + timedelta(seconds=3)
    transition_story(story, Action.SCHEDULE, actor=editor, publish_at=at)

    wait_until(
        lambda: rows(select(Story.state).where(Story.id == story.id))[0][0] == StoryState.PUBLISHED,
        20,
        "the worker to publish",
    )
    published_at = rows(select(Story.published_at).where(Story.id == story.id))[0][0]
    assert 0 <= (published_at - at).total_seconds() <= 2.0
    events = rows(
        select(AuditEvent.id).where(
            AuditEvent.story_id == story.id, AuditEvent.action == "story.published.scheduled"
        )
    )
    assert len(events) == 1

    def published_mail() -> list:
        found = [message_from_bytes(p.read_bytes()) for p in (tmp_path / "outbox").glob("*.eml")]
        return [m for m in found if m["Subject"] == "Published: Tide tables"]

    mails = wait_until(published_mail, 15, "the author's e-mail in the outbox")
    assert [m["To"] for m in mails] == [reporter.email]


def test_the_queues_are_declared_before_the_processes_start(embedded_app: Flask) -> None:
    """kombu's SQLAlchemy transport creates a queue's row on first use: `make run`'s worker,
    publisher, beat and web starting at once raced for it and one worker died on the unique
    name (seen in a fresh clone). `flask declare-queues` makes them first, and again is a no-op."""
    runner = embedded_app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["declare-queues"])
        assert result.exit_code == 0, result.output
        assert "queues ready: publishing, mail, celery" in result.output
    broker = embedded_app.extensions["celery"].conf.broker_url.removeprefix("sqla+sqlite:///")
    with sqlite3.connect(broker) as connection:
        names = sorted(name for (name,) in connection.execute("SELECT name FROM kombu_queue"))
    assert names == sorted([PUBLISHING_QUEUE, MAIL_QUEUE, DEFAULT_QUEUE])
    run = (Path(__file__).parents[2] / "Makefile").read_text().split("\nrun:", 1)[1]
    assert run.index("flask declare-queues") < run.index("editorial.runner")
