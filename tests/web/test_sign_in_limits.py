"""TRUST 20 and 26: brute force is slowed per address and stopped per account, but a stranger
cannot lock the owner out, and a forged X-Forwarded-For changes nothing.

Each test runs on SQLite and PostgreSQL with small limits (argon2 makes every try cost), the
client addresses given as the connection's REMOTE_ADDR.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from sqlalchemy import select

from editorial.extensions import db
from editorial.models import AuditEvent
from editorial.tokens import LinkKind, make_token
from tests.conftest import Factory, csrf_token, make_app
from tests.web.conftest import follow_redirect, outbox_messages

PASSWORD = "correct horse battery"
WRONG = "not the password"
OWNER, STRANGER = "192.0.2.10", "198.51.100.7"
FAILED = "That email and password do not match an active account."
LOCKED = "Sign-in to this account is locked after too many failed attempts."
LIMITS = {
    "LOGIN_LIMIT": "3 per 15 minutes",
    "LOGIN_ADDRESS_LIMIT": "5 per 15 minutes",
    "LOGIN_ACCOUNT_LIMIT": "4 per hour",
}

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]


def _app(tmp_path: Path, request: pytest.FixtureRequest, **config: object) -> Iterator[Flask]:
    app = make_app(tmp_path, request.param, request, **{**LIMITS, **config})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=BACKENDS)
def limited(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """No proxy in front (TRUSTED_PROXIES=0, the default)."""
    yield from _app(tmp_path, request)


@pytest.fixture(params=BACKENDS)
def production(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The production configuration, where one proxy hop used to be trusted unasked."""
    yield from _app(
        tmp_path,
        request,
        EDITORIAL_ENV="production",
        SESSION_COOKIE_SECURE=False,  # the test client speaks plain http
    )


