"""Notification e-mail choices and digests (issue 13): each person chooses, per kind (my
stories, my desk's queue, mentions), an e-mail at once, an hourly or a daily digest, or none;
the in-app notification comes whatever they choose. A digest is claimed once per person and
period and lists its items with absolute links; a period in which nothing happened sends
nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from editorial.extensions import db
from editorial.models import EmailDelivery, EmailDigest, EmailState, Notification, Person, Story
from editorial.services.accounts import update_profile
from editorial.services.digests import (
    pending_digest_ids,
    period_end,
    queue_digests,
    send_digests,
)
from editorial.services.errors import ValidationFailed
from editorial.services.notifications import email_delivery
from editorial.services.transitions import transition_story
from editorial.timeutil import utcnow
from editorial.workflow import Action, StoryState
from tests.conftest import Factory, csrf_token, login
from tests.web.conftest import Newsroom

Outbox = Callable[[], list[EmailMessage]]
# 10:20 in Dhaka (UTC+6) on 1 December: the last whole hour ended at 10:00 local (04:00 UTC),
# the last day at 07:00 local (01:00 UTC).
DAY = datetime(2026, 12, 1, 4, 20, tzinfo=UTC)
# Twenty minutes into the hour now being lived: what is made "now" falls after its last hour.
NOW = utcnow().replace(minute=20, second=0, microsecond=0)


def choose(person: Person, **choices: EmailDelivery) -> None:
    for column, choice in choices.items():
        setattr(person, column, choice)
    db.session.commit()


def submitted(make: Factory, nr: Newsroom, headline: str) -> Story:
    story = make.story(nr.reporter, nr.desk, headline=headline)
    transition_story(story, Action.SUBMIT, actor=nr.reporter)
    return story


def notifications_of(person: Person) -> list[Notification]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Notification).where(Notification.person_id == person.id).order_by("id")
        )
    )


def happened_at(person: Person, when: datetime) -> None:
    """Move this person's notifications back in time (they happened then)."""
    db.session.execute(
        update(Notification).where(Notification.person_id == person.id).values(created_at=when)
    )
    db.session.commit()


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return body.get_content()


def html_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return body.get_content()


def test_each_kind_follows_its_own_choice(
    app: Flask, nr: Newsroom, make: Factory, outbox: Outbox
) -> None:
    choose(nr.editor, email_desk_queue=EmailDelivery.HOURLY, email_my_stories=EmailDelivery.NONE)
    choose(nr.reporter, email_my_stories=EmailDelivery.DAILY)
    story = submitted(make, nr, "Port strike")  # -> the desk's editors: their queue
    transition_story(story, Action.APPROVE, actor=nr.editor)  # -> the author: my stories
    (to_editor,) = notifications_of(nr.editor)
    (to_reporter,) = notifications_of(nr.reporter)
    assert (to_editor.kind, to_editor.email_state) == ("story.submit", EmailState.HOURLY)
    assert (to_reporter.kind, to_reporter.email_state) == ("story.approve", EmailState.DAILY)
    assert to_editor.read_at is None and to_reporter.read_at is None  # in-app: always
    assert outbox() == []  # both wait for their digests
    assert email_delivery(nr.editor, "comment.mention") is EmailDelivery.IMMEDIATE
    # A failed scheduled publication does not wait for a digest; "none" is still none.
    assert email_delivery(nr.editor, "story.publish_failed") is EmailDelivery.IMMEDIATE
    choose(nr.editor, email_desk_queue=EmailDelivery.NONE)
    assert email_delivery(nr.editor, "story.publish_failed") is EmailDelivery.NONE


