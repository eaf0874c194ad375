"""Self-service accounts: sign-in, invitations, password resets and unlocks by e-mail link,
one's own profile."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import current_app, render_template
from sqlalchemy import update

from editorial.extensions import db
from editorial.instruments import LOCKOUTS, LOGIN_FAILURES
from editorial.jobs import Job, enqueue
from editorial.mail import send_message
from editorial.models import EmailDelivery, Person
from editorial.models.staff import EMAIL_PREFERENCES
from editorial.services import after_commit, audit, commit, lockout, rollback
from editorial.services.errors import ValidationFailed
from editorial.services.staff import (
    authenticate,
    describe,
    find_by_email,
    hash_password,
    password_problem,
    revoke_sessions,
)
from editorial.tokens import (
    USED,
    LinkClaim,
    LinkInvalid,
    LinkKind,
    LinkUsed,
    make_token,
    read_token,
)
from editorial.wording import the_newsroom

log = logging.getLogger(__name__)

SUBJECTS = {
    LinkKind.INVITE: "You are invited to {newsroom}",
    LinkKind.RESET: "Reset your {site} newsroom password",
    LinkKind.UNLOCK: "Your {site} newsroom account is locked",
}


class AccountLocked(Exception):
    """Sign-in refused, whatever the password, until the unlock link is used."""


def sign_in(email: str, password: str) -> Person | None:
    """The active person with these credentials, or None; AccountLocked while the address is
    locked (answered before the password is looked at, so a lock is no guessing oracle).

    Each failure counts towards the account's limit from anywhere; the failure that uses it
    up locks the address and e-mails the owner, once, a link to unlock it.
    """
    if lockout.is_locked(email):
        LOGIN_FAILURES.labels("locked").inc()
        raise AccountLocked
    person = authenticate(email, password)
    if person is None:
        LOGIN_FAILURES.labels("credentials").inc()
        if lockout.count_failure(email):
            _lock(email)
    return person


def _lock(email: str) -> None:
    if not lockout.lock(email):
        commit()  # locked by a concurrent failure, which sends the e-mail
        return
    person = find_by_email(email)
    if person is not None and person.is_active and person.password_hash:
        _send_link(person, LinkKind.UNLOCK, actor=None, action="staff.locked")
    else:
        log.info("sign-in locked for an address without an active account")
        commit()
    LOCKOUTS.inc()


def _queue_account_email(person_id: int, kind: LinkKind) -> None:
    """Hand the e-mail to Celery; a broker outage is logged, never a failed request."""
    if not enqueue(Job.SEND_ACCOUNT_EMAIL, args=(person_id, kind.value)):
        log.warning("could not queue the %s e-mail for person %s", kind, person_id)


def _send_link(person: Person, kind: LinkKind, *, actor: Person | None, action: str) -> None:
    audit.record(action, actor=actor, subject_type="staff", subject_id=person.id)
    person_id = person.id
    after_commit(lambda: _queue_account_email(person_id, kind))
    commit()


def send_invitation(person: Person, *, actor: Person | None) -> None:
    """E-mail an invitation link (7 days); refused once the person has set a password."""
    if not person.is_active:
        raise ValidationFailed({"is_active": "Reactivate the account before inviting."})
    if person.password_hash:
        raise ValidationFailed(
            {"invitation": "This person has already accepted; send a password reset instead."}
        )
    _send_link(person, LinkKind.INVITE, actor=actor, action="staff.invitation_sent")


def send_password_reset(person: Person, *, actor: Person | None) -> None:
    """E-mail a password reset link (1 hour) to an active person."""
    if not person.is_active:
        raise ValidationFailed({"is_active": "Reactivate the account before resetting it."})
    _send_link(person, LinkKind.RESET, actor=actor, action="staff.password_reset_sent")


def request_password_reset(email: str) -> None:
    """Someone asked for a reset link: send it only to an active account, say nothing either way."""
    person = find_by_email(email)
    if person is None or not person.is_active:
        log.info("password reset asked for an unknown or inactive address")
        return
    _send_link(person, LinkKind.RESET, actor=None, action="staff.password_reset_requested")


def _epoch(person: Person, kind: LinkKind) -> int | None:
    """What a link of this kind is bound to now: the lock for an unlock link (None when the
    account is not locked), the credentials for the others."""
    if kind is LinkKind.UNLOCK:
        return lockout.lock_epoch(person.email)
    return person.credential_epoch


def link_for(person: Person, kind: LinkKind) -> str:
    """The absolute link for a person, made now against their current credentials or lock."""
    epoch = _epoch(person, kind)
    assert epoch is not None, "an unlock link for an account that is not locked"
    token = make_token(current_app.config["SECRET_KEY"], kind, person.id, epoch)
    return f"{current_app.config['SITE_URL']}{kind.path}{token}"


def deliver_account_email(person_id: int, kind: str) -> bool:
    """Render and send an invitation or reset e-mail; the link is made at send time."""
    link_kind = LinkKind(kind)
    person = db.session.get(Person, person_id)
    if person is None or not person.is_active or _epoch(person, link_kind) is None:
        return False  # gone, deactivated, or (an unlock e-mail) already unlocked
    site = current_app.config["SITE_NAME"]
    context = {
        "person": person,
        "link": link_for(person, link_kind),
        "site_name": site,
        "hours": int(link_kind.max_age.total_seconds() // 3600),
    }
    send_message(
        to=person.email,
        subject=SUBJECTS[link_kind].format(site=site, newsroom=the_newsroom(site)),
        text=render_template(f"email/account_{link_kind.value}.txt", **context),
        html=render_template(f"email/account_{link_kind.value}.html", **context),
    )
    return True


def check_link(token: str, kind: LinkKind) -> Person:
    """The person a link belongs to, if it is genuine, in date and unused; else LinkRefused."""
    return _checked(token, kind)[0]


def _checked(token: str, kind: LinkKind) -> tuple[Person, LinkClaim]:
    claim = read_token(current_app.config["SECRET_KEY"], kind, token)
    person = db.session.get(Person, claim.person_id)
    if person is None or not person.is_active:
        raise LinkInvalid("This link belongs to an account that is not active.")
    if _epoch(person, kind) != claim.epoch:
        raise LinkUsed(USED)
    return person, claim


def unlock(token: str) -> Person:
    """Lift a sign-in lock through its link, once (a conditional UPDATE claims the lock)."""
    person, claim = _checked(token, LinkKind.UNLOCK)
    if not lockout.release(person.email, epoch=claim.epoch):
        rollback()
        raise LinkUsed(USED)  # the other of two clicks at once
    audit.record("staff.unlocked", actor=person, subject_type="staff", subject_id=person.id)
    commit()
    return person


def redeem_link(token: str, kind: LinkKind, password: str) -> Person:
    """Set a password through a link, once: a conditional UPDATE claims the link's epoch."""
    person = check_link(token, kind)
    if problem := password_problem(password):
        raise ValidationFailed({"password": problem})
    claim = LinkClaim(person.id, person.credential_epoch)
    rollback()  # hash outside any transaction: on SQLite an open one holds the write lock
    password_hash = hash_password(password)
    # Two tabs (or an attacker racing the owner) may post the same link at once: only the
    # statement that still finds the old epoch wins; the other gets "already used".
    claimed = db.session.execute(
        update(Person)
        .where(
            Person.id == claim.person_id,
            Person.credential_epoch == claim.epoch,
            Person.is_active.is_(True),
        )
        .values(credential_epoch=claim.epoch + 1, password_hash=password_hash)
        .returning(Person.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        rollback()
        raise LinkUsed(USED)
    revoke_sessions(person_id=claim.person_id)
    lockout.release(person.email)  # the link proved the mailbox, as an unlock link would
    action = "staff.invitation_accepted" if kind is LinkKind.INVITE else "staff.password_reset"
    audit.record(action, actor=person, subject_type="staff", subject_id=claim.person_id)
    commit()
    db.session.refresh(person)
    return person


def email_choices(email: Mapping[str, str]) -> dict[str, EmailDelivery]:
    """Validated e-mail choices (column -> EmailDelivery); raises ValidationFailed."""
    errors, choices = {}, {}
    for column, value in email.items():
        try:
            if column not in EMAIL_PREFERENCES:
                raise ValueError(column)
            choices[column] = EmailDelivery(value)
        except (ValueError, TypeError):
            errors[column] = "Choose how these e-mails should reach you."
    if errors:
        raise ValidationFailed(errors)
    return choices


def _email_choices_of(person: Person) -> dict[str, str]:
    return {column: str(getattr(person, column)) for column in EMAIL_PREFERENCES}


def update_profile(
    person: Person, *, name: str, byline: str, email: Mapping[str, str] | None = None
) -> None:
    """A person edits their own name, byline and e-mail choices (never roles or status).

    `email` maps some of EMAIL_PREFERENCES to an EmailDelivery value; any other is refused.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": "Enter your name."})
    choices = email_choices(email or {})
    before = {**describe(person), **_email_choices_of(person)}
    person.name = name
    person.default_byline = (byline or "").strip()
    for column, choice in choices.items():
        setattr(person, column, choice)
    after = {**describe(person), **_email_choices_of(person)}
    if before != after:
        audit.record(
            "staff.profile_updated",
            actor=person,
            subject_type="staff",
            subject_id=person.id,
            data={"before": before, "after": after},
        )
    commit()
