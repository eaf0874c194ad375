"""Background jobs by name: what services ask Celery to do, without importing the tasks.

The task module (`editorial.tasks`) imports the services it wraps; a service that needs work
done later names the job here and queues it after commit. Queueing never fails the caller:
the database is the truth, and a periodic job catches up with whatever was not queued.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from enum import StrEnum
from typing import Any

from celery import Celery
from flask import current_app

log = logging.getLogger(__name__)

# After the broker fails once, leave it alone for this long: a request that queues ten e-mails
# then waits for one failed connection at most, not ten. The database keeps what was not queued
# and the periodic jobs (publish sweep, mail retry) catch up.
BROKER_PAUSE_SECONDS = 15.0
_broker_down_until = 0.0
_broker_lock = threading.Lock()


class Job(StrEnum):
    """The Celery task names (kept as they were: messages already queued carry them)."""

    PUBLISH_DUE = "editorial.tasks.publish_due_stories"
    SWEEP_DUE = "editorial.tasks.sweep_due_stories"
    QUEUE_UPCOMING = "editorial.tasks.queue_upcoming_stories"
    UNPUBLISH_DUE = "editorial.tasks.unpublish_due_stories"
    SWEEP_UNPUBLISH_DUE = "editorial.tasks.sweep_due_unpublishes"
    QUEUE_UPCOMING_UNPUBLISHES = "editorial.tasks.queue_upcoming_unpublishes"
    PUBLISH_UPDATES_DUE = "editorial.tasks.publish_due_updates"
    SWEEP_UPDATES_DUE = "editorial.tasks.sweep_due_update_publishes"
    QUEUE_UPCOMING_UPDATES = "editorial.tasks.queue_upcoming_update_publishes"
    DELIVER_NOTIFICATION_EMAIL = "editorial.tasks.deliver_notification_email"
    QUEUE_NOTIFICATION_EMAILS = "editorial.tasks.queue_notification_emails"
    RETRY_PENDING_EMAILS = "editorial.tasks.retry_pending_emails"
    QUEUE_DIGEST_EMAILS = "editorial.tasks.queue_digest_emails"
    SEND_DIGEST_EMAIL = "editorial.tasks.send_digest_email"
    TIDY_EMBEDDED_BROKER = "editorial.tasks.tidy_embedded_broker"
    SEND_ACCOUNT_EMAIL = "editorial.tasks.send_account_email"
    PRUNE_OLD_ROWS = "editorial.tasks.prune_old_rows"
    MAKE_RENDITIONS = "editorial.tasks.make_renditions"
    REMOVE_RENDITIONS = "editorial.tasks.remove_renditions"
    REQUEUE_RENDITIONS = "editorial.tasks.requeue_missing_renditions"
    SYNC_PUBLIC_MEDIA = "editorial.tasks.sync_public_media"
    SWEEP_PUBLIC_MEDIA = "editorial.tasks.sweep_public_media"


def enqueue(
    job: Job,
    *,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    eta: datetime | None = None,
) -> bool:
    """Queue a job without ever failing the caller; False if it could not be queued."""
    global _broker_down_until
    celery: Celery = current_app.extensions["celery"]
    eager = bool(celery.conf.task_always_eager)
    if not eager and time.monotonic() < _broker_down_until:
        log.info("broker marked down; not queueing %s%r", job.value, args or kwargs)
        return False
    try:
        # A signature resolves the name in the app's registry, so eager mode runs the task
        # in-process as `.delay` did. retry=False plus the transport's max_retries=0: one
        # connection attempt, no back-off.
        celery.signature(job.value, args=args, kwargs=kwargs).apply_async(eta=eta, retry=False)
    except Exception:
        if not eager:  # in eager mode the exception is the task's own, not the broker's
            with _broker_lock:
                _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
        log.warning("could not queue %s%r", job.value, args or kwargs, exc_info=True)
        return False
    return True
