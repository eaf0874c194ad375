"""Digest e-mails through real processes (issue 13): two beat schedulers (one too many, as a
mistaken deployment would run) and a worker on PostgreSQL and Redis, and a real SMTP server.
Each person gets exactly one digest per period, and nothing for what has not happened yet."""

from __future__ import annotations

import email
import email.policy
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from editorial.extensions import db
from editorial.models import EmailDelivery, EmailDigest, EmailState, Notification, Person
from editorial.services.transitions import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action
from tests.integration.conftest import rows, wait_until
from tests.integration.test_celery_publishing import newsroom as newsroom  # the fixture

pytestmark = [pytest.mark.services, pytest.mark.slow]

FAST_DIGESTS = {"DIGEST_SWEEP_SECONDS": "1"}


def digests_by_person(smtp) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for message in smtp.inbox.messages:
        if "digest" in message["Subject"]:
            found.setdefault(message["To"], []).append(message["Subject"])
    return found


def away_from_the_top_of_the_hour(margin: float = 90.0) -> None:
    """Wait out an hour's end close ahead: the fresh notifications below must not fall due."""
    now = utcnow()
    left = 3600 - (now.minute * 60 + now.second + now.microsecond / 1e6)
    if left < margin:
        time.sleep(left + 1)


def test_two_schedulers_send_one_digest_per_person_and_period(
    live_app, make, newsroom, celery_procs, smtp
):
    away_from_the_top_of_the_hour()
    room = newsroom
    second_editor = make.editor(room.desk)
    editors: list[Person] = [room.editor, second_editor]
    for editor in editors:
        editor.email_desk_queue = EmailDelivery.HOURLY
    room.reporter.email_my_stories = EmailDelivery.DAILY
    db.session.commit()
    stories = [make.story(room.reporter, room.desk, headline=f"Story {n}") for n in range(3)]
    for story in stories:
        transition_story(story, Action.SUBMIT, actor=room.reporter)
    transition_story(stories[0], Action.APPROVE, actor=room.editor)
    celery_procs.worker(env=FAST_DIGESTS)
    beats = [celery_procs.beat(env=FAST_DIGESTS), celery_procs.beat(env=FAST_DIGESTS)]
    time.sleep(2)
    assert smtp.inbox.messages == []  # all that happened in this hour: nothing is due yet
    # Now it happened yesterday, before the last hour and the last day ended, for both
    # schedulers at once (each sweeps every second)...
    db.session.execute(update(Notification).values(created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    # ... but this only now: it waits for the next period's digest.
    transition_story(stories[1], Action.APPROVE, actor=second_editor)
    transition_story(stories[2], Action.REQUEST_CHANGES, actor=second_editor, note="Sources?")
    transition_story(stories[2], Action.SUBMIT, actor=room.reporter)

    people = [*editors, room.reporter]
    wait_until(
        lambda: set(digests_by_person(smtp)) == {p.email for p in people}, 30, "three digests"
    )
    time.sleep(4)  # both schedulers sweep the same periods several times more
    assert all(beat.popen.poll() is None for beat in beats)  # both still scheduling

    assert digests_by_person(smtp) == {
        room.editor.email: ["Your hourly newsroom digest: 3 notifications"],
        second_editor.email: ["Your hourly newsroom digest: 3 notifications"],
        room.reporter.email: ["Your daily newsroom digest: 1 notification"],
    }
    made = rows(select(EmailDigest.person_id, EmailDigest.items, EmailDigest.email_state))
    assert sorted(made) == sorted(
        [(p.id, n, EmailState.SENT) for p, n in zip(people, [3, 3, 1], strict=True)]
    )
    waiting = rows(
        select(Notification.person_id, Notification.email_state).where(
            Notification.digest_id.is_(None), Notification.email_state != EmailState.NONE
        )
    )
    # Made now: the reporter's approval and request (daily), the editors' new submission.
    assert sorted(waiting) == sorted(
        [
            (room.reporter.id, EmailState.DAILY),
            (room.reporter.id, EmailState.DAILY),
            (room.editor.id, EmailState.HOURLY),
            (second_editor.id, EmailState.HOURLY),
        ]
    )
    (message,) = smtp.inbox.to(room.editor.email)
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    site = live_app.config["SITE_URL"]
    assert all(f"{site}/newsroom/stories/{s.id}" in text for s in stories)
