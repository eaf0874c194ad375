"""Notification e-mail through a real worker and a real SMTP server (aiosmtpd).

Each message is sent exactly once: while the server refuses connections or answers "try
later" the task retries with back-off; a permanent refusal is final; duplicate deliveries of
the task send nothing more; a person who turned e-mail off gets the in-app notification only.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from editorial.celery_app import MAIL_QUEUE
from editorial.extensions import db
from editorial.jobs import Job, enqueue
from editorial.models import EmailState, Notification
from editorial.services.transitions import transition_story
from editorial.workflow import Action
from tests.integration.conftest import rows, wait_until
from tests.metricskit import scrape, value

pytestmark = [pytest.mark.services, pytest.mark.slow]
EMAILS = "editorial_emails_total"


def submitted_to(make, *editors_wanting_email: bool):
    """A reporter submits a story to a desk whose editors want e-mail or not; returns the
    editors and their notification ids (the submission notifies every desk editor)."""
    desk = make.desk()
    reporter = make.reporter(desk)
    editors = []
    for wants in editors_wanting_email:
        editor = make.editor(desk)
        editor.wants_email = wants
        editors.append(editor)
    db.session.commit()
    story = make.story(reporter, desk)
    transition_story(story, Action.SUBMIT, actor=reporter)
    found = dict(
        rows(
            select(Notification.person_id, Notification.id).where(
                Notification.story_id == story.id, Notification.kind == "story.submit"
            )
        )
    )
    return editors, [found[e.id] for e in editors]


def email_state(notification_id: int):
    return rows(
        select(Notification.email_state, Notification.email_attempts).where(
            Notification.id == notification_id
        )
    )[0]


def drained(broker) -> bool:
    """Nothing queued and nothing held by a worker (every task ran and was acknowledged)."""
    return broker.queued() == 0 and broker.hlen("unacked") == 0


def test_mail_waits_for_a_refusing_server_and_is_sent_once(
    live_app, make, celery_procs, smtp, broker
):
    """The SMTP server is down (connection refused) for the first tries, then comes up."""
    worker = celery_procs.worker(wait=False)
    (editor,), (notification_id,) = submitted_to(make, True)
    worker.ready()
    wait_until(lambda: email_state(notification_id).email_attempts >= 2, 15, "two failed tries")
    assert email_state(notification_id).email_state in {EmailState.PENDING, EmailState.SENDING}
    assert smtp.inbox.messages == []

    smtp.start()
    wait_until(lambda: email_state(notification_id).email_state == EmailState.SENT, 30, "sent")
    wait_until(lambda: drained(broker), 15, "the queue to drain")
    assert len(smtp.inbox.to(editor.email)) == 1
    # The second claim may already be connecting when the server comes up, so it can succeed.
    assert email_state(notification_id).email_attempts >= 2


def test_try_again_later_answers_are_retried_then_sent_once(
    live_app, make, celery_procs, smtp, broker
):
    """421 "try again later" twice, then accepted: one message."""
    smtp.inbox.refuse_next = 2
    smtp.start()
    worker = celery_procs.worker(wait=False)
    (editor,), (notification_id,) = submitted_to(make, True)
    worker.ready()

    wait_until(lambda: email_state(notification_id).email_state == EmailState.SENT, 30, "sent")
    wait_until(lambda: drained(broker), 15, "the queue to drain")
    assert len(smtp.inbox.to(editor.email)) == 1
    assert email_state(notification_id).email_attempts == 3
    samples = scrape(live_app)  # counted by the worker, read by the web process
    assert value(samples, EMAILS, outcome="retried") == 2
    assert value(samples, EMAILS, outcome="sent") == 1
    assert value(samples, EMAILS, outcome="failed") == 0


def test_a_permanent_refusal_is_not_retried(live_app, make, celery_procs, smtp, broker):
    """550 no such mailbox: marked failed after one try, never hammered."""
    smtp.inbox.reject_all = True
    smtp.start()
    worker = celery_procs.worker(wait=False)
    _, (notification_id,) = submitted_to(make, True)
    worker.ready()

    wait_until(lambda: email_state(notification_id).email_state == EmailState.FAILED, 20, "fail")
    wait_until(lambda: drained(broker), 15, "the queue to drain")
    assert email_state(notification_id).email_attempts == 1
    assert smtp.inbox.attempts == 1
    samples = scrape(live_app)
    assert value(samples, EMAILS, outcome="failed") == 1
    assert value(samples, EMAILS, outcome="retried") == value(samples, EMAILS, outcome="sent") == 0


def test_email_off_means_in_app_only(live_app, make, celery_procs, smtp, broker):
    """Two editors are told; only the one who wants e-mail gets one."""
    smtp.start()
    worker = celery_procs.worker(wait=False)
    (quiet, keen), (quiet_id, _) = submitted_to(make, False, True)
    worker.ready()

    wait_until(lambda: smtp.inbox.to(keen.email), 20, "the keen editor's e-mail")
    wait_until(lambda: drained(broker), 15, "the queue to drain")
    assert email_state(quiet_id).email_state == EmailState.NONE
    assert email_state(quiet_id).email_attempts == 0
    assert smtp.inbox.to(quiet.email) == []
    unread = rows(select(Notification.id).where(Notification.person_id == quiet.id))
    assert [r.id for r in unread] == [quiet_id]


def test_email_task_delivered_three_times_sends_once(live_app, make, celery_procs, smtp, broker):
    """TRUST 1: the same e-mail task delivered again (and run concurrently) sends one message."""
    smtp.start()
    (editor,), (notification_id,) = submitted_to(make, True)  # queued once, no worker yet
    for _ in range(2):
        assert enqueue(Job.DELIVER_NOTIFICATION_EMAIL, args=(notification_id,))
    assert broker.llen(MAIL_QUEUE) >= 3

    celery_procs.worker(concurrency=4)
    wait_until(lambda: email_state(notification_id).email_state == EmailState.SENT, 20, "sent")
    wait_until(lambda: drained(broker), 15, "the queue to drain")
    assert len(smtp.inbox.to(editor.email)) == 1
    assert email_state(notification_id).email_attempts == 1


# The window between sending and marking sent (issue 8): a short lease, for the tests.
LEASE = {"MAIL_SENDING_LEASE_SECONDS": "10"}


def test_marked_sent_when_the_server_accepts_not_after_quit(
    live_app, make, celery_procs, smtp, broker
):
    """The server answers 250 to the message, then holds its answer to QUIT: the e-mail is
    already marked sent, so a worker killed there sends nothing twice."""
    smtp.inbox.hold.add("QUIT")
    smtp.start()
    worker = celery_procs.worker(beat=True, env=LEASE, wait=False)
    (editor,), (notification_id,) = submitted_to(make, True)
    worker.ready()

    wait_until(lambda: smtp.inbox.holding == 1, 20, "QUIT to be held")
    assert email_state(notification_id) == (EmailState.SENT, 1)  # before the 221 to QUIT
    worker.kill()
    smtp.inbox.hold.clear()
    # Nothing can claim it again: only "pending" and lapsed "sending" e-mails are claimed.
    assert len(smtp.inbox.to(editor.email)) == 1
    assert email_state(notification_id) == (EmailState.SENT, 1)


def test_worker_killed_mid_send_sends_again_once_after_the_lease_with_one_message_id(
    live_app, make, celery_procs, smtp, broker
):
    """SIGKILL while the server holds its answer to the message data: the e-mail stays
    "sending" until its lease runs out, then the retry job sends it once more, with the
    Message-ID of the first copy, and marks it sent."""
    smtp.inbox.hold.add("DATA")
    smtp.start()
    worker = celery_procs.worker(beat=True, env=LEASE, wait=False)
    (editor,), (notification_id,) = submitted_to(make, True)
    worker.ready()
    wait_until(lambda: smtp.inbox.holding == 1, 20, "the message data to be held")
    worker.kill()
    assert email_state(notification_id) == (EmailState.SENDING, 1)
    smtp.inbox.hold.clear()  # the server keeps the first copy: its 250 finds nobody

    celery_procs.worker(beat=True, env=LEASE)
    wait_until(lambda: email_state(notification_id).email_state == EmailState.SENT, 40, "sent")
    assert email_state(notification_id) == (EmailState.SENT, 2)
    first, second = smtp.inbox.to(editor.email)
    assert first["Message-ID"] == second["Message-ID"]
    assert (
        first["Message-ID"]
        == rows(select(Notification.email_message_id).where(Notification.id == notification_id))[0][
            0
        ]
    )
