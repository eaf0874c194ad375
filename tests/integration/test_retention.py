"""Retention: old read notifications, revoked sessions and delivered messages of the embedded
broker are pruned by periodic tasks; what is still in use stays; a second run deletes nothing."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from editorial.celery_app import BEAT_SCHEDULE_DEFAULTS
from editorial.extensions import db
from editorial.jobs import Job, enqueue
from editorial.models import (
    EditorPresence,
    EmailDelivery,
    EmailDigest,
    EmailState,
    LoginSession,
    Notification,
    WorkingCopy,
)
from editorial.services.staff import start_session
from editorial.tasks import prune_old_rows, tidy_embedded_broker
from editorial.timeutil import utcnow
from tests.conftest import Factory


def _notification(person_id: int, read_days_ago: int | None, email: EmailState) -> int:
    now = utcnow()
    row = Notification(
        person_id=person_id,
        kind="test",
        subject="A notice",
        created_at=now - timedelta(days=400),
        read_at=None if read_days_ago is None else now - timedelta(days=read_days_ago),
        email_state=email,
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def _session(person, revoked_days_ago: int | None) -> int:
    start_session(person)
    row = db.session.scalars(sa.select(LoginSession).order_by(LoginSession.id.desc())).first()
    assert row is not None
    row.created_at = utcnow() - timedelta(days=500)
    if revoked_days_ago is not None:
        row.revoked_at = utcnow() - timedelta(days=revoked_days_ago)
    db.session.commit()
    return row.id


def test_old_read_notifications_and_revoked_sessions_go(any_app: Flask, make: Factory) -> None:
    person = make.reporter(make.desk())
    old_read = _notification(person.id, 120, EmailState.SENT)
    kept = {
        _notification(person.id, 10, EmailState.SENT),  # read recently
        _notification(person.id, None, EmailState.NONE),  # never read, however old
        _notification(person.id, 120, EmailState.PENDING),  # its e-mail is still on its way
    }
    old_revoked = _session(person, 45)
    live = {_session(person, 3), _session(person, None)}  # recently revoked; signed in

    nothing = {"digests": 0, "working_copies": 0, "presence": 0}
    assert prune_old_rows.run() == {"notifications": 1, "sessions": 1, **nothing}
    assert prune_old_rows.run() == {"notifications": 0, "sessions": 0, **nothing}  # twice is safe
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(Notification.id))) == kept
    assert set(db.session.scalars(sa.select(LoginSession.id))) == live
    assert db.session.get(Notification, old_read) is None
    assert db.session.get(LoginSession, old_revoked) is None


def test_old_working_copies_and_presence_go(any_app: Flask, make: Factory) -> None:
    desk = make.desk()
    person = make.reporter(desk)
    story = make.story(person, desk)
    now = utcnow()
    for n, days in enumerate((61, 59)):
        db.session.add(
            WorkingCopy(
                person_id=person.id,
                key=f"new:draft-key-{n}",
                fields={"body": "unsaved"},
                saved_at=now - timedelta(days=days),
            )
        )
    db.session.add(
        EditorPresence(
            story_id=story.id, person_id=person.id, since=now, seen_at=now - timedelta(days=2)
        )
    )
    db.session.commit()
    pruned = prune_old_rows.run()
    assert (pruned["working_copies"], pruned["presence"]) == (1, 1)
    db.session.expire_all()
    assert list(db.session.scalars(sa.select(WorkingCopy.key))) == ["new:draft-key-1"]
    assert prune_old_rows.run()["working_copies"] == 0


def _digest(person_id: int, ended_days_ago: int, email: EmailState) -> int:
    ended = utcnow() - timedelta(days=ended_days_ago)
    row = EmailDigest(
        person_id=person_id,
        frequency=EmailDelivery.DAILY,
        period_end=ended,
        items=1,
        created_at=ended,
        email_state=email,
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def test_digests_go_90_days_after_their_period(any_app: Flask, make: Factory) -> None:
    person = make.reporter(make.desk())
    old = _digest(person.id, 91, EmailState.SENT)
    failed = _digest(person.id, 120, EmailState.FAILED)
    kept = {
        _digest(person.id, 89, EmailState.SENT),  # within the window
        _digest(person.id, 120, EmailState.SENDING),  # a worker holds it
        _digest(person.id, 121, EmailState.PENDING),  # still on its way
    }
    carried = _notification(person.id, None, EmailState.DIGESTED)  # unread: kept for good
    db.session.get(Notification, carried).digest_id = old
    db.session.commit()

    assert prune_old_rows.run()["digests"] == 2
    assert prune_old_rows.run()["digests"] == 0  # twice is safe
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(EmailDigest.id))) == kept
    assert db.session.get(EmailDigest, failed) is None
    notification = db.session.get(Notification, carried)
    assert notification.email_state == EmailState.DIGESTED and notification.digest_id is None


def test_beat_runs_the_retention_tasks() -> None:
    tasks = {entry["task"] for entry in BEAT_SCHEDULE_DEFAULTS.values()}
    assert {"editorial.tasks.prune_old_rows", "editorial.tasks.tidy_embedded_broker"} <= tasks


def test_delivered_messages_of_the_embedded_broker_are_deleted(embedded_app: Flask) -> None:
    for _ in range(4):
        assert enqueue(Job.RETRY_PENDING_EMAILS)
    broker = embedded_app.config["CELERY"]["broker_url"]
    engine = sa.create_engine(broker.removeprefix("sqla+"))
    with engine.begin() as connection:  # as a worker leaves them once delivered
        connection.execute(sa.text("UPDATE kombu_message SET visible = 0 WHERE id <= 3"))
    assert tidy_embedded_broker.run() == 3
    assert tidy_embedded_broker.run() == 0
    with engine.connect() as connection:
        left = connection.execute(sa.text("SELECT count(*) FROM kombu_message")).scalar()
    assert left == 1  # the undelivered message stays
    engine.dispose()
