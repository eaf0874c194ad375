"""Account links: signed per purpose, expiring, carrying the person and their credential epoch."""

from __future__ import annotations

import time

import pytest

from editorial.tokens import (
    LinkClaim,
    LinkExpired,
    LinkInvalid,
    LinkKind,
    make_token,
    read_token,
)

SECRET = "unit-test-secret"


def test_round_trip() -> None:
    token = make_token(SECRET, LinkKind.RESET, 42, 3)
    assert read_token(SECRET, LinkKind.RESET, token) == LinkClaim(person_id=42, epoch=3)


def test_lifetimes() -> None:
    assert LinkKind.INVITE.max_age.days == 7
    assert LinkKind.RESET.max_age.total_seconds() == 3600


@pytest.mark.parametrize(
    ("kind", "age"),
    [(LinkKind.RESET, 3601), (LinkKind.INVITE, 7 * 86400 + 1)],
)
def test_expired(kind: LinkKind, age: int) -> None:
    token = make_token(SECRET, kind, 1, 0, issued_at=time.time() - age)
    with pytest.raises(LinkExpired) as refused:
        read_token(SECRET, kind, token)
    assert refused.value.status == 410


@pytest.mark.parametrize(
    ("kind", "age"),
    [(LinkKind.RESET, 3500), (LinkKind.INVITE, 6 * 86400)],
)
def test_not_yet_expired(kind: LinkKind, age: int) -> None:
    token = make_token(SECRET, kind, 1, 0, issued_at=time.time() - age)
    assert read_token(SECRET, kind, token).person_id == 1


def test_tampered_payload_is_refused() -> None:
    token = make_token(SECRET, LinkKind.RESET, 1, 0)
    forged = make_token("another-secret", LinkKind.RESET, 2, 0)
    rest = token.split(".", 1)[1]
    forged_payload = forged.split(".", 1)[0]
    with pytest.raises(LinkInvalid) as refused:
        read_token(SECRET, LinkKind.RESET, f"{forged_payload}.{rest}")
    assert refused.value.status == 400


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "x" * 500, "eyJwIjoxfQ.AAAA.BBBB"])
def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(LinkInvalid):
        read_token(SECRET, LinkKind.RESET, token)


def test_other_secret_is_refused() -> None:
    token = make_token("another-secret", LinkKind.RESET, 1, 0)
    with pytest.raises(LinkInvalid):
        read_token(SECRET, LinkKind.RESET, token)


def test_an_invitation_is_not_a_reset_link() -> None:
    token = make_token(SECRET, LinkKind.INVITE, 1, 0)
    with pytest.raises(LinkInvalid):
        read_token(SECRET, LinkKind.RESET, token)
    with pytest.raises(LinkInvalid):
        read_token(SECRET, LinkKind.INVITE, make_token(SECRET, LinkKind.RESET, 1, 0))


def test_expired_and_tampered_reads_as_tampered() -> None:
    token = make_token(SECRET, LinkKind.RESET, 1, 0, issued_at=time.time() - 7200)
    with pytest.raises(LinkInvalid):
        read_token(SECRET, LinkKind.RESET, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