@pytest.fixture(params=BACKENDS)
def behind_proxy(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    yield from _app(tmp_path, request, TRUSTED_PROXIES=1)


def browser(app: Flask, address: str) -> FlaskClient:
    """A browser whose connections come from `address`."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in(client: FlaskClient, email: str, password: str, **headers: str):
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        headers=headers,
    )


def page(response) -> str:
    return response.get_data(as_text=True).replace("&#39;", "'")


def unlock_mails(app: Flask, email: str) -> list:
    return [
        m
        for m in outbox_messages(app)
        if m["To"] == email and "locked" in m["Subject"] and "/login/unlock/" in str(m)
    ]


def unlock_path(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = next(word for word in body.split() if "/login/unlock/" in word)
    return link[link.index("/login/unlock/") :]


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# -- client addresses --------------------------------------------------------------------------


def test_a_forged_forwarded_for_does_not_reset_the_limits(production: Flask, make: Factory) -> None:
    """Without a proxy in front, rotating X-Forwarded-For is one address guessing on."""
    people = [make.reporter(password=PASSWORD) for _ in range(6)]
    client = browser(production, STRANGER)
    codes = [
        sign_in(client, person.email, WRONG, **{"X-Forwarded-For": f"203.0.113.{n}"}).status_code
        for n, person in enumerate(people)
    ]
    assert codes == [200] * 5 + [429]


def test_behind_one_proxy_the_client_is_read_from_the_header(
    behind_proxy: Flask, make: Factory
) -> None:
    person = make.reporter(password=PASSWORD)
    proxy = browser(behind_proxy, "10.0.0.2")  # every request arrives from the proxy
    # The client may send its own X-Forwarded-For; the proxy appends what it saw, and only
    # that last entry is believed.
    for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        response = sign_in(proxy, person.email, WRONG, **{"X-Forwarded-For": f"{forged}, {OWNER}"})
        assert response.status_code == 200
    refused = sign_in(proxy, person.email, PASSWORD, **{"X-Forwarded-For": f"9.9.9.9, {OWNER}"})
    assert refused.status_code == 429
    other = sign_in(proxy, person.email, PASSWORD, **{"X-Forwarded-For": STRANGER})
    assert other.status_code == 302


# -- strangers, brute force and the lock ----------------------------------------------------------


def test_a_strangers_failures_do_not_lock_the_owner_out(limited: Flask, make: Factory) -> None:
    person = make.reporter(password=PASSWORD)
    stranger = browser(limited, STRANGER)
    codes = [sign_in(stranger, person.email, WRONG).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "Too many failed sign-ins for this account from your connection" in page(
        sign_in(stranger, person.email, PASSWORD)
    )
    assert sign_in(browser(limited, OWNER), person.email, PASSWORD).status_code == 302


def test_one_address_guessing_across_accounts_is_slowed(limited: Flask, make: Factory) -> None:
    people = [make.reporter(password=PASSWORD) for _ in range(6)]
    client = browser(limited, STRANGER)
    before = counter("editorial_login_failures_total", reason="throttled")
    codes = [sign_in(client, p.email, WRONG).status_code for p in people[:5]]
    assert codes == [200] * 5
    refused = sign_in(client, people[5].email, PASSWORD)
    assert refused.status_code == 429
    # The wait counts down from the first failure: 15 minutes, or 14 if the five argon2
    # checks took over a minute on a loaded machine (CI once did).
    assert re.search(
        r"Too many failed sign-ins from your connection\. Wait 1[45] minutes", page(refused)
    )
    assert counter("editorial_login_failures_total", reason="throttled") == before + 1
    assert sign_in(browser(limited, OWNER), people[5].email, PASSWORD).status_code == 302


def _fail_from_everywhere(app: Flask, email: str, times: int) -> list[int]:
    """One wrong password from each of `times` addresses: no quick limit is ever reached."""
    return [sign_in(browser(app, f"203.0.113.{n}"), email, WRONG).status_code for n in range(times)]


def test_the_global_limit_locks_the_account_and_mails_the_owner_once(
    limited: Flask, make: Factory
) -> None:
    person = make.reporter(password=PASSWORD)
    lockouts = counter("editorial_lockouts_total")
    assert _fail_from_everywhere(limited, person.email, 4) == [200] * 4
    assert counter("editorial_lockouts_total") == lockouts + 1
    refused = sign_in(browser(limited, OWNER), person.email, PASSWORD)
    assert refused.status_code == 429 and LOCKED in page(refused)
    # More failures while locked are refused unread and send nothing more.
    assert _fail_from_everywhere(limited, person.email, 3) == [429] * 3
    assert len(unlock_mails(limited, person.email)) == 1
    assert counter("editorial_lockouts_total") == lockouts + 1
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_id == person.id)
    )
    assert "staff.locked" in list(actions)


def test_an_unknown_account_gets_the_same_answers(limited: Flask, make: Factory) -> None:
    person = make.reporter(password=PASSWORD)
    nobody = "nobody@example.test"
    for email in (person.email, nobody):
        answers = [
            page(sign_in(browser(limited, f"203.0.113.{n}"), email, WRONG)) for n in range(5)
        ]
        assert all(FAILED in answer for answer in answers[:4]), email
        assert LOCKED in answers[4], email
    assert len(unlock_mails(limited, person.email)) == 1
    assert unlock_mails(limited, nobody) == []


def test_the_unlock_link_works_once(limited: Flask, make: Factory) -> None:
    person = make.reporter(password=PASSWORD)
    _fail_from_everywhere(limited, person.email, 4)
    path = unlock_path(unlock_mails(limited, person.email)[0])
    owner = browser(limited, OWNER)
    confirm = owner.get(path)
    assert confirm.status_code == 200 and "Unlock my account" in page(confirm)
    assert confirm.headers["Referrer-Policy"] == "no-referrer"
    # A GET unlocks nothing; the owner trying again and again meanwhile is not held back later.
    assert [sign_in(owner, person.email, PASSWORD).status_code for _ in range(4)] == [429] * 4

    done = owner.post(path, data={"csrf_token": csrf_token(owner, path)})
    assert "Your account is unlocked" in page(follow_redirect(owner, done))
    assert sign_in(owner, person.email, PASSWORD).status_code == 302

    again = browser(limited, STRANGER)
    used = again.get(path)
    assert used.status_code == 410 and "already been used" in page(used)
    # Unlocked means a fresh allowance: one more typo does not lock the owner again.
    assert _fail_from_everywhere(limited, person.email, 1) == [200]
    assert sign_in(browser(limited, OWNER), person.email, PASSWORD).status_code == 302


def test_expired_tampered_and_stale_unlock_links_are_refused_clearly(
    limited: Flask, make: Factory
) -> None:
    person = make.reporter(password=PASSWORD)
    _fail_from_everywhere(limited, person.email, 4)
    secret = limited.config["SECRET_KEY"]
    client = browser(limited, OWNER)

    day_ago = time.time() - LinkKind.UNLOCK.max_age.total_seconds() - 60
    expired = make_token(secret, LinkKind.UNLOCK, person.id, 0, issued_at=day_ago)
    answer = client.get(f"/login/unlock/{expired}")
    assert answer.status_code == 410 and "unlock links last 24 hours" in page(answer)

    good = unlock_path(unlock_mails(limited, person.email)[0])
    answer = client.get(good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb"))
    assert answer.status_code == 400 and "This link is not valid" in page(answer)

    # A reset link is no unlock link, even for the same person and epoch.
    reset = make_token(secret, LinkKind.RESET, person.id, 0)
    assert client.get(f"/login/unlock/{reset}").status_code == 400
    assert sign_in(client, person.email, PASSWORD).status_code == 429


def test_setting_a_password_through_a_reset_link_unlocks_too(limited: Flask, make: Factory) -> None:
    person = make.reporter(password=PASSWORD)
    _fail_from_everywhere(limited, person.email, 4)
    unlock = unlock_path(unlock_mails(limited, person.email)[0])
    owner = browser(limited, OWNER)
    reset = (
        f"/password/reset/{make_token(limited.config['SECRET_KEY'], LinkKind.RESET, person.id, 0)}"
    )
    new = "a brand new passphrase"
    data = {"password": new, "confirm": new, "csrf_token": csrf_token(owner, reset)}
    assert owner.post(reset, data=data).status_code == 302
    assert sign_in(owner, person.email, new).status_code == 302
    assert owner.get(unlock).status_code == 410  # the lock it was made for is gone


def test_only_the_first_of_two_locks_wins(limited: Flask, make: Factory) -> None:
    """Two processes using up the allowance at once: one conditional UPDATE locks (and so
    sends the e-mail), the other finds the address locked already."""
    from editorial.services import commit, lockout

    person = make.reporter(password=PASSWORD)
    first, second = lockout.lock(person.email), lockout.lock(person.email.upper())
    commit()
    assert (first, second) == (True, False)
