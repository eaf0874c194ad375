"""Who hears about what: in-app notifications, each with an e-mail copy sent exactly once."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from flask import current_app, render_template
from sqlalchemy import or_, select, update

from editorial.extensions import db
from editorial.mail import send_message
from editorial.models import Comment, EmailState, Notification, Person, Story
from editorial.services import after_commit
from editorial.timeutil import utcnow
from editorial.workflow import Action, Role

log = logging.getLogger(__name__)

# A claim older than this is taken to belong to a worker that died mid-send.
STALE_CLAIM = timedelta(minutes=10)

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
}


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
            email_state=EmailState.PENDING if person.wants_email else EmailState.NONE,
        )
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    ids = [r.id for r in rows if r.email_state == EmailState.PENDING]
    if ids:
        after_commit(lambda: queue_emails(ids))
    return rows


def notify_story_event(
    action: Action, story: Story, *, actor: Person | None, note: str = ""
) -> list[Notification]:
    """Notify the people PRODUCT.md names for this workflow event (never the actor)."""
    if action not in STORY_EVENTS:
        return []
    audience, subject = STORY_EVENTS[action]
    people = desk_editors(story.desk_id) if audience == "desk_editors" else story.authors
    people = [p for p in people if actor is None or p.id != actor.id]
    by = actor.name if actor else "The scheduler"
    message = f"{by}: {note}" if note else f"By {by}."
    return notify(
        people,
        kind=f"story.{action.value}",
        subject=subject.format(headline=story.headline),
        message=message,
        story=story,
        link=_story_link(story),
    )


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


def notify_publish_failed(story: Story, error: str) -> list[Notification]:
    """A scheduled publication failed: the desk's editors must know at once."""
    return notify(
        desk_editors(story.desk_id),
        kind="story.publish_failed",
        subject=f"Scheduled publish FAILED: {story.headline}",
        message=error[:1000],
        story=story,
        link=_story_link(story),
    )


def queue_emails(notification_ids: list[int]) -> None:
    """Hand e-mail copies to Celery; if the broker is down the retry sweep picks them up."""
    from editorial.tasks import deliver_notification_email

    for notification_id in notification_ids:
        try:
            deliver_notification_email.apply_async((notification_id,), retry=False)
        except Exception:
            log.warning(
                "could not queue e-mail for notification %s; the sweep will retry",
                notification_id,
                exc_info=True,
            )


def claim_email(notification_id: int) -> Notification | None:
    """Claim one e-mail for sending with a conditional UPDATE, so it goes out once."""
    now = utcnow()
    claimed = db.session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            or_(
                Notification.email_state == EmailState.PENDING,
                (Notification.email_state == EmailState.SENDING)
                & (Notification.email_claimed_at < now - STALE_CLAIM),
            ),
        )
        .values(
            email_state=EmailState.SENDING,
            email_claimed_at=now,
            email_attempts=Notification.email_attempts + 1,
        )
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return db.session.get(Notification, notification_id) if claimed else None


def _set_email_state(notification_id: int, state: EmailState) -> None:
    values: dict[str, object] = {"email_state": state}
    if state is EmailState.SENT:
        values["email_sent_at"] = utcnow()
    db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def deliver_notification_email(notification_id: int, *, final_attempt: bool = False) -> bool:
    """Send the e-mail copy of a notification. True if sent now; False if not ours to send.

    A connection failure puts it back to pending and re-raises, so Celery retries with back-off;
    on the final attempt it is marked failed instead.
    """
    notification = claim_email(notification_id)
    if notification is None:
        return False
    person = notification.person
    context = {
        "notification": notification,
        "person": person,
        "site_name": current_app.config["SITE_NAME"],
    }
    try:
        send_message(
            to=person.email,
            subject=notification.subject,
            text=render_template("email/notification.txt", **context),
            html=render_template("email/notification.html", **context),
        )
    except Exception:
        _set_email_state(
            notification_id, EmailState.FAILED if final_attempt else EmailState.PENDING
        )
        raise
    _set_email_state(notification_id, EmailState.SENT)
    return True


def pending_email_ids(older_than: timedelta = timedelta(seconds=60)) -> list[int]:
    """E-mails that should have gone by now (queued while the broker was down, or lost)."""
    cutoff = utcnow() - older_than
    return list(
        db.session.scalars(
            select(Notification.id)
            .where(
                or_(
                    (Notification.email_state == EmailState.PENDING)
                    & (Notification.created_at < cutoff),
                    (Notification.email_state == EmailState.SENDING)
                    & (Notification.email_claimed_at < utcnow() - STALE_CLAIM),
                )
            )
            .limit(500)
        )
    )
