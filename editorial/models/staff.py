"""Staff: people, their roles, desk memberships and sign-in sessions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from editorial.extensions import Model
from editorial.models.notification import EmailDelivery
from editorial.timeutil import UTCDateTime, utcnow
from editorial.workflow import Actor, Role

if TYPE_CHECKING:
    from editorial.models.desk import Desk

# The three kinds of notification a person chooses e-mail for: their own stories' events,
# their desks' queue (submissions, failed scheduled publications), and @mentions.
EMAIL_PREFERENCES = ("email_my_stories", "email_desk_queue", "email_mentions")
DELIVERY_VALUES = ", ".join(f"'{choice.value}'" for choice in EmailDelivery)


class Person(Model, UserMixin):
    """A member of staff. Roles and desks decide what they may do."""

    __tablename__ = "staff"
    __table_args__ = tuple(
        CheckConstraint(f"{column} IN ({DELIVERY_VALUES})", name=column)
        for column in EMAIL_PREFERENCES
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    default_byline: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # How the e-mail copies of each kind of notification reach this person (EmailDelivery);
    # the in-app notifications come whatever these say.
    email_my_stories: Mapped[EmailDelivery] = mapped_column(
        String(10), default=EmailDelivery.IMMEDIATE
    )
    email_desk_queue: Mapped[EmailDelivery] = mapped_column(
        String(10), default=EmailDelivery.IMMEDIATE
    )
    email_mentions: Mapped[EmailDelivery] = mapped_column(
        String(10), default=EmailDelivery.IMMEDIATE
    )
    # Bumped on password change, reset and invitation use: invalidates single-use links.
    credential_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Roles and desks make the person's workflow Actor: a query that needs it loads them
    # (models/loading.py: PERSON_ACCESS, SIGNED_IN; a service: actor_of).
    role_rows: Mapped[list[StaffRole]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="raise"
    )
    desks: Mapped[list[Desk]] = relationship(
        secondary="desk_members", back_populates="members", lazy="raise", order_by="Desk.name"
    )

    # Set by the login loader: the token of the sign-in session this request belongs to.
    # Not a column; annotated for the checker only (SQLAlchemy maps run-time annotations).
    if TYPE_CHECKING:
        session_token: str | None
    session_token = None

    def get_id(self) -> str | None:
        """Flask-Login stores the session token, never the person's id (see LoginSession)."""
        return self.session_token

    @property
    def roles(self) -> frozenset[Role]:
        # A column first: once a commit or rollback has expired this person (the signed-in
        # one, say), that reloads it with the loader options of the query that loaded it;
        # reading the relationship first would raise.
        _ = self.id
        return frozenset(Role(r.role) for r in self.role_rows)

    def set_roles(self, roles: set[Role]) -> None:
        """Replace the person's roles, keeping rows that stay."""
        keep = [r for r in self.role_rows if Role(r.role) in roles]
        existing = {Role(r.role) for r in keep}
        self.role_rows = keep + [StaffRole(role=r.value) for r in sorted(roles - existing)]

    @property
    def wants_email(self) -> bool:
        """Any e-mail at all (the single switch this used to be)."""
        return any(getattr(self, column) != EmailDelivery.NONE for column in EMAIL_PREFERENCES)

    @wants_email.setter
    def wants_email(self, wanted: bool) -> None:
        for column in EMAIL_PREFERENCES:
            setattr(self, column, EmailDelivery.IMMEDIATE if wanted else EmailDelivery.NONE)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def actor(self) -> Actor:
        """The workflow's view of this person."""
        return Actor(self.id, self.roles, frozenset(d.id for d in self.desks))

    @property
    def byline(self) -> str:
        return self.default_byline or self.name

    def __repr__(self) -> str:
        return f"<Person {self.email}>"


class StaffRole(Model):
    """One role held by one person."""

    __tablename__ = "staff_roles"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    person: Mapped[Person] = relationship(back_populates="role_rows", lazy="raise")


class LoginSession(Model):
    """A signed-in browser. The cookie holds only this row's random token, so logout,
    a password change or deactivation ends a session for good (a copied cookie dies too)."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship(lazy="raise")


class SignInLock(Model):
    """An e-mail address that may not sign in until its owner follows the unlock link.

    Keyed by the address typed, not by a person, so an address that has no account is
    locked (and answered) exactly like one that has: the lock tells an attacker nothing.
    `epoch` grows on every unlock; an unlock link carries the epoch it was made against,
    so it works once.
    """

    __tablename__ = "sign_in_locks"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    epoch: Mapped[int] = mapped_column(Integer, default=0)