def test_immediate_is_sent_at_once_and_none_never(
    app: Flask, nr: Newsroom, make: Factory, outbox: Outbox
) -> None:
    choose(nr.editor, email_desk_queue=EmailDelivery.NONE)
    submitted(make, nr, "Flood warning")
    (quiet,) = notifications_of(nr.editor)
    assert quiet.email_state == EmailState.NONE
    choose(nr.editor, email_desk_queue=EmailDelivery.IMMEDIATE)
    submitted(make, nr, "Budget vote")
    sent = [m for m in outbox() if m["To"] == nr.editor.email]
    assert [m["Subject"] for m in sent] == ["Submitted for review: Budget vote"]
    assert send_digests(NOW + timedelta(days=1)) == []  # nothing waits for a digest


def test_hourly_digest_lists_the_hour_once_with_links(
    app: Flask, nr: Newsroom, make: Factory, outbox: Outbox
) -> None:
    choose(nr.editor, email_desk_queue=EmailDelivery.HOURLY)
    first, second = submitted(make, nr, "Port strike"), submitted(make, nr, "Rail fares <up>")
    happened_at(nr.editor, NOW - timedelta(minutes=40))  # in the last whole hour
    later = submitted(make, nr, "After the hour")  # made "now", after 10:00: the next digest

    (digest_id,) = send_digests(NOW)
    assert send_digests(NOW) == [] and send_digests(NOW + timedelta(minutes=5)) == []
    (mail,) = [m for m in outbox() if m["To"] == nr.editor.email]
    assert mail["Subject"] == "Your hourly newsroom digest: 2 notifications"
    site = app.config["SITE_URL"]
    text, html = text_of(mail), html_of(mail)
    for story in (first, second):
        assert f"{site}/newsroom/stories/{story.id}" in text
        assert f'href="{site}/newsroom/stories/{story.id}"' in html
    assert "Submitted for review: Rail fares <up>" in text
    assert "Rail fares &lt;up&gt;" in html and "<up>" not in html
    hour_end = (NOW - timedelta(minutes=20)).astimezone(ZoneInfo("Asia/Dhaka"))
    assert f"up to {hour_end:%d %b %Y, %H:%M}" in text and f"{site}/account" in text
    assert "After the hour" not in text
    digest = db.session.get(EmailDigest, digest_id)
    assert digest is not None
    assert (digest.items, digest.email_state, digest.email_attempts) == (2, EmailState.SENT, 1)
    states = {n.story_id: (n.email_state, n.digest_id) for n in notifications_of(nr.editor)}
    assert states[first.id] == states[second.id] == (EmailState.DIGESTED, digest_id)
    assert states[later.id] == (EmailState.HOURLY, None)


def test_a_period_in_which_nothing_happened_sends_nothing(
    app: Flask, nr: Newsroom, make: Factory, outbox: Outbox
) -> None:
    choose(nr.editor, email_desk_queue=EmailDelivery.HOURLY, email_my_stories=EmailDelivery.DAILY)
    assert send_digests(NOW) == []
    submitted(make, nr, "Made just now")  # after the last hour ended: not in that digest
    assert send_digests(NOW) == []
    assert db.session.scalars(select(EmailDigest)).all() == [] and outbox() == []


def test_daily_digest_covers_the_day_to_seven_newsroom_time(
    app: Flask, nr: Newsroom, make: Factory, outbox: Outbox
) -> None:
    assert period_end(EmailDelivery.DAILY, DAY) == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    before_seven = datetime(2026, 12, 1, 0, 59, tzinfo=UTC)  # 06:59 in Dhaka
    assert period_end(EmailDelivery.DAILY, before_seven) == datetime(2026, 11, 30, 1, tzinfo=UTC)
    assert period_end(EmailDelivery.HOURLY, DAY) == datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    choose(nr.reporter, email_my_stories=EmailDelivery.DAILY)
    story = make.story(nr.reporter, nr.desk, StoryState.APPROVED, editor=nr.editor)
    happened_at(nr.reporter, datetime(2026, 11, 30, 20, 0, tzinfo=UTC))  # 02:00 local
    assert send_digests(before_seven) == []  # 06:59: that day has not ended yet
    assert len(send_digests(DAY)) == 1
    (mail,) = [m for m in outbox() if m["To"] == nr.reporter.email]
    assert mail["Subject"] == "Your daily newsroom digest: 1 notification"
    assert f"/newsroom/stories/{story.id}" in text_of(mail)


