"""Notification e-mail through a real worker and a real SMTP server (aiosmtpd).

Each message is sent exactly once: while the server refuses connections or answers "try
later" the task retries with back-off; a permanent refusal is final; duplicate deliveries of
the task send nothing more; a person who turned e-mail off gets the in-app notification only.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from editorial.extensions import db
from editorial.jobs import Job, enqueue
from editorial.models import EmailState, Notification
from editorial.services.transitions import transition_story
from editorial.workflow import Action
from tests.integration.conftest import rows, wait_until

pytestmark = [pytest.mark.services, pytest.mark.slow]


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
    return broker.llen("celery") == 0 and broker.hlen("unacked") == 0


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
    assert broker.llen("celery") >= 3

    celery_procs.worker(concurrency=4)
    wait_until(lambda: email_state(notification_id).email_state == EmailState.SENT, 20, "sent")
    wait_until(lambda: drained(broker), 15, "the queue to drain")
    assert len(smtp.inbox.to(editor.email)) == 1
    assert email_state(notification_id).email_attempts == 1
