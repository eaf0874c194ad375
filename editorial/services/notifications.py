"""Who hears about what: in-app notifications, each with an e-mail copy sent exactly once."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import TypeVar

from flask import current_app, render_template
from sqlalchemy import func, insert, inspect, or_, select, update
from sqlalchemy.orm import joinedload

from editorial.extensions import db
from editorial.jobs import Job, enqueue
from editorial.mail import is_transient, new_message_id, send_message
from editorial.models import (
    Comment,
    EmailDelivery,
    EmailDigest,
    EmailState,
    Notification,
    Person,
    Story,
)
from editorial.models.loading import load_missing
from editorial.services import after_commit, counters
from editorial.timeutil import utcnow
from editorial.workflow import Action, Role

log = logging.getLogger(__name__)

# A pending e-mail claimed longer ago than this has lost its retry chain (it is longer than the
# longest pause between two e-mail retries, tasks.MAIL_MAX_BACKOFF_SECONDS).
STALE_CLAIM = timedelta(minutes=10)
# More e-mails than this from one commit are handed over as one fan-out task.
FAN_OUT_ABOVE = 5

# action -> (who hears, subject template)
STORY_EVENTS: dict[Action, tuple[str, str]] = {
    Action.SUBMIT: ("desk_editors", "Submitted for review: {headline}"),
    Action.REQUEST_CHANGES: ("authors", "Changes requested: {headline}"),
    Action.APPROVE: ("authors", "Approved: {headline}"),
    Action.SCHEDULE: ("authors", "Scheduled: {headline}"),
    Action.PUBLISH: ("authors", "Published: {headline}"),
    Action.PUBLISH_SCHEDULED: ("authors", "Published: {headline}"),
    Action.REPUBLISH: ("authors", "Republished: {headline}"),
    Action.WITHDRAW: ("authors", "Withdrawn: {headline}"),
    Action.SPIKE: ("authors", "Spiked: {headline}"),
    Action.UNPUBLISH_SCHEDULED: ("authors", "Withdrawn: {headline}"),
    Action.SUBMIT_UPDATE: ("desk_editors", "Update submitted for review: {headline}"),
    Action.REQUEST_UPDATE_CHANGES: ("authors", "Changes requested to the update: {headline}"),
    Action.APPROVE_UPDATE: ("authors", "Update approved: {headline}"),
    Action.PUBLISH_UPDATE: ("authors", "Update published: {headline}"),
    Action.SCHEDULE_UPDATE: ("authors", "Update scheduled: {headline}"),
    Action.PUBLISH_UPDATE_SCHEDULED: ("authors", "Update published: {headline}"),
}

# Which of a person's three e-mail choices governs a kind (anything else: "my stories").
PREFERENCE_OF_KIND = {
    "story.submit": "email_desk_queue",
    "story.publish_failed": "email_desk_queue",
    "story.update_failed": "email_desk_queue",
    "comment.mention": "email_mentions",
}
# An alarm does not wait for a digest: these go at once to anyone who takes their kind's e-mail.
URGENT_KINDS = frozenset({"story.publish_failed", "story.update_failed"})


def email_delivery(person: Person, kind: str) -> EmailDelivery:
    """How this person gets the e-mail copy of a notification of this kind."""
    choice = EmailDelivery(getattr(person, PREFERENCE_OF_KIND.get(kind, "email_my_stories")))
    if kind in URGENT_KINDS and choice is not EmailDelivery.NONE:
        return EmailDelivery.IMMEDIATE
    return choice


def desk_editors(desk_id: int) -> list[Person]:
    """Active desk editors of a desk."""
    from editorial.models import StaffRole, desk_members

    return list(
        db.session.scalars(
            select(Person)
            .join(desk_members, desk_members.c.person_id == Person.id)
            .join(StaffRole, StaffRole.person_id == Person.id)
            .where(
                desk_members.c.desk_id == desk_id,
                StaffRole.role == Role.DESK_EDITOR,
                Person.is_active.is_(True),
            )
        ).unique()
    )


def _story_link(story: Story) -> str:
    """A path, not url_for(): notifications are also made by the worker, outside a request."""
    return f"/newsroom/stories/{story.id}"


def notify(
    people: Iterable[Person],
    *,
    kind: str,
    subject: str,
    message: str = "",
    story: Story | None = None,
    link: str = "",
) -> list[Notification]:
    """Add notifications to the session; e-mail copies are queued after commit."""
    rows = _add(people, kind=kind, subject=subject, message=message, story=story, link=link)
    _email_after_commit(rows)
    return rows


def _add(
    people: Iterable[Person],
    *,
    kind: str,
    subject: str,
    message: str,
    story: Story | None,
    link: str,
) -> list[Notification]:
    rows = []
    for person in {p.id: p for p in people if p.is_active}.values():
        row = Notification(
            person_id=person.id,
            kind=kind,
            subject=subject[:255],
            message=message,
            story_id=story.id if story else None,
            link=link,
            created_at=utcnow(),
            email_state=email_delivery(person, kind).waiting_state,
        )
        db.session.add(row)
        rows.append(row)
    return rows


def _email_after_commit(rows: list[Notification]) -> None:
    """Queue the e-mail copies once the rows are committed.

    No flush here: a batch publish notifies for hundreds of stories, and one flush at commit
    inserts all their rows in a few statements instead of one round trip per story. The ids
    are read from the identity map afterwards, without a query.
    """
    emailed = [r for r in rows if r.email_state == EmailState.PENDING]
    if emailed:
        after_commit(lambda: queue_emails([_committed_id(r) for r in emailed]))


def _committed_id(row: Notification) -> int:
    """The primary key from the identity map: reading `row.id` after commit would reload it."""
    identity = inspect(row).identity
    assert identity is not None, "called after commit, when every row has its identity"
    return int(identity[0])


def notify_story_event(
    action: Action, story: Story, *, actor: Person | None, note: str = ""
) -> list[Notification]:
    """Notify the people PRODUCT.md names for this workflow event (never the actor)."""
    if action not in STORY_EVENTS:
        return []
    audience, subject = STORY_EVENTS[action]
    return notify(
        [p for p in _audience(audience, story) if actor is None or p.id != actor.id],
        kind=f"story.{action.value}",
        subject=subject.format(headline=story.headline),
        message=_by(actor, note),
        story=story,
        link=_story_link(story),
    )


def notify_story_events(
    action: Action, stories: Iterable[Story], notes: Mapping[int, str] | None = None
) -> list[int]:
    """The scheduler's event for many stories at once (a batch publish); returns the ids.
    `notes`: a story's note by id (a scheduled unpublish carries its editor's).

    One INSERT for all the rows instead of an ORM object each, and one e-mail hand-off: with
    a thousand stories due at one instant this is most of the publishing transaction.
    """
    if action not in STORY_EVENTS:
        return []
    audience, subject = STORY_EVENTS[action]
    now, notes = utcnow(), notes or {}
    values = [
        {
            "person_id": person.id,
            "kind": f"story.{action.value}",
            "story_id": story.id,
            "subject": subject.format(headline=story.headline)[:255],
            "message": _by(None, notes.get(story.id, "")),
            "link": _story_link(story),
            "created_at": now,
            "email_state": email_delivery(person, f"story.{action.value}").waiting_state,
        }
        for story in stories
        for person in {p.id: p for p in _audience(audience, story) if p.is_active}.values()
    ]
    if not values:
        return []
    rows = db.session.execute(
        insert(Notification).returning(
            Notification.id, Notification.email_state, sort_by_parameter_order=True
        ),
        values,
    ).all()
    emailed = [r.id for r in rows if r.email_state == EmailState.PENDING]
    if emailed:
        after_commit(lambda: queue_emails(emailed))
    return [r.id for r in rows]


def _audience(audience: str, story: Story) -> list[Person]:
    if audience != "desk_editors":
        load_missing(story, "authors")
    return desk_editors(story.desk_id) if audience == "desk_editors" else list(story.authors)


def _by(actor: Person | None, note: str) -> str:
    if actor is None:
        return f"The scheduler: {note}" if note else "Published by the scheduler."
    return f"{actor.name}: {note}" if note else f"By {actor.name}."


def notify_mentions(
    story: Story, comment: Comment, people: list[Person], *, actor: Person
) -> list[Notification]:
    """Tell the people @mentioned in a comment."""
    people = [p for p in people if p.id != actor.id]
    return notify(
        people,
        kind="comment.mention",
        subject=f"{actor.name} mentioned you on “{story.headline}”",
        message=comment.body[:1000],
        story=story,
        link=_story_link(story) + f"#comment-{comment.id}",
    )


def notify_publish_failed(story: Story, error: str, *, what: str = "publish") -> list[Notification]:
    """A scheduled publication (or `what`: unpublish) failed: the desk's editors must know at
    once."""
    return notify(
        desk_editors(story.desk_id),
        kind=f"story.{what}_failed",
        subject=f"Scheduled {what} FAILED: {story.headline}",
        message=error[:1000],
        story=story,
        link=_story_link(story),
    )


def queue_emails(notification_ids: list[int], *, fan_out: bool = True) -> None:
    """Hand e-mail copies to Celery; if the broker is down the retry job picks them up.

    Many at once (a batch publish) go as one message that a worker expands, so the publishing
    transaction's thread is not held up queueing a hundred tasks.
    """
    if fan_out and len(notification_ids) > FAN_OUT_ABOVE:
        if not enqueue(Job.QUEUE_NOTIFICATION_EMAILS, args=(list(notification_ids),)):
            log.info("%d e-mails left pending for the retry job", len(notification_ids))
        return
    for notification_id in notification_ids:
        if not enqueue(Job.DELIVER_NOTIFICATION_EMAIL, args=(notification_id,)):
            log.info("e-mail for notification %s left pending for the retry job", notification_id)


def sending_lease() -> timedelta:
    """How long a "sending" claim holds: past it, its worker is taken to have died mid-send.

    Each SMTP conversation is cut off at half of it (mail.send_message's `within`), so a live
    send always ends, and is marked, inside its lease.
    """
    return timedelta(seconds=float(current_app.config["MAIL_SENDING_LEASE_SECONDS"]))


Mail = type[Notification] | type[EmailDigest]
M = TypeVar("M", Notification, EmailDigest)


def claim_email(model: type[M], row_id: int) -> M | None:
    """Claim one e-mail (a notification's copy or a digest) for sending with a conditional
    UPDATE, so it goes out once. Its Message-ID is fixed by the first claim and kept."""
    now = utcnow()
    claimed = db.session.execute(
        update(model)
        .where(
            model.id == row_id,
            or_(
                model.email_state == EmailState.PENDING,
                (model.email_state == EmailState.SENDING)
                & (model.email_claimed_at < now - sending_lease()),
            ),
        )
        .values(
            email_state=EmailState.SENDING,
            email_claimed_at=now,
            email_attempts=model.email_attempts + 1,
            email_message_id=func.coalesce(model.email_message_id, new_message_id()),
        )
        .returning(model.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    if not claimed:
        return None
    # populate_existing: a copy already in the session (made by this worker) has no person.
    return db.session.get(model, row_id, options=[joinedload(model.person)], populate_existing=True)


# What each state set after an attempt counts as (editorial_emails_total{outcome}).
ATTEMPT_OUTCOMES = {
    EmailState.SENT: "sent",
    EmailState.PENDING: "retried",
    EmailState.FAILED: "failed",
}


def _set_email_state(model: Mail, row_id: int, state: EmailState) -> None:
    values: dict[str, object] = {"email_state": state}
    counters.add({(counters.EMAIL, ATTEMPT_OUTCOMES[state]): 1})
    if state is EmailState.SENT:
        values["email_sent_at"] = utcnow()
    db.session.execute(
        update(model)
        .where(model.id == row_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def deliver_notification_email(notification_id: int, *, final_attempt: bool = False) -> bool:
    """Send the e-mail copy of a notification. True if sent now; False if not ours to send.

    It is marked sent the moment the server answers 250 to the message, before QUIT: a worker
    killed after that sends nothing twice. Killed between the 250 and that commit (one UPDATE),
    the claim's lease runs out and it is sent again, with the same Message-ID. A connection
    failure puts it back to pending and re-raises, so Celery retries with back-off; on the
    final attempt it is marked failed instead.
    """
    notification = claim_email(Notification, notification_id)
    if notification is None:
        return False
    send_claimed(
        notification,
        subject=notification.subject,
        template="email/notification",
        context={"notification": notification},
        final_attempt=final_attempt,
    )
    return True


def send_claimed(
    row: Notification | EmailDigest,
    *,
    subject: str,
    template: str,
    context: dict[str, object],
    final_attempt: bool,
) -> None:
    """Send a claimed e-mail (plain text and HTML from `template`.txt/.html) to its person.

    It is marked sent the moment the server answers 250, before QUIT; a failure puts it back
    to pending (a transient one, not on the final attempt) or marks it failed, and re-raises.
    """
    model, row_id, person = type(row), row.id, row.person
    context = {**context, "person": person, "site_name": current_app.config["SITE_NAME"]}
    accepted = False

    def mark_sent() -> None:
        nonlocal accepted
        accepted = True
        _set_email_state(model, row_id, EmailState.SENT)

    try:
        send_message(
            to=person.email,
            subject=subject,
            text=render_template(f"{template}.txt", **context),
            html=render_template(f"{template}.html", **context),
            message_id=row.email_message_id,
            within=sending_lease().total_seconds() / 2,
            on_accepted=mark_sent,
        )
    except Exception as error:
        if accepted:  # sent, but not recorded: the lease decides, sending now would repeat it
            log.error("e-mail %s %s sent but not marked: %s", model.__tablename__, row_id, error)
            return
        retry = is_transient(error) and not final_attempt
        _set_email_state(model, row_id, EmailState.PENDING if retry else EmailState.FAILED)
        if not retry:
            log.error("e-mail %s %s failed for good: %s", model.__tablename__, row_id, error)
        raise


def pending_email_ids(
    older_than: timedelta = timedelta(seconds=60), *, model: Mail = Notification
) -> list[int]:
    """E-mails whose task was lost: never tried (queued while the broker was down, or flushed
    with it), or whose retry chain went silent, or whose sender died mid-send.

    A message between two retries is PENDING with a recent claim and is left to its own task,
    so an SMTP outage does not multiply the tasks for one message.
    """
    now = utcnow()
    pending = model.email_state == EmailState.PENDING
    return list(
        db.session.scalars(
            select(model.id)
            .where(
                or_(
                    pending
                    & model.email_claimed_at.is_(None)
                    & (model.created_at < now - older_than),
                    pending & (model.email_claimed_at < now - STALE_CLAIM),
                    (model.email_state == EmailState.SENDING)
                    & (model.email_claimed_at < now - sending_lease()),
                )
            )
            .order_by(model.id)
            .limit(500)
        )
    )


def mark_read(person: Person, notification_id: int | None = None) -> int:
    """Mark one (or every) unread notification of this person read; returns how many changed."""
    from editorial.services import commit

    conditions = [Notification.person_id == person.id, Notification.read_at.is_(None)]
    if notification_id is not None:
        conditions.append(Notification.id == notification_id)
    changed = db.session.execute(
        update(Notification)
        .where(*conditions)
        .values(read_at=utcnow())
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).all()
    commit()
    return len(changed)
