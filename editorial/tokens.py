"""Signed, expiring, single-use account links (invitations, password resets, unlocks).

A link carries the person's id and their `credential_epoch` at the time it was made, signed
with the app's secret and a salt per purpose (an invitation cannot be used as a reset link).
Using a link sets a password, which bumps the epoch, so the same link (and every other
outstanding link of that person) is refused afterwards: single use without a token table.
An unlock link carries the epoch of the sign-in lock instead (sign_in_locks.epoch), which
grows when the lock is lifted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer


class LinkKind(StrEnum):
    """What an account link is for; each kind has its own salt, lifetime and URL."""

    INVITE = "invite"
    RESET = "reset"
    UNLOCK = "unlock"

    @property
    def max_age(self) -> timedelta:
        return {
            "invite": timedelta(days=7),
            "reset": timedelta(hours=1),
            "unlock": timedelta(hours=24),
        }[self.value]

    @property
    def path(self) -> str:
        """Where the link points (a path, so the worker can build it without a request)."""
        return {"invite": "/invite/", "reset": "/password/reset/", "unlock": "/login/unlock/"}[
            self.value
        ]


class LinkRefused(Exception):
    """A link that cannot be used; `status` is the HTTP answer (400 bad, 410 expired/used)."""

    status = 400
    reason = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LinkInvalid(LinkRefused):
    status = 400
    reason = "invalid"


class LinkExpired(LinkRefused):
    status = 410
    reason = "expired"


class LinkUsed(LinkRefused):
    status = 410
    reason = "used"


@dataclass(frozen=True)
class LinkClaim:
    """What a valid link says: whose it is and which credentials it was made against."""

    person_id: int
    epoch: int


def _serializer(
    secret_key: str, kind: LinkKind, issued_at: float | None = None
) -> URLSafeTimedSerializer:
    """A serializer salted per purpose; `issued_at` backdates a token (for tests)."""
    signer = TimestampSigner
    if issued_at is not None:
        stamp = int(issued_at)

        class _Backdated(TimestampSigner):
            def get_timestamp(self) -> int:
                return stamp

        signer = _Backdated
    return URLSafeTimedSerializer(secret_key, salt=f"editorial.account.{kind.value}", signer=signer)


def make_token(
    secret_key: str, kind: LinkKind, person_id: int, epoch: int, *, issued_at: float | None = None
) -> str:
    """A URL-safe signed token for one person's account link."""
    return _serializer(secret_key, kind, issued_at).dumps({"p": person_id, "e": epoch})


def read_token(secret_key: str, kind: LinkKind, token: str) -> LinkClaim:
    """The claim inside a token; raises LinkExpired or LinkInvalid (the caller checks the epoch)."""
    serializer = _serializer(secret_key, kind)
    try:
        payload = serializer.loads(token, max_age=int(kind.max_age.total_seconds()))
    except SignatureExpired:
        raise LinkExpired(_EXPIRED[kind]) from None
    except BadData:
        raise LinkInvalid(INVALID) from None
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("p"), int)
        and isinstance(payload.get("e"), int)
    ):
        raise LinkInvalid(INVALID)
    return LinkClaim(person_id=payload["p"], epoch=payload["e"])


INVALID = "This link is not valid. Check that you copied the whole address from the e-mail."
USED = "This link has already been used. Each link works once."
_EXPIRED = {
    LinkKind.INVITE: "This invitation has expired (invitations last 7 days). "
    "Ask an administrator to send a new one.",
    LinkKind.RESET: "This password reset link has expired (reset links last one hour). "
    "Ask for a new one.",
    LinkKind.UNLOCK: "This unlock link has expired (unlock links last 24 hours). Choose a new "
    "password through 'Forgotten your password?': that unlocks the account too.",
}
