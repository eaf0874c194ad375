"""Staff use cases: accounts, passwords, sign-in sessions."""

from __future__ import annotations

import logging
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, false, func, select, update

from editorial.extensions import db
from editorial.models import Desk, LoginSession, Person, StaffRole
from editorial.models.loading import PERSON_ACCESS, SIGNED_IN, load_access
from editorial.services import audit, commit
from editorial.services.errors import ValidationFailed
from editorial.timeutil import utcnow
from editorial.workflow import Role

log = logging.getLogger(__name__)

# argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile): 64 MiB, 3 passes.
hasher = PasswordHasher()
# Verified against when the account is unknown, so both answers take the same time.
_DUMMY_HASH = hasher.hash("not a real password")
MIN_PASSWORD = 10


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def password_problem(password: str) -> str | None:
    """Why a new password is unacceptable, or None."""
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters."
    if len(password) > 1024:
        return "Use at most 1,024 characters."
    return None


def hash_password(password: str) -> str:
    return hasher.hash(password)


def find_by_email(email: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.email == normalise_email(email)))


def authenticate(email: str, password: str) -> Person | None:
    """The active person with these credentials, or None (same cost and answer for any miss)."""
    person = find_by_email(email)
    stored = person.password_hash if person and person.password_hash else _DUMMY_HASH
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if person is None or not person.is_active or not person.password_hash:
        return None
    if hasher.check_needs_rehash(stored):
        person.password_hash = hash_password(password)
    return person


def start_session(person: Person, *, user_agent: str = "") -> str:
    """A new sign-in session (a fresh token on every login: no session fixation)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        LoginSession(
            token=token, person_id=person.id, user_agent=user_agent[:255], created_at=utcnow()
        )
    )
    person.last_login_at = utcnow()
    audit.record("staff.signed_in", actor=person, subject_type="staff", subject_id=person.id)
    commit()
    person.session_token = token
    return token


def load_session(token: str) -> Person | None:
    """The person behind a live session token; None if revoked or the person is inactive."""
    # Read on every request: the session, the person, their roles and desks in one SELECT.
    row = (
        db.session.scalars(
            select(LoginSession)
            .options(*SIGNED_IN)
            .where(LoginSession.token == token, LoginSession.revoked_at.is_(None))
        )
        .unique()
        .first()
    )
    if row is None or not row.person.is_active:
        return None
    row.person.session_token = token
    return row.person


def end_session(token: str | None) -> None:
    if token:
        revoke_sessions(token=token)
        commit()


def revoke_sessions(
    *, person_id: int | None = None, token: str | None = None, keep_token: str | None = None
) -> None:
    """End sessions in the current transaction: one by token, or all of a person's."""
    statement = update(LoginSession).where(LoginSession.revoked_at.is_(None))
    if token is not None:
        statement = statement.where(LoginSession.token == token)
    if person_id is not None:
        statement = statement.where(LoginSession.person_id == person_id)
    if keep_token is not None:
        statement = statement.where(LoginSession.token != keep_token)
    db.session.execute(
        statement.values(revoked_at=utcnow()).execution_options(synchronize_session=False)
    )


def change_password(person: Person, current: str, new: str) -> None:
    """Change one's own password; every other session of this person ends."""
    try:
        hasher.verify(person.password_hash or _DUMMY_HASH, current)
    except (VerificationError, InvalidHashError):
        raise ValidationFailed({"current_password": "That is not your current password."}) from None
    problem = password_problem(new)
    if problem:
        raise ValidationFailed({"new_password": problem})
    set_password(person, new, keep_token=person.session_token)
    audit.record("staff.password_changed", actor=person, subject_type="staff", subject_id=person.id)
    commit()


def set_password(person: Person, password: str, *, keep_token: str | None = None) -> None:
    """Set a password in the current transaction; old links and other sessions die."""
    person.password_hash = hash_password(password)
    person.credential_epoch = (person.credential_epoch or 0) + 1
    revoke_sessions(person_id=person.id, keep_token=keep_token)


def create_person(
    *,
    email: str,
    name: str,
    roles: set[Role],
    desk_slugs: list[str] | None = None,
    desk_ids: list[int] | None = None,
    password: str | None = None,
    byline: str = "",
    actor: Person | None = None,
) -> Person:
    """A new member of staff. Without a password they must accept an invitation first."""
    email = normalise_email(email)
    errors: dict[str, str] = {}
    if "@" not in email or len(email) > 254:
        errors["email"] = "Enter a valid e-mail address."
    elif find_by_email(email):
        errors["email"] = f"{email} already has an account."
    if not name.strip():
        errors["name"] = "Enter the person's name."
    if not roles:
        errors["roles"] = "Choose at least one role."
    if password is not None and (problem := password_problem(password)):
        errors["password"] = problem
    desks = _desks(desk_slugs or [], desk_ids or [], errors)
    if errors:
        raise ValidationFailed(errors)
    person = Person(
        email=email,
        name=name.strip(),
        default_byline=byline.strip(),
        password_hash=hash_password(password) if password else None,
        is_active=True,
        created_at=utcnow(),
    )
    person.set_roles(roles)
    person.desks = desks
    db.session.add(person)
    db.session.flush()
    audit.record(
        "staff.created",
        actor=actor,
        subject_type="staff",
        subject_id=person.id,
        data={"after": describe(person)},
    )
    commit()
    return person


def _desks(slugs: list[str], ids: list[int], errors: dict[str, str]) -> list[Desk]:
    desks = list(db.session.scalars(select(Desk).where(Desk.slug.in_(slugs)))) if slugs else []
    missing = set(slugs) - {d.slug for d in desks}
    if missing:
        errors["desks"] = f"No such desk: {', '.join(sorted(missing))}."
    if ids:
        found = list(db.session.scalars(select(Desk).where(Desk.id.in_(ids))))
        if len(found) != len(set(ids)):
            errors["desks"] = "Choose desks from the list."
        desks += [d for d in found if d not in desks]
    return desks


