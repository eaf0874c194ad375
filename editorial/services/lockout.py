"""The slow sign-in limit: many failures for one account, from anywhere, lock it.

The quick limits (one account from one address, one address over every account) are
Flask-Limiter rules on the login view and only ever slow down the address that fails. This
module counts failures per e-mail address whatever address they come from (in the rate-limit
store, shared by every web process), and when LOGIN_ACCOUNT_LIMIT is used up locks the
account with a row in sign_in_locks, which outlives a Redis restart. The lock is lifted by
the unlock link e-mailed to the owner, or by setting a password through a reset or
invitation link (both prove the same mailbox).

Addresses without an account are counted and locked alike, so the answers never tell an
attacker which accounts exist.
"""

from __future__ import annotations

import logging

from flask import current_app
from limits import RateLimitItem, parse
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from editorial.extensions import db, limiter
from editorial.models import SignInLock
from editorial.services.staff import normalise_email
from editorial.timeutil import utcnow

log = logging.getLogger(__name__)

_COUNTER = "sign-in-failures"


def _account_limit() -> RateLimitItem:
    return parse(current_app.config["LOGIN_ACCOUNT_LIMIT"])


def is_locked(email: str) -> bool:
    return lock_epoch(email) is not None


def lock_epoch(email: str) -> int | None:
    """The epoch of the lock on this address (what an unlock link must carry), or None."""
    return db.session.scalar(
        select(SignInLock.epoch).where(
            SignInLock.email == normalise_email(email), SignInLock.locked_at.is_not(None)
        )
    )


def count_failure(email: str) -> bool:
    """Count one failed sign-in for this address; True once the allowance is used up.

    A rate-limit store that does not answer counts nothing (the quick limits fall back to
    per-process memory and still slow an attacker down): it must never fail a sign-in.
    """
    item, key = _account_limit(), normalise_email(email)
    try:
        strategy = limiter.limiter
        strategy.hit(item, _COUNTER, key)
        return not strategy.test(item, _COUNTER, key)
    except Exception:
        log.warning(
            "failed sign-in not counted: the rate-limit store did not answer", exc_info=True
        )
        return False


def lock(email: str) -> bool:
    """Lock the address in the current transaction; True only for the caller that locked it,
    so concurrent failures in several processes send the owner one e-mail."""
    email = normalise_email(email)
    _ensure_row(email)
    locked = db.session.execute(
        update(SignInLock)
        .where(SignInLock.email == email, SignInLock.locked_at.is_(None))
        .values(locked_at=utcnow())
        .returning(SignInLock.id)
        .execution_options(synchronize_session=False)
    ).all()
    return bool(locked)


def _ensure_row(email: str) -> None:
    if db.session.scalar(select(SignInLock.id).where(SignInLock.email == email)) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(SignInLock(email=email, epoch=0))
    except IntegrityError:
        pass  # another process made the row first: the conditional UPDATE decides


def release(email: str, *, epoch: int | None = None) -> bool:
    """Lift the lock in the current transaction; with `epoch`, only the lock a link was made
    for (a second use, or a link from an earlier lock, finds nothing and gets False)."""
    email = normalise_email(email)
    statement = update(SignInLock).where(
        SignInLock.email == email, SignInLock.locked_at.is_not(None)
    )
    if epoch is not None:
        statement = statement.where(SignInLock.epoch == epoch)
    released = db.session.execute(
        statement.values(locked_at=None, epoch=SignInLock.epoch + 1)
        .returning(SignInLock.id)
        .execution_options(synchronize_session=False)
    ).all()
    if released:
        _forget_failures(email)
    return bool(released)


def _forget_failures(email: str) -> None:
    """A fresh allowance once unlocked: the owner's next typo must not lock them again."""
    try:
        limiter.limiter.clear(_account_limit(), _COUNTER, email)
    except Exception:
        log.warning("could not clear the failed sign-ins of an unlocked account", exc_info=True)
