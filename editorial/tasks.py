"""Celery tasks: thin wrappers around services, taking ids, safe to run twice."""

from __future__ import annotations

import smtplib

from celery import shared_task
from flask import current_app
from sqlalchemy import text

from editorial.services import notifications, publishing


@shared_task(
    name="editorial.tasks.publish_due_stories",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=1,
    retry_backoff_max=10,
    max_retries=5,
)
def publish_due_stories(story_id: int | None = None) -> list[int]:
    """Woken at a story's publish time: publish everything due (a no-op if already done)."""
    return publishing.publish_due_stories()


@shared_task(name="editorial.tasks.sweep_due_stories")
def sweep_due_stories() -> list[int]:
    """The periodic safety net (beat `publish:due`)."""
    return publishing.sweep()


@shared_task(name="editorial.tasks.queue_upcoming_stories")
def queue_upcoming_stories() -> int:
    """Give stories coming within range their on-time ETA task (beat `publish:upcoming`)."""
    return publishing.queue_upcoming()


@shared_task(
    name="editorial.tasks.deliver_notification_email", bind=True, max_retries=8, acks_late=True
)
def deliver_notification_email(self, notification_id: int) -> bool:
    """Send one notification's e-mail copy, retrying with back-off while the server is away."""
    final = self.request.retries >= self.max_retries
    try:
        return notifications.deliver_notification_email(notification_id, final_attempt=final)
    except (OSError, smtplib.SMTPException) as error:
        if final:
            raise
        raise self.retry(exc=error, countdown=min(2**self.request.retries, 60)) from error


@shared_task(name="editorial.tasks.retry_pending_emails")
def retry_pending_emails() -> int:
    """Re-queue e-mails left pending (queued while the broker was down, or lost with it)."""
    ids = notifications.pending_email_ids()
    notifications.queue_emails(ids)
    return len(ids)


@shared_task(name="editorial.tasks.tidy_embedded_broker")
def tidy_embedded_broker() -> int:
    """kombu's SQLAlchemy transport keeps every delivered message; delete those rows."""
    broker = current_app.config["CELERY"]["broker_url"]
    if not broker.startswith("sqla+"):
        return 0
    from sqlalchemy import create_engine

    engine = create_engine(broker.removeprefix("sqla+"))
    try:
        with engine.begin() as connection:
            return connection.execute(text("DELETE FROM kombu_message WHERE visible = 0")).rowcount
    finally:
        engine.dispose()
