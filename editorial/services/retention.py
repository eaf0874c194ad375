"""Retention: rows that only grow and that nobody reads after a while are deleted.

Windows (README, "Running it in production"): read notifications after 90 days (unread ones
and those whose e-mail is still on its way are kept), digest e-mails 90 days after the period
they covered (a period that old is never claimed again: each sweep claims the last ended
period only), revoked sign-in sessions after 30 days, the editor's working copies (unsaved
text nobody came back for) 60 days after their last autosave, and editor presence rows (stale
after a minute) after a day.
Live sessions are never pruned here (that would sign people out). Stories, revisions,
corrections, comments and the audit log are the newsroom's record and are kept for good; the
embedded broker's delivered messages are removed by tasks.tidy_embedded_broker.

Deletes go in batches, each its own short transaction, so a first run on a large archive
never holds a long lock; running twice deletes nothing more.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, select
from sqlalchemy.orm import InstrumentedAttribute

from editorial.extensions import db
from editorial.models import (
    EditorPresence,
    EmailDigest,
    EmailState,
    LoginSession,
    Notification,
    WorkingCopy,
)
from editorial.models.notification import WAITING_EMAIL
from editorial.services import commit
from editorial.timeutil import utcnow

log = logging.getLogger(__name__)

READ_NOTIFICATIONS_KEPT = timedelta(days=90)
DIGESTS_KEPT = timedelta(days=90)  # as long as the read notifications they carried
REVOKED_SESSIONS_KEPT = timedelta(days=30)
WORKING_COPIES_KEPT = timedelta(days=60)
PRESENCE_KEPT = timedelta(days=1)
BATCH = 5000


def _delete_in_batches(id_column: InstrumentedAttribute[int], *where: ColumnElement[bool]) -> int:
    total = 0
    while True:
        ids = select(id_column).where(*where).limit(BATCH).scalar_subquery()
        statement = delete(id_column.class_).where(id_column.in_(ids))
        result = db.session.execute(statement.execution_options(synchronize_session=False))
        commit()
        deleted = cast(CursorResult[Any], result).rowcount
        total += deleted
        if deleted < BATCH:
            return total


def _delete_presence(before: datetime) -> int:
    """One row per person and open story at most: a single delete."""
    result = db.session.execute(
        delete(EditorPresence)
        .where(EditorPresence.seen_at < before)
        .execution_options(synchronize_session=False)
    )
    commit()
    return cast(CursorResult[Any], result).rowcount


def prune(now: datetime | None = None) -> dict[str, int]:
    """Delete what is past its window; how many rows of each kind went."""
    now = now or utcnow()
    in_flight = [*WAITING_EMAIL, EmailState.SENDING]  # a digest's items wait up to a day
    pruned = {
        "notifications": _delete_in_batches(
            Notification.id,
            Notification.read_at < now - READ_NOTIFICATIONS_KEPT,
            Notification.email_state.not_in(in_flight),
        ),
        # The notifications a digest carried keep their state; their digest_id is set NULL.
        "digests": _delete_in_batches(
            EmailDigest.id,
            EmailDigest.period_end < now - DIGESTS_KEPT,
            EmailDigest.email_state.not_in(in_flight),
        ),
        "sessions": _delete_in_batches(
            LoginSession.id, LoginSession.revoked_at < now - REVOKED_SESSIONS_KEPT
        ),
        "working_copies": _delete_in_batches(
            WorkingCopy.id, WorkingCopy.saved_at < now - WORKING_COPIES_KEPT
        ),
        "presence": _delete_presence(now - PRESENCE_KEPT),
    }
    if any(pruned.values()):
        log.info("retention: pruned %s", pruned)
    return pruned
