"""Use cases. Each takes the actor explicitly, commits once, audits, then queues side effects."""

from __future__ import annotations

import logging
from collections.abc import Callable

from editorial.extensions import db

log = logging.getLogger(__name__)
_KEY = "editorial.after_commit"


def after_commit(callback: Callable[[], object]) -> None:
    """Run `callback` once the current unit of work commits through `commit()`.

    Side effects (queueing Celery tasks, e-mail) must never see uncommitted data, and must
    not happen at all for a change that was rolled back.
    """
    db.session.info.setdefault(_KEY, []).append(callback)


def commit() -> None:
    """Commit the session, then run the side effects queued for this unit of work."""
    try:
        db.session.commit()
    except Exception:
        rollback()
        raise
    for callback in db.session.info.pop(_KEY, []):
        try:
            callback()
        except Exception:  # a side effect must never turn a committed change into an error
            log.exception("after-commit callback %r failed", callback)


def rollback() -> None:
    """Roll back and forget the side effects queued for this unit of work."""
    db.session.rollback()
    db.session.info.pop(_KEY, None)
