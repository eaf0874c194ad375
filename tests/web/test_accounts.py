"""Invitations, password resets and one's own account page."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from editorial.extensions import db
from editorial.models import AuditEvent, Person
from editorial.models.loading import load_access
from editorial.services import accounts, staff
from editorial.tokens import LinkKind, make_token
from editorial.workflow import Role
from tests.conftest import Factory, csrf_token, login
from tests.web.conftest import account_link, follow_redirect, outbox_messages, snapshot

PASSWORD = "correct horse battery"
NEW = "a brand new passphrase"


def _path(link: str) -> str:
    """The path of an absolute link, for the test client."""
    return urlsplit(link).path


def _set_password(client: FlaskClient, path: str, password: str, confirm: str | None = None):
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    token = csrf_token(client, path)
    return client.post(
        path,
        data={"password": password, "confirm": confirm or password, "csrf_token": token},
    )


def _sign_in(app: Flask, email: str, password: str) -> int:
    browser = app.test_client()
    token = csrf_token(browser)
    response = browser.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    return response.status_code


def _forgot(client: FlaskClient, email: str):
    token = csrf_token(client, "/password/forgot")
    return client.post("/password/forgot", data={"email": email, "csrf_token": token})


# -- invitation ----------------------------------------------------------------------------------


def test_invitation_sets_password_once(
    app: Flask, client: FlaskClient, make: Factory, outbox
) -> None:
    admin = make.admin()
    person = make.reporter(name="Shahana")
    accounts.send_invitation(person, actor=admin)
    link = account_link(outbox()[0])
    assert link.startswith(app.config["SITE_URL"] + "/invite/")
    path = _path(link)
    page = client.get(path)
    assert "Welcome, Shahana" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = _set_password(client, path, PASSWORD)
    # Accepting signs the new colleague in, straight into the newsroom.
    assert response.status_code == 302 and response.headers["Location"].endswith("/newsroom/")
    welcome = follow_redirect(client, response).get_data(as_text=True)
    assert "Your password is set. Welcome to The Dhaka Chronicle newsroom." in welcome
    assert client.get("/newsroom/").status_code == 200
    assert _sign_in(app, person.email, PASSWORD) == 302
    # Used once: the same link is refused with a clear page, and changes nothing.
    before = snapshot()
    again = client.get(path)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)
    assert _set_password_post_only(client, path).status_code == 410
    assert snapshot() == before
    actions = {e.action for e in db.session.scalars(select(AuditEvent))}
    assert "staff.invitation_accepted" in actions


def _set_password_post_only(client: FlaskClient, path: str):
    token = csrf_token(client, "/password/forgot")
    return client.post(path, data={"password": NEW, "confirm": NEW, "csrf_token": token})


def test_expired_invitation_is_refused(app: Flask, client: FlaskClient, make: Factory) -> None:
    person = make.reporter()
    token = make_token(
        app.config["SECRET_KEY"], LinkKind.INVITE, person.id, 0, issued_at=time.time() - 8 * 86400
    )
    response = client.get(f"/invite/{token}")
    assert response.status_code == 410
    assert "invitations last 7 days" in response.get_data(as_text=True)


def test_tampered_links_are_refused(app: Flask, client: FlaskClient, make: Factory) -> None:
    person = make.reporter()
    secret = app.config["SECRET_KEY"]
    good = make_token(secret, LinkKind.RESET, person.id, 0)
    forged = make_token("guessed-secret", LinkKind.RESET, person.id, 0)
    flipped = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    invite_as_reset = make_token(secret, LinkKind.INVITE, person.id, 0)
    for path in (
        f"/password/reset/{forged}",
        f"/password/reset/{flipped}",
        f"/password/reset/{invite_as_reset}",
        "/password/reset/garbage",
        "/invite/garbage",
        f"/invite/{good}",
    ):
        response = client.get(path)
        assert response.status_code == 400, path
        assert "This link is not valid" in response.get_data(as_text=True)
    before = snapshot()
    assert _set_password_post_only(client, f"/password/reset/{flipped}").status_code == 400
    assert snapshot() == before


def test_link_of_deactivated_person_is_refused(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    admin, person = make.admin(), make.reporter()
    token = make_token(app.config["SECRET_KEY"], LinkKind.INVITE, person.id, 0)
    staff.deactivate(person, actor=admin)
    assert client.get(f"/invite/{token}").status_code == 400


# -- password reset --------------------------------------------------------------------------------


def test_forgotten_password_same_answer_for_unknown_and_known(
    client: FlaskClient, make: Factory, outbox
) -> None:
    person = make.reporter(password=PASSWORD)
    gone = make.reporter(password=PASSWORD)
    staff.deactivate(gone, actor=None)
    assert "Forgotten your password?" in client.get("/login").get_data(as_text=True)
    assert ">Email</label>" in client.get("/password/forgot").get_data(as_text=True)

    def answer(email: str) -> str:
        html = _forgot(client, email).get_data(as_text=True)
        return html.replace(email, "EMAIL")

    known = answer(person.email)
    unknown = answer("nobody@example.test")
    inactive = answer(gone.email)
    strip = lambda html: html.split('name="csrf_token"')[0]  # noqa: E731
    assert strip(known) == strip(unknown) == strip(inactive)
    assert "is on its way" in known
    assert [m["To"] for m in outbox()] == [person.email]


def test_reset_flow_ends_every_session(
    app: Flask, client: FlaskClient, make: Factory, outbox
) -> None:
    person = make.reporter(password=PASSWORD)
    elsewhere = app.test_client()
    login(elsewhere, person)
    _forgot(client, person.email.upper())
    path = _path(account_link(outbox()[0]))
    assert "/password/reset/" in path
    # The old password works until the link is used.
    assert _sign_in(app, person.email, PASSWORD) == 302
    response = _set_password(client, path, NEW)
    assert response.status_code == 302
    assert "Your password is set" in follow_redirect(client, response).get_data(as_text=True)
    assert elsewhere.get("/newsroom/").status_code == 302
    assert _sign_in(app, person.email, PASSWORD) == 200
    assert _sign_in(app, person.email, NEW) == 302
    assert client.get(path).status_code == 410


def test_expired_reset_link_is_refused(app: Flask, client: FlaskClient, make: Factory) -> None:
    person = make.reporter(password=PASSWORD)
    token = make_token(
        app.config["SECRET_KEY"], LinkKind.RESET, person.id, 0, issued_at=time.time() - 3700
    )
    before = snapshot()
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert _set_password_post_only(client, f"/password/reset/{token}").status_code == 410
    assert snapshot() == before


def test_a_used_link_kills_the_others(app: Flask, client: FlaskClient, make: Factory) -> None:
    person = make.reporter(password=PASSWORD)
    secret = app.config["SECRET_KEY"]
    first = make_token(secret, LinkKind.RESET, person.id, 0)
    second = make_token(secret, LinkKind.RESET, person.id, 0, issued_at=time.time() - 60)
    assert _set_password(client, f"/password/reset/{first}", NEW).status_code == 302
    assert client.get(f"/password/reset/{second}").status_code == 410


def test_password_change_also_kills_outstanding_links(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    person = make.reporter(password=PASSWORD)
    token = make_token(app.config["SECRET_KEY"], LinkKind.RESET, person.id, 0)
    staff.change_password(person, PASSWORD, NEW)
    assert client.get(f"/password/reset/{token}").status_code == 410


def test_weak_or_mismatched_password_keeps_the_link(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    person = make.reporter(password=PASSWORD)
    path = f"/password/reset/{make_token(app.config['SECRET_KEY'], LinkKind.RESET, person.id, 0)}"
    before = snapshot()
    html = _set_password(client, path, "short").get_data(as_text=True)
    assert "at least 10 characters" in html
    html = _set_password(client, path, NEW, confirm=NEW + "x").get_data(as_text=True)
    assert "The two passwords differ." in html
    assert snapshot() == before
    assert _set_password(client, path, NEW).status_code == 302


def test_reset_post_without_csrf_is_refused(app: Flask, client: FlaskClient, make: Factory) -> None:
    person = make.reporter(password=PASSWORD)
    path = f"/password/reset/{make_token(app.config['SECRET_KEY'], LinkKind.RESET, person.id, 0)}"
    before = snapshot()
    assert client.post(path, data={"password": NEW, "confirm": NEW}).status_code == 400
    assert snapshot() == before


def test_forgotten_password_is_rate_limited_per_address(
    client: FlaskClient, make: Factory, outbox
) -> None:
    people = [make.reporter(password=PASSWORD) for _ in range(6)]
    codes = [_forgot(client, person.email).status_code for person in people]
    assert codes[:5] == [200] * 5 and codes[5] == 429
    assert len(outbox()) == 5
    html = _forgot(client, people[5].email).get_data(as_text=True)
    assert "Too many reset links were asked for from your connection. Wait 15 minutes" in html
    assert f'value="{people[5].email}"' in html


@pytest.mark.parametrize("known", [True, False])
def test_forgotten_password_is_rate_limited_per_account_alike_for_unknown_ones(
    any_app: Flask, make: Factory, known: bool
) -> None:
    """Three links an hour for one account, from any number of connections; an address with no
    account is answered the same, so the limit tells no one which accounts exist."""
    email = make.reporter().email if known else "nobody@example.test"
    answers = []
    for n in range(4):
        connection = any_app.test_client()
        connection.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        answers.append(_forgot(connection, email.upper() if n % 2 else email))
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    html = answers[3].get_data(as_text=True)
    assert "Too many reset links were asked for this e-mail address. Wait 60 minutes" in html
    assert "a link already sent works for one hour." in html
    assert len(outbox_messages(any_app)) == (3 if known else 0)
    other = any_app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    assert _forgot(other, make.reporter().email).status_code == 200  # other accounts go on


# -- account page ----------------------------------------------------------------------------


def test_account_page_updates_profile(client: FlaskClient, make: Factory) -> None:
    person = make.reporter(name="Rafiq")
    login(client, person)
    page = client.get("/account").get_data(as_text=True)
    assert "My desk&#39;s queue" in page and "Change your password" in page
    assert "One e-mail a day at 07:00 (a digest)" in page
    token = csrf_token(client, "/account")
    response = client.post(
        "/account",
        data={
            "name": "Rafiq Islam",
            "byline": "Staff Reporter",
            "email_my_stories": "daily",
            "email_mentions": "none",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    person = db.session.get(Person, person.id)
    assert person.name == "Rafiq Islam" and person.default_byline == "Staff Reporter"
    # A choice left out of the post stays as it was.
    assert (person.email_my_stories, person.email_desk_queue, person.email_mentions) == (
        "daily",
        "immediate",
        "none",
    )
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "staff.profile_updated")
    ).one()
    assert event.data["before"]["email_my_stories"] == "immediate"
    assert event.data["after"]["email_my_stories"] == "daily"


def test_account_page_ignores_extra_fields(client: FlaskClient, make: Factory) -> None:
    desk = make.desk()
    person = make.reporter(desk, name="Rafiq", email="rafiq@example.test")
    login(client, person)
    token = csrf_token(client, "/account")
    client.post(
        "/account",
        data={
            "name": "Rafiq",
            "email_mentions": "hourly",
            "role": "admin",
            "roles": ["admin", "desk_editor"],
            "is_active": "0",
            "email": "boss@example.test",
            "desks": "999",
            "credential_epoch": "99",
            "csrf_token": token,
        },
    )
    person = db.session.get(Person, person.id)
    load_access(person)
    assert person.roles == {Role.REPORTER} and person.is_active
    assert person.email == "rafiq@example.test" and [d.id for d in person.desks] == [desk.id]
    assert person.credential_epoch == 0
    assert client.get("/admin/").status_code == 403


@pytest.mark.parametrize("path", ["/account", "/account/password"])
def test_account_pages_need_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_account_link_in_the_header(client: FlaskClient, make: Factory) -> None:
    login(client, make.reporter())
    assert 'href="/account"' in client.get("/account").get_data(as_text=True)