def describe(person: Person) -> dict[str, object]:
    """A person as the audit log shows them before and after a change."""
    return {
        "email": person.email,
        "name": person.name,
        "byline": person.default_byline,
        "roles": sorted(r.value for r in person.roles),
        "desks": sorted(d.slug for d in person.desks),
        "is_active": person.is_active,
    }


def active_admin_count() -> int:
    return (
        db.session.scalar(
            select(func.count(func.distinct(Person.id)))
            .join(StaffRole, StaffRole.person_id == Person.id)
            .where(StaffRole.role == Role.ADMIN, Person.is_active.is_(True))
        )
        or 0
    )


def deactivate(person: Person, *, actor: Person | None) -> None:
    """Deactivate an account: sign-in refused, every live session ends now."""
    load_access(person)
    if person.is_admin and person.is_active:
        lock_admins()
        if active_admin_count() <= 1:
            raise ValidationFailed(
                {"is_active": "This is the last active admin; make another admin first."}
            )
    before = describe(person)
    person.is_active = False
    revoke_sessions(person_id=person.id)
    audit.record(
        "staff.deactivated",
        actor=actor,
        subject_type="staff",
        subject_id=person.id,
        data={"before": before, "after": describe(person)},
    )
    commit()


LAST_ADMIN = "{name} is the last active admin; make someone else an admin first."


def lock_admins() -> None:
    """Serialise changes that could leave no active admin (PostgreSQL row locks).

    Two admins demoting each other at once must not both pass the count: the second waits
    here for the first to commit, then counts again. SQLite's BEGIN IMMEDIATE already
    serialises writers, and `FOR UPDATE` is a no-op there.
    """
    db.session.execute(
        select(Person.id)
        .join(StaffRole, StaffRole.person_id == Person.id)
        .where(StaffRole.role == Role.ADMIN, Person.is_active.is_(True))
        .order_by(Person.id)  # one locking order for everyone: no deadlock between two admins
        .with_for_update(of=Person)
    ).all()


def update_person(
    person: Person,
    *,
    actor: Person | None,
    name: str,
    byline: str,
    roles: set[Role],
    desk_ids: list[int],
) -> None:
    """An admin edits someone's name, byline, roles and desks.

    Permissions are read from the database on every request, so a change applies at the next
    one; when roles or desks shrink, the person's sessions also end (a demoted editor cannot
    go on with yesterday's session), except the actor's own current one.
    """
    load_access(person)
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = "Enter the person's name."
    if not roles:
        errors["roles"] = "Choose at least one role."
    desks = _desks([], desk_ids, errors)
    if Role.ADMIN in person.roles and Role.ADMIN not in roles and person.is_active:
        lock_admins()
        if active_admin_count() <= 1:
            errors["roles"] = LAST_ADMIN.format(name=person.name)
    if errors:
        raise ValidationFailed(errors)
    before = describe(person)
    lost = (person.roles - roles) or ({d.id for d in person.desks} - {d.id for d in desks})
    person.name = name.strip()
    person.default_byline = (byline or "").strip()
    person.set_roles(roles)
    person.desks = desks
    after = describe(person)
    if before == after:
        commit()
        return
    if lost:
        own = actor.session_token if actor is not None and actor.id == person.id else None
        revoke_sessions(person_id=person.id, keep_token=own)
    audit.record(
        "staff.updated",
        actor=actor,
        subject_type="staff",
        subject_id=person.id,
        data={"before": before, "after": after, "sessions_ended": bool(lost)},
    )
    commit()


def reactivate(person: Person, *, actor: Person | None) -> None:
    """Let a deactivated person sign in again (their old sessions stay ended)."""
    if person.is_active:
        return
    load_access(person)
    before = describe(person)
    person.is_active = True
    audit.record(
        "staff.reactivated",
        actor=actor,
        subject_type="staff",
        subject_id=person.id,
        data={"before": before, "after": describe(person)},
    )
    commit()


LONGEST_MATCH = max(Person.name.type.length, Person.email.type.length)


def search_staff(
    *, query: str = "", role: Role | None = None, desk_id: int | None = None, active: bool | None
) -> Select[tuple[Person]]:
    """Staff matching a name/e-mail fragment, a role, a desk and a status, by name."""
    statement = select(Person).options(*PERSON_ACCESS).order_by(func.lower(Person.name), Person.id)
    query = (query or "").strip()
    if len(query) > LONGEST_MATCH:
        # Longer than any name or address: nobody matches, and SQLite's LIKE refuses a pattern
        # over 50,000 bytes with an error (a 500), so it never reaches the database.
        return statement.where(false())
    if query:
        statement = statement.where(
            Person.name.icontains(query, autoescape=True)
            | Person.email.icontains(query, autoescape=True)
        )
    if role is not None:
        statement = statement.where(Person.role_rows.any(StaffRole.role == role.value))
    if desk_id is not None:
        statement = statement.where(Person.desks.any(Desk.id == desk_id))
    if active is not None:
        statement = statement.where(Person.is_active.is_(active))
    return statement


def staff_summary() -> dict[str, int]:
    """Head counts for the admin overview."""
    active = Person.is_active.is_(True)
    count = select(func.count(Person.id))
    return {
        "active": db.session.scalar(count.where(active)) or 0,
        "inactive": db.session.scalar(count.where(~active)) or 0,
        "invited": db.session.scalar(count.where(active, Person.password_hash.is_(None))) or 0,
        "admins": active_admin_count(),
    }
