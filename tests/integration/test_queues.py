"""Publishing has a Celery queue of its own (issue 8): e-mail cannot hold a due story back.

Every task is routed by name to the `publishing`, `mail` or default queue; the Procfile runs
a worker that consumes only `publishing` and one for the rest; and with every thread of the
mail worker stuck on an SMTP server that does not answer, a due story is still published.
"""

from __future__ import annotations

import re
import shlex
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from editorial.celery_app import DEFAULT_QUEUE, MAIL_QUEUE, PUBLISHING_QUEUE, TASK_QUEUES
from editorial.models import AuditEvent, EmailState, Notification, Story
from editorial.services.transitions import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests.integration.conftest import rows, wait_until
from tests.integration.test_celery_publishing import newsroom as newsroom  # the fixture
from tests.integration.test_celery_publishing import wait_published

ROOT = Path(__file__).resolve().parents[2]
ROUTES = {
    "editorial.tasks.publish_due_stories": PUBLISHING_QUEUE,
    "editorial.tasks.sweep_due_stories": PUBLISHING_QUEUE,
    "editorial.tasks.queue_upcoming_stories": PUBLISHING_QUEUE,
    "editorial.tasks.unpublish_due_stories": PUBLISHING_QUEUE,
    "editorial.tasks.sweep_due_unpublishes": PUBLISHING_QUEUE,
    "editorial.tasks.queue_upcoming_unpublishes": PUBLISHING_QUEUE,
    "editorial.tasks.publish_due_updates": PUBLISHING_QUEUE,
    "editorial.tasks.sweep_due_update_publishes": PUBLISHING_QUEUE,
    "editorial.tasks.queue_upcoming_update_publishes": PUBLISHING_QUEUE,
    "editorial.tasks.deliver_notification_email": MAIL_QUEUE,
    "editorial.tasks.queue_notification_emails": MAIL_QUEUE,
    "editorial.tasks.retry_pending_emails": MAIL_QUEUE,
    "editorial.tasks.send_account_email": MAIL_QUEUE,
    "editorial.tasks.queue_digest_emails": MAIL_QUEUE,  # beat's digest sweep
    "editorial.tasks.send_digest_email": MAIL_QUEUE,
    "editorial.tasks.prune_old_rows": DEFAULT_QUEUE,
    "editorial.tasks.tidy_embedded_broker": DEFAULT_QUEUE,
    "editorial.tasks.make_renditions": DEFAULT_QUEUE,  # photo work never delays a publish
    "editorial.tasks.requeue_missing_renditions": DEFAULT_QUEUE,
    "editorial.tasks.remove_renditions": DEFAULT_QUEUE,  # old crops' files, after a grace
    "editorial.tasks.sync_public_media": PUBLISHING_QUEUE,  # a published photo's public copy
    "editorial.tasks.sweep_public_media": PUBLISHING_QUEUE,
}


def route(app: Flask, task_name: str) -> str:
    return app.extensions["celery"].amqp.router.route({}, task_name)["queue"].name


def test_tasks_are_routed_by_name(app: Flask) -> None:
    celery = app.extensions["celery"]
    ours = sorted(name for name in celery.tasks if name.startswith("editorial."))
    assert {name: route(app, name) for name in ours} == ROUTES
    # Sent by name, without the task imported (an unpublish task to come, say): same families.
    assert route(app, "editorial.tasks.unpublish_expired_stories") == PUBLISHING_QUEUE
    assert route(app, "editorial.tasks.send_digest_email") == MAIL_QUEUE


def consumed_queues(command: str) -> set[str] | None:
    """The queues a `celery worker` command line consumes (None: not a worker)."""
    words = shlex.split(command)
    if "worker" not in words:
        return None
    if "-Q" not in words:
        return {queue.name for queue in TASK_QUEUES}
    return set(words[words.index("-Q") + 1].split(","))


def test_procfile_gives_publishing_a_worker_of_its_own() -> None:
    """What `make run` starts: every queue consumed, `publishing` by a worker doing nothing
    else (a worker without -Q would take e-mail too)."""
    entries = dict(re.findall(r"^(\w+):\s*(.+)$", (ROOT / "Procfile").read_text(), re.M))
    workers = {name: consumed_queues(line) for name, line in entries.items()}
    workers = {name: queues for name, queues in workers.items() if queues is not None}
    assert {PUBLISHING_QUEUE} in workers.values()
    for queues in workers.values():
        assert queues == {PUBLISHING_QUEUE} or PUBLISHING_QUEUE not in queues
    assert set().union(*workers.values()) == {queue.name for queue in TASK_QUEUES}


def test_compose_gives_publishing_a_worker_of_its_own() -> None:
    yaml = pytest.importorskip("yaml")
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    workers = {
        name: consumed_queues(shlex.join(service["command"]))
        for name, service in services.items()
        if isinstance(service.get("command"), list)
    }
    workers = {name: queues for name, queues in workers.items() if queues is not None}
    assert workers["publisher"] == {PUBLISHING_QUEUE}
    assert services["publisher"]["deploy"]["replicas"] >= 2  # one killed, the other publishes
    assert PUBLISHING_QUEUE not in workers["worker"]
    assert set().union(*workers.values()) == {queue.name for queue in TASK_QUEUES}


def email_states(ids: list[int]) -> list[str]:
    return [r[0] for r in rows(select(Notification.email_state).where(Notification.id.in_(ids)))]


@pytest.mark.services
@pytest.mark.slow
def test_stuck_mail_worker_does_not_hold_back_a_due_story(
    newsroom, make, celery_procs, smtp
) -> None:
    """Both threads of the mail worker wait on an SMTP server that never answers DATA, with
    more e-mail queued behind them; a story falling due is published by the publishing worker
    all the same, while not one e-mail has gone out. Then the server answers and every e-mail
    is sent."""
    smtp.inbox.hold.add("DATA")
    mail = celery_procs.worker(queues=f"{MAIL_QUEUE},{DEFAULT_QUEUE}", concurrency=2, wait=False)
    publisher = celery_procs.worker(queues=PUBLISHING_QUEUE, beat=True, wait=False)
    for _ in range(4):
        make.editor(newsroom.desk)  # five desk editors, each e-mailed about a submission
    submitted = make.story(newsroom.reporter, newsroom.desk)
    story = make.story(
        newsroom.reporter, newsroom.desk, StoryState.APPROVED, editor=newsroom.editor
    )
    mail.ready(), publisher.ready()
    transition_story(submitted, Action.SUBMIT, actor=newsroom.reporter)
    wait_until(lambda: smtp.inbox.holding >= 2, 30, "both mail threads stuck in SMTP")

    transition_story(
        story, Action.SCHEDULE, actor=newsroom.editor, publish_at=utcnow() + timedelta(seconds=1)
    )
    wait_published([story.id])

    emails = [r.id for r in rows(select(Notification.id).where(Notification.email_state != "none"))]
    assert len(emails) >= 6  # five submission e-mails and the author's "Scheduled"
    assert EmailState.SENT not in email_states(emails)  # the mail worker is still stuck
    assert smtp.inbox.holding >= 2
    events = rows(
        select(AuditEvent.id).where(
            AuditEvent.story_id == story.id, AuditEvent.action == "story.published.scheduled"
        )
    )
    assert len(events) == 1
    assert rows(select(Story.state).where(Story.id == story.id))[0][0] == StoryState.PUBLISHED

    smtp.inbox.hold.clear()
    wait_until(
        lambda: set(email_states(emails)) == {EmailState.SENT}, 60, "every e-mail to be sent"
    )
