"""Digest e-mails: the notifications of a person's last hour or day, in one message.

A notification whose kind its person takes as a digest waits (e-mail state "hourly" or
"daily"). Beat (`mail:digests`) sweeps often; for each frequency it takes the last period that
has ended (hourly: the top of the newsroom-local hour; daily: DIGEST_DAILY_HOUR newsroom time)
and each person with notifications waiting from before that end. The claim is an INSERT of the
(person, frequency, period end) row that does nothing on conflict: of two schedulers sweeping
at once only one inserts, and only that one moves the waiting notifications into its digest
(a conditional UPDATE, in the same transaction). The e-mail is queued after commit and sent
through the same claim-and-mark machinery as every notification copy. Nothing waiting: no row,
no e-mail. A notification no sweep took in its own period (beat was down) goes with the next.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from editorial.extensions import db
from editorial.jobs import Job, enqueue
from editorial.models import EmailDelivery, EmailDigest, EmailState, Notification, Person
from editorial.models.notification import DIGEST_FREQUENCIES
from editorial.services import after_commit, commit, rollback
from editorial.services.notifications import claim_email, pending_email_ids, send_claimed
from editorial.timeutil import utcnow, zone

log = logging.getLogger(__name__)

WORDS = {EmailDelivery.HOURLY: "hourly", EmailDelivery.DAILY: "daily"}


def period_end(frequency: EmailDelivery, now: datetime) -> datetime:
    """The end of the last whole period of this frequency at `now` (newsroom-local clock)."""
    local = now.astimezone(zone(current_app.config["EDITORIAL_TIMEZONE"]))
    if frequency is EmailDelivery.HOURLY:
        end = local.replace(minute=0, second=0, microsecond=0)
    else:
        hour = int(current_app.config["DIGEST_DAILY_HOUR"])
        end = local.replace(hour=hour, minute=0, second=0, microsecond=0)
        if end > local:
            end -= timedelta(days=1)
    return end.astimezone(UTC)


def send_digests(now: datetime | None = None) -> list[int]:
    """Claim every digest due at `now` and queue its e-mail after commit; returns their ids."""
    now = now or utcnow()
    claimed: list[int] = []
    try:
        for frequency in DIGEST_FREQUENCIES:
            end = period_end(frequency, now)
            for person_id in _waiting_people(frequency, end):
                digest_id = _claim(person_id, frequency, end, now)
                if digest_id is not None:
                    claimed.append(digest_id)
        if claimed:
            after_commit(lambda: queue_digests(claimed))
        commit()
    except Exception:
        rollback()
        raise
    if claimed:
        log.info("%d digest e-mails claimed", len(claimed))
    return claimed


def _waiting_people(frequency: EmailDelivery, end: datetime) -> list[int]:
    """People with notifications waiting for this frequency's digest from before `end`, in id
    order (two schedulers then take their claims' locks in the same order: no deadlock)."""
    return list(
        db.session.scalars(
            select(Notification.person_id)
            .join(Person, Person.id == Notification.person_id)
            .where(
                Notification.email_state == frequency.waiting_state,
                Notification.created_at < end,
                Person.is_active.is_(True),
            )
            .distinct()
            .order_by(Notification.person_id)
        )
    )


def _claim(person_id: int, frequency: EmailDelivery, end: datetime, now: datetime) -> int | None:
    """This person's digest for the period ending at `end`, if this call made it and it holds
    something; None when another scheduler has it, or nothing was left to put in it."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = db.session.execute(
        dialect.insert(EmailDigest)
        .values(
            person_id=person_id,
            frequency=frequency.value,
            period_end=end,
            items=0,
            created_at=now,
            email_state=EmailState.PENDING,
            email_attempts=0,
        )
        .on_conflict_do_nothing(
            index_elements=[EmailDigest.person_id, EmailDigest.frequency, EmailDigest.period_end]
        )
        .returning(EmailDigest.id)
    ).first()
    if inserted is None:
        return None
    digest_id: int = inserted[0]
    taken = db.session.execute(
        update(Notification)
        .where(
            Notification.person_id == person_id,
            Notification.email_state == frequency.waiting_state,
            Notification.created_at < end,
        )
        .values(email_state=EmailState.DIGESTED, digest_id=digest_id)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.execute(
        update(EmailDigest)
        .where(EmailDigest.id == digest_id)
        .values(items=len(taken), email_state=EmailState.PENDING if taken else EmailState.NONE)
        .execution_options(synchronize_session=False)
    )
    return digest_id if taken else None


def queue_digests(digest_ids: list[int]) -> None:
    """Hand digest e-mails to Celery; if the broker is down the retry job picks them up."""
    for digest_id in digest_ids:
        if not enqueue(Job.SEND_DIGEST_EMAIL, args=(digest_id,)):
            log.info("digest e-mail %s left pending for the retry job", digest_id)


def pending_digest_ids() -> list[int]:
    """Digest e-mails whose task was lost (see notifications.pending_email_ids)."""
    return pending_email_ids(model=EmailDigest)


def deliver_digest_email(digest_id: int, *, final_attempt: bool = False) -> bool:
    """Send one digest e-mail. True if sent now; False if not ours to send (see send_claimed)."""
    digest = claim_email(EmailDigest, digest_id)
    if digest is None:
        return False
    items = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.digest_id == digest_id)
            .order_by(Notification.created_at, Notification.id)
        )
    )
    send_claimed(
        digest,
        subject=digest_subject(digest, len(items)),
        template="email/digest",
        context={"digest": digest, "items": items, "frequency": WORDS[digest.frequency]},
        final_attempt=final_attempt,
    )
    return True


def digest_subject(digest: EmailDigest, count: int) -> str:
    noun = "notification" if count == 1 else "notifications"
    return f"Your {WORDS[EmailDelivery(digest.frequency)]} newsroom digest: {count} {noun}"
