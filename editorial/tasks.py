"""Celery tasks: thin wrappers around services, taking ids, safe to run twice."""

from __future__ import annotations

import logging
import random
import smtplib
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from celery import Task, shared_task
from flask import current_app
from sqlalchemy import text

from editorial.jobs import Job
from editorial.mail import is_transient
from editorial.services import (
    accounts,
    counters,
    digests,
    notifications,
    public_media,
    publishing,
    renditions,
    scheduled_updates,
    unpublishing,
)
from editorial.services.retention import prune
from editorial.timeutil import utcnow

log = logging.getLogger(__name__)

# An ETA task may wake a hair before the stored publish time (clock and timer resolution);
# it waits that long rather than leave the story to the next sweep.
EARLY_WAKE_TOLERANCE_SECONDS = 3.0

# E-mail retries: 1, 2, 4 ... 256, then every 300 s: about 25 minutes in all, plus jitter.
MAIL_MAX_RETRIES = 12
MAIL_MAX_BACKOFF_SECONDS = 300
# A claimed e-mail's task: acknowledged after it ran (a killed worker's task comes back, and
# the claim keeps it from being sent twice), retried through _with_mail_retries.
CLAIMED_MAIL_TASK: dict[str, Any] = {
    "bind": True,
    "max_retries": MAIL_MAX_RETRIES,
    "acks_late": True,
}


def mail_backoff(retries: int) -> float:
    """Seconds before e-mail retry number `retries` + 1, with jitter so a returning server is
    not hit by every waiting message in the same second."""
    return min(2.0**retries, MAIL_MAX_BACKOFF_SECONDS) * random.uniform(1.0, 1.25)


# The wake-up tasks: acknowledged once done (a worker killed mid-way leaves the message), and
# retried quickly while the database is away.
WAKE_UP: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 1,
    "retry_backoff_max": 10,
    "max_retries": 5,
}


@shared_task(name=Job.PUBLISH_DUE, **WAKE_UP)
def publish_due_stories(self, at: str | None = None) -> list[int]:
    """Woken at a publish time: publish everything due (a no-op if already done, or if the
    stories of that instant were unscheduled or moved)."""
    _wait_for(self, at)
    return publishing.publish_due()


def _wait_for(task: Any, at: str | None) -> None:
    """An ETA task woken a hair early waits for its instant (not for the next sweep)."""
    if at and not task.request.is_eager:
        wait = (datetime.fromisoformat(at) - utcnow()).total_seconds()
        if 0 < wait <= EARLY_WAKE_TOLERANCE_SECONDS:
            time.sleep(wait)


@shared_task(name=Job.SWEEP_DUE)
def sweep_due_stories() -> list[int]:
    """The periodic safety net (beat `publish:due`)."""
    return publishing.sweep()


@shared_task(name=Job.QUEUE_UPCOMING)
def queue_upcoming_stories() -> int:
    """Give stories coming within range their on-time ETA task (beat `publish:upcoming`)."""
    return publishing.queue_upcoming()


@shared_task(name=Job.UNPUBLISH_DUE, **WAKE_UP)
def unpublish_due_stories(self, at: str | None = None) -> list[int]:
    """Woken at an unpublish time: withdraw everything due (a no-op if already done, or if
    the withdrawals of that instant were cancelled or moved)."""
    _wait_for(self, at)
    return unpublishing.unpublish_due()


@shared_task(name=Job.SWEEP_UNPUBLISH_DUE)
def sweep_due_unpublishes() -> list[int]:
    """The periodic safety net for withdrawals (beat `unpublish:due`)."""
    return unpublishing.unpublish_due()


@shared_task(name=Job.QUEUE_UPCOMING_UNPUBLISHES)
def queue_upcoming_unpublishes() -> int:
    """Give withdrawals coming within range their ETA task (beat `unpublish:upcoming`)."""
    return unpublishing.queue_upcoming()


@shared_task(name=Job.PUBLISH_UPDATES_DUE, **WAKE_UP)
def publish_due_updates(self, at: str | None = None) -> list[int]:
    """Woken at a scheduled update's time: publish every update due (a no-op if already
    done, or if the updates of that instant were unscheduled or moved)."""
    _wait_for(self, at)
    return scheduled_updates.publish_due_updates()


@shared_task(name=Job.SWEEP_UPDATES_DUE)
def sweep_due_update_publishes() -> list[int]:
    """The periodic safety net for scheduled updates (beat `updates:due`)."""
    return scheduled_updates.publish_due_updates()


@shared_task(name=Job.QUEUE_UPCOMING_UPDATES)
def queue_upcoming_update_publishes() -> int:
    """Give updates coming within range their ETA task (beat `updates:upcoming`)."""
    return scheduled_updates.queue_upcoming()