def test_digest_subject_and_names_pass_header_text(
    app: Flask, nr: Newsroom, make: Factory, outbox: Outbox
) -> None:
    """The digest's headers go through mail.header_text() like every message's."""
    choose(nr.editor, email_desk_queue=EmailDelivery.HOURLY)
    submitted(make, nr, "Line\nbreak")
    happened_at(nr.editor, NOW - timedelta(minutes=30))
    send_digests(NOW)
    (mail,) = [m for m in outbox() if m["To"] == nr.editor.email]
    assert "\n" not in mail["Subject"] and "Line break" in text_of(mail).replace("\n", " ")


# -- bad values, on both databases -------------------------------------------------------------


@pytest.fixture
def both(any_app: Flask) -> Iterator[FlaskClient]:
    yield any_app.test_client()


JUNK = ["weekly", "", "IMMEDIATE", "immediate ", "none;", "1", "\uff48ourly", "x" * 5000]


@pytest.mark.parametrize("junk", JUNK)
def test_bad_choices_are_refused(both: FlaskClient, make: Factory, junk: str) -> None:
    person = make.reporter(name="Rafiq")
    with pytest.raises(ValidationFailed) as refused:
        update_profile(person, name="Rafiq", byline="", email={"email_mentions": junk})
    assert refused.value.errors == {"email_mentions": "Choose how these e-mails should reach you."}
    with pytest.raises(ValidationFailed):
        update_profile(person, name="Rafiq", byline="", email={"is_active": "none"})
    login(both, person)
    response = both.post(
        "/account",
        data={"name": "Rafiq", "email_mentions": junk, "csrf_token": csrf_token(both, "/account")},
    )
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Person, person.id).email_mentions == EmailDelivery.IMMEDIATE


def test_the_database_refuses_a_bad_choice_too(any_app: Flask, make: Factory) -> None:
    person = make.reporter()
    for column in ("email_my_stories", "email_desk_queue", "email_mentions"):
        with pytest.raises(IntegrityError):
            db.session.execute(
                update(Person).where(Person.id == person.id).values({column: "weekly"})
            )
            db.session.flush()
        db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.add(
            EmailDigest(person_id=person.id, frequency="weekly", period_end=DAY, items=0)
        )
        db.session.flush()
    db.session.rollback()


def retry_the_pending() -> int:
    """The mail retry job's digest half, as a worker runs it. (Its read transaction ends before
    the eager task runs: in a worker the task is a message, not a nested SQLite writer.)"""
    ids = pending_digest_ids()
    db.session.commit()
    queue_digests(ids)
    return len(ids)


def test_a_digest_whose_task_was_lost_goes_with_the_retry_job(
    app: Flask, nr: Newsroom, make: Factory, outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broker was away when the digest was claimed: the row waits, pending, and the mail
    retry job (beat `mail:retry`) sends it once."""
    choose(nr.editor, email_desk_queue=EmailDelivery.HOURLY)
    submitted(make, nr, "Port strike")
    happened_at(nr.editor, NOW - timedelta(minutes=30))
    with monkeypatch.context() as broker_down:
        broker_down.setattr("editorial.services.digests.enqueue", lambda *a, **k: False)
        (digest_id,) = send_digests(NOW)
    assert outbox() == []
    db.session.execute(update(EmailDigest).values(created_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert retry_the_pending() == 1
    assert retry_the_pending() == 0
    assert [m["Subject"] for m in outbox() if m["To"] == nr.editor.email] == [
        "Your hourly newsroom digest: 1 notification"
    ]
    digest = db.session.get(EmailDigest, digest_id)
    assert digest is not None and digest.email_state == EmailState.SENT
