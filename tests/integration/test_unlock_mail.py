"""TRUST 26: the unlock e-mail goes out by the real path (queued after commit, a Celery task on
Redis, a worker process, an SMTP server), exactly once per lock, and its link works once."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token
from tests.integration.conftest import wait_until

pytestmark = [pytest.mark.services, pytest.mark.slow]

PASSWORD = "correct horse battery staple"
LINK = re.compile(r"https?://\S+(/login/unlock/[A-Za-z0-9_.\-]+)")


def sign_in(app, address: str, email: str, password: str) -> int:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/login", data=data).status_code


def unlock_path(message) -> str:
    text = next(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )
    match = LINK.search(text)
    assert match, text
    return match.group(1)


def test_a_lock_mails_one_unlock_link_that_works_once(
    live_app, make, celery_procs, smtp, broker
) -> None:
    live_app.config["LOGIN_ACCOUNT_LIMIT"] = "3 per hour"
    smtp.start()
    celery_procs.worker()
    person = make.reporter(password=PASSWORD)

    # Three strangers, one try each: the third locks the account; two more change nothing.
    codes = [sign_in(live_app, f"203.0.113.{n}", person.email, "wrong") for n in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    wait_until(lambda: smtp.inbox.to(person.email), 30, "the unlock e-mail")
    wait_until(lambda: broker.llen("celery") == 0 and broker.hlen("unacked") == 0, 15, "drained")
    (message,) = smtp.inbox.to(person.email)
    assert "locked" in message["Subject"]
    assert sign_in(live_app, "192.0.2.10", person.email, PASSWORD) == 429

    path = unlock_path(message)
    owner = live_app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "192.0.2.10"
    assert owner.post(path, data={"csrf_token": csrf_token(owner, path)}).status_code == 302
    assert sign_in(live_app, "192.0.2.10", person.email, PASSWORD) == 302
    assert owner.post(path, data={"csrf_token": csrf_token(owner)}).status_code == 410
    assert len(smtp.inbox.to(person.email)) == 1