@shared_task(name=Job.DELIVER_NOTIFICATION_EMAIL, **CLAIMED_MAIL_TASK)
def deliver_notification_email(self, notification_id: int) -> bool:
    """Send one notification's e-mail copy, retrying with back-off while the server is away.

    Connection errors and 4xx replies are retried; a 5xx reply or any other error is final
    (the notification is marked failed by the service).
    """
    return _with_mail_retries(self, notification_id, notifications.deliver_notification_email)


def _with_mail_retries(task: Task, row_id: int, deliver: Callable[..., bool]) -> bool:
    """Run a claimed-e-mail delivery, retrying transient failures with back-off."""
    final = task.request.retries >= (task.max_retries or 0)
    try:
        return deliver(row_id, final_attempt=final)
    except Exception as error:
        if final:
            raise
        if not is_transient(error):
            return False  # marked failed and logged by the service; retrying cannot help
        log.info("e-mail %s: %s; retrying", row_id, error)
        raise task.retry(exc=error, countdown=mail_backoff(task.request.retries)) from error


@shared_task(name=Job.QUEUE_NOTIFICATION_EMAILS)
def queue_notification_emails(notification_ids: list[int]) -> int:
    """Expand one batch hand-off into a task per e-mail (see notifications.queue_emails)."""
    notifications.queue_emails(notification_ids, fan_out=False)
    return len(notification_ids)


@shared_task(name=Job.RETRY_PENDING_EMAILS)
def retry_pending_emails() -> int:
    """Re-queue e-mails left pending (queued while the broker was down, or lost with it)."""
    ids = notifications.pending_email_ids()
    notifications.queue_emails(ids)
    digest_ids = digests.pending_digest_ids()
    digests.queue_digests(digest_ids)
    return len(ids) + len(digest_ids)


@shared_task(name=Job.QUEUE_DIGEST_EMAILS)
def queue_digest_emails() -> list[int]:
    """Claim the digests of every period that has ended (beat `mail:digests`)."""
    return digests.send_digests()


@shared_task(name=Job.SEND_DIGEST_EMAIL, **CLAIMED_MAIL_TASK)
def send_digest_email(self, digest_id: int) -> bool:
    """Send one digest e-mail, retrying like a notification's copy."""
    return _with_mail_retries(self, digest_id, digests.deliver_digest_email)


@shared_task(name=Job.TIDY_EMBEDDED_BROKER)
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


@shared_task(name=Job.PRUNE_OLD_ROWS)
def prune_old_rows() -> dict[str, int]:
    """Delete read notifications and revoked sessions past their windows (services.retention)."""
    return prune()


@shared_task(name=Job.SEND_ACCOUNT_EMAIL, bind=True, max_retries=8, acks_late=True)
def send_account_email(self, person_id: int, kind: str) -> bool:
    """Send an invitation or password reset e-mail; the link is made now, at send time."""
    try:
        sent = accounts.deliver_account_email(person_id, kind)
    except (OSError, smtplib.SMTPException) as error:
        final = self.request.retries >= self.max_retries or not is_transient(error)
        counters.count_email("failed" if final else "retried")
        if final:
            raise  # a 5xx answer will not change with time
        raise self.retry(exc=error, countdown=mail_backoff(self.request.retries)) from error
    if sent:
        counters.count_email("sent")
    return sent


@shared_task(name=Job.MAKE_RENDITIONS, acks_late=True)
def make_renditions(photo_id: int) -> int:
    """Make a photo's missing renditions. acks_late: a worker killed mid-way leaves the message
    for another; the beat job below catches anything lost anyway."""
    return renditions.rendition_job(photo_id)


@shared_task(name=Job.REMOVE_RENDITIONS, acks_late=True)
def remove_renditions(keys: list[str]) -> int:
    """Remove the files of crops cut again, once pages naming them had time to go stale.
    Safe twice: a file already removed is nothing to do."""
    return renditions.remove_renditions(keys)


@shared_task(name=Job.REQUEUE_RENDITIONS)
def requeue_missing_renditions() -> list[int]:
    """Beat `photos:renditions`: queue again the photos whose renditions were never finished."""
    return renditions.requeue_missing_renditions()


@shared_task(name=Job.SYNC_PUBLIC_MEDIA, acks_late=True)
def sync_public_media(photo_ids: list[int]) -> dict[str, list[int]]:
    """Make the public copies of these photos match their stories now (S3; else a no-op)."""
    return public_media.sync_photos(photo_ids)


@shared_task(name=Job.SWEEP_PUBLIC_MEDIA)
def sweep_public_media() -> dict[str, int]:
    """Beat `media:public`: put right the public copies that a lost job left out of step."""
    return public_media.sweep()
