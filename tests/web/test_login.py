"""Sign-in: the contract's labels, one answer for every failure, sessions that really end."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from editorial.extensions import db
from tests.conftest import Factory, csrf_token, login, make_app

PASSWORD = "correct horse battery"


def _sign_in(client: FlaskClient, email: str, password: str):
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_login_page_has_contract_labels(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert ">Email</label>" in html and ">Password</label>" in html and "Sign in" in html


def test_sign_in_and_out(client: FlaskClient, make: Factory) -> None:
    desk = make.desk()
    person = make.reporter(desk, password=PASSWORD)
    response = _sign_in(client, person.email, PASSWORD)
    assert response.status_code == 302
    assert client.get("/newsroom/").status_code == 200


def test_wrong_password_and_unknown_email_give_same_answer(
    client: FlaskClient, make: Factory
) -> None:
    person = make.reporter(password=PASSWORD)
    wrong = _sign_in(client, person.email, "not the password").get_data(as_text=True)
    unknown = _sign_in(client, "nobody@example.test", "not the password").get_data(as_text=True)
    message = "That email and password do not match an active account."
    assert message in wrong and message in unknown


def test_sixth_rapid_failure_is_refused(client: FlaskClient, make: Factory) -> None:
    person = make.reporter(password=PASSWORD)
    codes = [_sign_in(client, person.email, "wrong").status_code for _ in range(6)]
    assert codes[:5] == [200] * 5
    assert codes[5] == 429


def test_post_without_csrf_is_refused(client: FlaskClient, make: Factory) -> None:
    person = make.reporter(password=PASSWORD)
    response = client.post("/login", data={"email": person.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/newsroom/").status_code == 302


def test_logout_kills_a_copied_cookie(client: FlaskClient, make: Factory, app) -> None:
    person = make.reporter()
    login(client, person)
    copy = app.test_client()
    with client.session_transaction() as source, copy.session_transaction() as target:
        target.update(source)
    assert copy.get("/newsroom/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/newsroom/")})
    assert copy.get("/newsroom/").status_code == 302


def test_security_headers_on_every_page(client: FlaskClient) -> None:
    for path in ("/login", "/", "/healthz", "/no-such-page"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]


def test_an_app_with_limits_off_leaves_later_apps_limited(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The limiter is one object shared by every app in a process; an app made with limits off
    (as the fuzz test's is) must not switch them off for the apps made after it."""
    (tmp_path / "off").mkdir()
    (tmp_path / "on").mkdir()
    make_app(tmp_path / "off", "sqlite", request, RATELIMIT_ENABLED=False)
    app = make_app(tmp_path / "on", "sqlite", request)
    with app.app_context():
        person = Factory().reporter(password=PASSWORD)
        client = app.test_client()
        codes = [_sign_in(client, person.email, "wrong").status_code for _ in range(6)]
        db.session.remove()
        db.engine.dispose()
    assert codes[5] == 429
